// Package cli runs the programs' root commands the same way for every program: a context
// that ends on SIGINT or SIGTERM, `--version` with the commit, `-o text|json`, the
// environment variables in the help, shell completions, and one exit code per kind of
// failure (see Exit codes below and the README).
package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/casework/casework/caseclient"
	"github.com/casework/casework/contract"
)

// Exit codes: the same for every Casework program, so that scripts can tell a refusal
// from an outage.
const (
	ExitOK          = 0 // done
	ExitFailure     = 1 // any other failure
	ExitUsage       = 2 // the command line is wrong: unknown command or flag, missing argument, bad flag value
	ExitRefused     = 3 // refused by a rule, or input rejected (an import's bad rows with --strict, a refused action)
	ExitNotFound    = 4 // what was named does not exist (a case, an account, a model, a strategy)
	ExitUnavailable = 5 // PostgreSQL, Temporal or the API could not be reached; trying again later may work
)

// exitError is an error with the exit code it ends the program with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// Usage marks err as a mistake in the command line (exit 2).
func Usage(err error) error { return withCode(ExitUsage, err) }

// Refused marks err as a refusal by a rule or a rejection of input (exit 3).
func Refused(err error) error { return withCode(ExitRefused, err) }

// NotFound marks err as naming what does not exist (exit 4).
func NotFound(err error) error { return withCode(ExitNotFound, err) }

// Unavailable marks err as a service that could not be reached (exit 5).
func Unavailable(err error) error { return withCode(ExitUnavailable, err) }

// sentinels are the errors a program named with their exit code (ExitOn).
var sentinels []struct {
	code int
	err  error
}

// ExitOn makes an error that wraps any of errs end the program with code: a program
// names its packages' sentinel errors once (such as backoffice.ErrNoModel: not found).
func ExitOn(code int, errs ...error) {
	for _, e := range errs {
		sentinels = append(sentinels, struct {
			code int
			err  error
		}{code, e})
	}
}

// ExitCode is the exit code err ends a program with: the code it was marked with, else
// that of a sentinel it wraps (ExitOn), else its kind as the contract, the case client and
// the network tell it, else ExitFailure.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.code
		}
	}
	var field *contract.FieldError
	var invalid *contract.ValidationError
	if errors.As(err, &field) || errors.As(err, &invalid) {
		return ExitRefused
	}
	var refused *caseclient.Refused
	var api *caseclient.APIError
	var op *net.OpError
	var dns *net.DNSError
	switch {
	case errors.As(err, &refused):
		return ExitRefused
	case errors.Is(err, caseclient.ErrNoCase):
		return ExitNotFound
	case errors.As(err, &api):
		switch {
		case api.Status == 404:
			return ExitNotFound
		case api.Status == 400 || api.Status == 401 || api.Status == 403 || api.Status == 409 || api.Status == 422:
			return ExitRefused
		case api.Status == 429 || api.Status == 502 || api.Status == 503 || api.Status == 504:
			return ExitUnavailable
		}
	case errors.Is(err, syscall.ECONNREFUSED), errors.As(err, &op), errors.As(err, &dns):
		return ExitUnavailable
	}
	return ExitFailure
}

// Main runs a program's root command and exits with ExitCode of its error, printed on
// stderr. It adds --version, -o/--output, the Environment section of the help (env), and
// makes every command-line mistake exit 2.
func Main(root *cobra.Command, env ...EnvVar) {
	Prepare(root, env...)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := root.ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", root.Name(), err)
		os.Exit(ExitCode(err))
	}
}

// Prepare sets up root as Main runs it (tests call it and then Execute).
func Prepare(root *cobra.Command, env ...EnvVar) {
	root.SilenceUsage, root.SilenceErrors = true, true
	root.Version = Version()
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	addOutputFlag(root)
	addEnvironment(root, env)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return Usage(err) })
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	wrapArgs(root)
}

// wrapArgs makes the argument checks of c and its subcommands usage errors, and gives a
// command group (a command with subcommands and no run of its own, the root included) an
// unknown command's usage error, and its help when called alone.
func wrapArgs(c *cobra.Command) {
	if c.HasSubCommands() && c.Run == nil && c.RunE == nil {
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return Usage(fmt.Errorf("unknown command %q for %q (see %s --help)", args[0], cmd.CommandPath(), cmd.CommandPath()))
			}
			return cmd.Help()
		}
	}
	check := c.Args
	if check == nil {
		check = cobra.ArbitraryArgs
	}
	// required flags and flag groups too: cobra checks them after the run's hooks, with no
	// way to tell its error from the command's own
	c.Args = func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return Usage(err)
		}
		if err := cmd.ValidateRequiredFlags(); err != nil {
			return Usage(err)
		}
		return Usage(cmd.ValidateFlagGroups())
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}

// EnvVar is an environment variable a program reads, for its help.
type EnvVar struct{ Name, Help string }

// addEnvironment appends an Environment section to every command's help.
func addEnvironment(root *cobra.Command, env []EnvVar) {
	if len(env) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString("\nEnvironment:\n")
	width := 0
	for _, e := range env {
		width = max(width, len(e.Name))
	}
	for _, e := range env {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, e.Name, e.Help)
	}
	b.WriteString("\nExit codes: 0 done, 1 other failure, 2 usage, 3 refused or rejected, 4 not found, 5 unavailable\n")
	root.SetUsageTemplate(root.UsageTemplate() + b.String())
}
