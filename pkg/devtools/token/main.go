// Command token is make token: it prints a JWT for an HS256 deployment,
// signed with JWT_HS256_SECRET from the environment or from .env (the one
// s deploys with), so a deployer can run make smoke without writing code.
// It carries sub, iat, exp and, when the deployment checks them, iss and
// aud (JWT_ISSUER, JWT_AUDIENCE), and scope when -scope is given. The secret
// is never printed, and neither is anything but the token on stdout.
//
//	make token SUB=smoke-test [TTL=15m] [SCOPE="upload"]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ossbroker/ossbroker/pkg/auth"
	"github.com/ossbroker/ossbroker/pkg/devtools/dotenv"
)

func main() {
	sub := flag.String("sub", "", "the token's subject (sub): the caller, and what {sub} in UPLOAD_PREFIX becomes")
	ttl := flag.Duration("ttl", time.Hour, "how long the token is valid")
	scope := flag.String("scope", "", "the scope claim (space-separated: upload, upload:overwrite, download); only checked with REQUIRE_SCOPES=true")
	envFile := flag.String("env-file", ".env", "the .env file to read JWT_HS256_SECRET, JWT_ISSUER, JWT_AUDIENCE and JWT_SCOPE_CLAIM from (the environment wins)")
	flag.Parse()
	os.Exit(run(os.Stdout, os.Stderr, os.Getenv, *envFile, *sub, *ttl, *scope))
}

func run(stdout, stderr io.Writer, getenv func(string) string, envFile, sub string, ttl time.Duration, scope string) int {
	file, err := dotenv.Read(envFile)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	env := dotenv.Getenv(getenv, file)
	if sub == "" {
		fmt.Fprintln(stderr, "usage: make token SUB=<subject> [TTL=1h] [SCOPE=\"upload\"]")
		return 2
	}
	secret := env("JWT_HS256_SECRET")
	if secret == "" {
		fmt.Fprintf(stderr, "JWT_HS256_SECRET is set neither in the environment nor in %s: make token signs only for an HS256 deployment.\n"+
			"With an identity provider (JWT_JWKS_URL), get a token from it (README, Tokens).\n", envFile)
		return 1
	}
	extra := map[string]any{}
	if v := env("JWT_ISSUER"); v != "" {
		extra["iss"] = v
	}
	if v := env("JWT_AUDIENCE"); v != "" {
		extra["aud"] = v
	}
	if scope != "" {
		claim := env("JWT_SCOPE_CLAIM")
		if claim == "" {
			claim = "scope"
		}
		extra[claim] = scope
	}
	tok, err := auth.MintHS256([]byte(secret), sub, ttl, extra)
	if err != nil {
		fmt.Fprintln(stderr, err) // auth's errors never hold the secret
		return 1
	}
	fmt.Fprintln(stdout, tok)
	return 0
}
