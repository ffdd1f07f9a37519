package cli

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/spf13/cobra"

	"github.com/casework/casework/caseclient"
	"github.com/casework/casework/contract"
)

var errGone = errors.New("gone")

func TestExitCode(t *testing.T) {
	ExitOn(ExitNotFound, errGone)
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"none", nil, ExitOK},
		{"other", errors.New("boom"), ExitFailure},
		{"marked usage", Usage(errors.New("x")), ExitUsage},
		{"marked, wrapped", fmt.Errorf("ctx: %w", Refused(errors.New("x"))), ExitRefused},
		{"sentinel", fmt.Errorf("model 9: %w", errGone), ExitNotFound},
		{"field", fmt.Errorf("strategy x: %w", &contract.FieldError{Field: "path", Reason: "bad"}), ExitRefused},
		{"validation", &contract.ValidationError{Action: "pause"}, ExitRefused},
		{"refused by the case", &caseclient.Refused{}, ExitRefused},
		{"no case", fmt.Errorf("show: %w", caseclient.ErrNoCase), ExitNotFound},
		{"API 401", &caseclient.APIError{Status: 401}, ExitRefused},
		{"API 429", &caseclient.APIError{Status: 429}, ExitUnavailable},
		{"API 500", &caseclient.APIError{Status: 500}, ExitFailure},
		{"refused connection", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), ExitUnavailable},
		{"network", &net.OpError{Op: "dial", Err: errors.New("timeout")}, ExitUnavailable},
	} {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("%s: ExitCode(%v) = %d, want %d", tc.name, tc.err, got, tc.want)
		}
	}
}

// -o is checked before the command runs; a command's own formats are accepted for it only.
func TestOutputChecked(t *testing.T) {
	ran := ""
	root := &cobra.Command{Use: "tool"}
	for _, name := range []string{"plain", "table"} {
		c := &cobra.Command{Use: name, RunE: func(cmd *cobra.Command, _ []string) error { ran = cmd.Name(); return nil }}
		if name == "table" {
			AlsoOutputs(c, "csv")
		}
		root.AddCommand(c)
	}
	Prepare(root)
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"plain", "-o", "json"}, ExitOK},
		{[]string{"plain", "-o", "csv"}, ExitUsage},
		{[]string{"table", "-o", "csv"}, ExitOK},
		{[]string{"table", "-o", "yaml"}, ExitUsage},
		{[]string{"nothing"}, ExitUsage},
		{[]string{"plain", "extra", "--bogus"}, ExitUsage},
	} {
		ran = ""
		root.SetArgs(tc.args)
		err := root.Execute()
		if got := ExitCode(err); got != tc.want {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, got, err, tc.want)
		}
		if (ran != "") != (tc.want == ExitOK) {
			t.Errorf("%v: ran %q", tc.args, ran)
		}
	}
}
