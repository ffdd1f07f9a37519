// Command demo runs Casework's demo on the stack of the environment (see the Makefile's
// run target): it builds a book from the UCI credit-card clients file, imports it and its
// history, adds demo agents, starts cases and drives them with simulated agents and
// debtors; or a champion/challenger trial (--trial). Its subcommands build the demo's files
// alone. It is not part of the product: the back office's tool is bin/starter.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/casework/casework/cli"
	"github.com/casework/casework/cli/conn"
	"github.com/casework/casework/lab/demo"
)

func main() { cli.Main(rootCmd(), conn.Env...) }

func bookCmd() *cobra.Command {
	return conn.Command(&cobra.Command{Use: "book UCI_CSV OUT_CSV", Short: "Build a book in Casework's format from the UCI credit-card clients file", Args: cobra.ExactArgs(2)}, conn.None,
		func(_ context.Context, _ *cobra.Command, _ *conn.Conns, args []string) error {
			n, err := demo.WriteUCIBook(args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Printf("wrote %d accounts to %s\n", n, args[1])
			return nil
		})
}

func historyCmd() *cobra.Command {
	return conn.Command(&cobra.Command{
		Use:   "history UCI_CSV DIR",
		Short: "Build the monthly history, outcomes and fairness attributes from the UCI credit-card clients file",
		Args:  cobra.ExactArgs(2),
	}, conn.None, func(_ context.Context, _ *cobra.Command, _ *conn.Conns, args []string) error {
		history, outcomes, attributes := demo.HistoryFiles(args[1])
		n, err := demo.WriteUCIHistory(args[0], history, outcomes, attributes)
		if err != nil {
			return err
		}
		fmt.Printf("wrote %d accounts' history to %s, %s and %s\n", n, history, outcomes, attributes)
		return nil
	})
}

func seedAgentsCmd() *cobra.Command {
	return conn.Command(&cobra.Command{Use: "seed-agents", Short: "Add the demo agents (phone, field, supervisors in four regions)", Args: cobra.NoArgs}, conn.Database,
		func(ctx context.Context, cmd *cobra.Command, b *conn.Conns, _ []string) error {
			n, err := demo.SeedAgents(ctx, b.DB)
			if err != nil {
				return err
			}
			fmt.Printf("%d demo agents in place\n", n)
			return nil
		})
}

func rootCmd() *cobra.Command {
	cfg := demo.Config{Out: os.Stdout}
	var trial bool
	var results string
	cmd := conn.Command(&cobra.Command{
		Use:   "demo",
		Short: "Run the demo: build and import the UCI book, add agents, start cases and drive them with simulated agents",
		Long: `Run the demo: build and import the UCI book and its history, add agents, start cases and drive
them with simulated agents (scripted scenarios that exercise every path), then report.

--trial runs a champion/challenger trial instead: the score trained if none is, visit-first
(champion) and phone-first (challenger) at half the cases each, the first --cases accounts by
expected recovery, every simulated debtor agreeing, keeping or breaking a plan by their own
UCI record; then the comparison by strategy (also written to --results).`,
		Args: cobra.NoArgs,
	}, conn.Both, func(ctx context.Context, cmd *cobra.Command, b *conn.Conns, _ []string) error {
		if trial {
			_, err := demo.Trial(ctx, b.DB, b.TC, demo.TrialConfig{UCIFile: cfg.UCIFile, Dir: cfg.Dir, Results: results, Cases: cfg.Cases,
				InFlight: cfg.InFlight, DayLength: cfg.DayLength, Timeout: cfg.Timeout, Out: cfg.Out})
			return err
		}
		return demo.Run(ctx, b.DB, b.TC, cfg)
	})
	cmd.Flags().BoolVar(&trial, "trial", false, "run a champion/challenger trial (see above)")
	cmd.Flags().StringVar(&results, "results", "", "with --trial: also write the comparison into this folder")
	cmd.Flags().StringVar(&cfg.UCIFile, "uci", "data/uci-credit-default/default-of-credit-card-clients.csv", "the UCI credit-card clients file")
	cmd.Flags().StringVar(&cfg.Dir, "dir", ".dev", "where to write the demo book")
	cmd.Flags().IntVar(&cfg.Cases, "cases", 200, "how many cases to start and drive to the end")
	cmd.Flags().IntVar(&cfg.Parked, "parked", 12, "how many more to leave waiting at a stage for inspection")
	cmd.Flags().IntVar(&cfg.InFlight, "in-flight", 50, "how many driven cases may be open at once")
	cmd.Flags().DurationVar(&cfg.DayLength, "day", 3*time.Second, "real time of one case day")
	cmd.Flags().DurationVar(&cfg.Timeout, "timeout", 20*time.Minute, "give up after this long")
	cmd.AddCommand(bookCmd(), historyCmd(), seedAgentsCmd())
	return cmd
}
