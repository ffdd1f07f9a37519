// Package cli runs the programs' root commands: one way to start, stop on a signal and
// exit with the error, for every program (bin/agent too, which needs nothing else).
package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Main runs a program's root command with a context that ends on SIGINT or SIGTERM, and
// exits 1 with the error printed when the command fails.
func Main(root *cobra.Command) {
	root.SilenceUsage, root.SilenceErrors = true, true
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := root.ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", root.Name(), err)
		os.Exit(1)
	}
}
