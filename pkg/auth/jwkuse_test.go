package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// jwkJSON is one public JWK as a map, with extra members set (nil deletes).
func jwkJSON(t *testing.T, pub any, kid string, extra map[string]any) map[string]any {
	t.Helper()
	j, err := jwkset.NewJWKFromKey(pub, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: kid}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(j.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

// TestJWKRestrictionsWithAndWithoutKID: a JWK's "use", "key_ops" and "alg"
// restrict it the same way whether the token names its kid or not, for
// every algorithm a JWKS verifies, inline and fetched.
func TestJWKRestrictionsWithAndWithoutKID(t *testing.T) {
	k := keys()
	ec521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	type signer struct {
		priv  any
		pub   any
		other string // an alg of another key type or curve, for "alg" mismatches
	}
	signers := map[string]signer{
		"RS256": {k.rsa, &k.rsa.PublicKey, "PS256"},
		"RS384": {k.rsa, &k.rsa.PublicKey, "RS256"},
		"RS512": {k.rsa, &k.rsa.PublicKey, "RS384"},
		"PS256": {k.rsa, &k.rsa.PublicKey, "RS256"},
		"PS384": {k.rsa, &k.rsa.PublicKey, "PS512"},
		"PS512": {k.rsa, &k.rsa.PublicKey, "PS256"},
		"ES256": {k.ec256, &k.ec256.PublicKey, "ES384"},
		"ES384": {k.ec384, &k.ec384.PublicKey, "ES256"},
		"ES512": {ec521, &ec521.PublicKey, "ES256"},
		"EdDSA": {k.ed, k.ed.Public(), "ES256"},
	}
	if len(signers) != len(jwksMethods) {
		t.Fatalf("%d algorithms tested, the JWKS accepts %d", len(signers), len(jwksMethods))
	}
	// An unrelated usable key of another type, so that every set can start
	// and a refused key leaves nothing to try.
	rsaBystander := jwkJSON(t, &k.rsa2.PublicKey, "bystander", map[string]any{"use": "sig"})
	ecBystander := jwkJSON(t, &k.ec384.PublicKey, "bystander", map[string]any{"use": "sig"})

	restrictions := []struct {
		name  string
		extra func(alg, other string) map[string]any
		ok    bool
	}{
		{"no restriction", func(string, string) map[string]any { return map[string]any{"alg": nil} }, true},
		{"use sig", func(string, string) map[string]any { return map[string]any{"use": "sig", "alg": nil} }, true},
		{"alg of the token", func(alg, _ string) map[string]any { return map[string]any{"alg": alg} }, true},
		{"key_ops verify", func(string, string) map[string]any { return map[string]any{"key_ops": []string{"verify"}, "alg": nil} }, true},
		{"use enc", func(string, string) map[string]any { return map[string]any{"use": "enc", "alg": nil} }, false},
		{"use enc with the token's alg", func(alg, _ string) map[string]any { return map[string]any{"use": "enc", "alg": alg} }, false},
		{"alg of another algorithm", func(_, other string) map[string]any { return map[string]any{"alg": other} }, false},
		{"key_ops encrypt", func(string, string) map[string]any { return map[string]any{"key_ops": []string{"encrypt"}, "alg": nil} }, false},
		{"key_ops empty", func(string, string) map[string]any { return map[string]any{"key_ops": []string{}, "alg": nil} }, false},
	}
	for _, alg := range jwksMethods {
		s := signers[alg]
		for _, r := range restrictions {
			extra := r.extra(alg, s.other)
			if alg == "EdDSA" && extra["alg"] == nil {
				extra["alg"] = "EdDSA" // jwkset always writes it for Ed25519
			}
			bystander := rsaBystander
			if strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS") {
				bystander = ecBystander
			}
			set, err := json.Marshal(map[string]any{"keys": []any{jwkJSON(t, s.pub, "k", extra), bystander}})
			if err != nil {
				t.Fatal(err)
			}
			inline := newVerifier(t, Config{JWKSJSON: set})
			fetched := newVerifier(t, Config{JWKSURL: newJWKSServer(t, set).URL})
			for _, kid := range []any{"k", nil} {
				tok := sign(t, jwt.GetSigningMethod(alg), s.priv, claims(nil), map[string]any{"kid": kid})
				for src, v := range map[string]*Verifier{"inline": inline, "url": fetched} {
					name := alg + "/" + r.name + "/" + src + "/kid"
					if kid == nil {
						name += " absent"
					}
					t.Run(name, func(t *testing.T) {
						want := ""
						if !r.ok {
							want = "no matching key"
						}
						checkAttack(t, attack{name, v, tok, want})
					})
				}
			}
		}
	}
}

// A JWKS whose only keys are for encryption or bound to another algorithm
// has no usable key: the broker refuses to start with it.
func TestJWKSWithoutSigningKeyRefused(t *testing.T) {
	k := keys()
	for _, extra := range []map[string]any{
		{"use": "enc"},
		{"key_ops": []string{"encrypt"}},
		{"alg": "RSA-OAEP"},
	} {
		set, _ := json.Marshal(map[string]any{"keys": []any{jwkJSON(t, &k.rsa.PublicKey, "k", extra)}})
		_, err := NewVerifier(context.Background(), Config{JWKSJSON: set})
		if err == nil || !strings.Contains(err.Error(), "no usable public key") {
			t.Errorf("%v: NewVerifier error %v, want \"no usable public key\"", extra, err)
		}
	}
}
