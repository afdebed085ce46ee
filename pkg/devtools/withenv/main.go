// Command withenv runs a command with the .env file's variables added to
// its environment (a variable already set in the environment wins, as in
// package dotenv), so make print-ram-policy and the other printers see the
// values s deploys with:
//
//	go run ./pkg/devtools/withenv [-env-file .env] -- go run ./functions/broker -print-ram-policy
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"

	"github.com/ossbroker/ossbroker/pkg/devtools/dotenv"
)

func main() {
	envFile := flag.String("env-file", ".env", "the file to read")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: withenv [-env-file .env] -- command [args...]")
		os.Exit(2)
	}
	file, err := dotenv.Read(*envFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	env := os.Environ()
	for name, value := range file {
		if os.Getenv(name) == "" {
			env = append(env, name+"="+value)
		}
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = env, os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			os.Exit(exit.ExitCode())
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
