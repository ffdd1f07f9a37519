// Command starter is the back office's tool: migrate the database, import the overdue
// book, screen it and start cases, start one case, report; and run the demo.
//
// Settings come from the environment (see .dev/env): DATABASE_URL and the Temporal
// client's TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/casework/casework/backoffice"
	"github.com/casework/casework/book"
	"github.com/casework/casework/caseclient/direct"
	"github.com/casework/casework/cli"
	"github.com/casework/casework/demo"
	"github.com/casework/casework/platform"
	"github.com/casework/casework/progress"
	"github.com/casework/casework/store"
)

func main() { cli.Main(rootCmd()) }

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "starter",
		Short: "Casework back office: migrate, import, screen, start, report",
	}
	root.AddCommand(migrateCmd(), importCmd(), importHistoryCmd(), trainCmd(), modelCmd(), strategyCmd(), screenCmd(), startCmd(), reportCmd(), demoBookCmd(), demoHistoryCmd(), seedAgentsCmd(), demoCmd(), tokenCmd())
	return root
}

// needs says what a command connects to.
type needs struct{ db, temporal bool }

var (
	database = needs{db: true}
	temporal = needs{temporal: true}
	both     = needs{db: true, temporal: true}
)

// backOffice is what a command works with: the database and Temporal, as it needs them.
type backOffice struct {
	db *pgxpool.Pool
	tc client.Client
}

// command gives c a run that gets the connections it needs, and closes them after.
func command(c *cobra.Command, n needs, run func(ctx context.Context, b *backOffice, args []string) error) *cobra.Command {
	c.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		var b backOffice
		var err error
		if n.db {
			if b.db, err = store.Open(ctx, os.Getenv("DATABASE_URL")); err != nil {
				return err
			}
			defer b.db.Close()
		}
		if n.temporal {
			if b.tc, err = platform.DialTemporalQuiet(); err != nil {
				return err
			}
			defer b.tc.Close()
		}
		return run(ctx, &b, args)
	}
	return c
}

func migrateCmd() *cobra.Command {
	return command(&cobra.Command{Use: "migrate", Short: "Apply the database migrations not yet applied",
		Long: "Apply the database migrations not yet applied, as the database's owner (MIGRATION_DATABASE_URL, else DATABASE_URL),\n" +
			"and grant the programs' runtime role (CASEWORK_RUNTIME_ROLE, default casework_app) its privileges.", Args: cobra.NoArgs}, needs{},
		func(ctx context.Context, _ *backOffice, _ []string) error {
			url := os.Getenv("MIGRATION_DATABASE_URL")
			if url == "" {
				url = os.Getenv("DATABASE_URL")
			}
			db, err := store.Open(ctx, url)
			if err != nil {
				return err
			}
			defer db.Close()
			applied, err := store.MigrateAs(ctx, db, os.Getenv("CASEWORK_RUNTIME_ROLE"))
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Println("schema up to date")
			} else {
				fmt.Printf("applied migrations %v\n", applied)
			}
			return nil
		})
}

func importCmd() *cobra.Command {
	return command(&cobra.Command{Use: "import FILE", Short: "Import an overdue book (CSV); bad rows are reported by line, good rows kept", Args: cobra.ExactArgs(1)}, database,
		func(ctx context.Context, b *backOffice, args []string) error {
			rows, err := countRows(args[0])
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf("import: %w", err)
			}
			defer f.Close()
			bar := progress.New(os.Stderr, "import", rows)
			st, err := book.Import(ctx, b.db, f, bar.Set)
			bar.Done()
			for _, e := range st.Rejected {
				fmt.Fprintf(os.Stderr, "%s: %s\n", args[0], e)
			}
			fmt.Printf("read %d rows: %d imported, %d updated, %d unchanged, %d rejected\n",
				st.Read, st.Imported, st.Updated, st.Unchanged, len(st.Rejected))
			return err
		})
}

func screenCmd() *cobra.Command {
	var f backoffice.Filter
	var policy string
	var dryRun bool
	pace := backoffice.Pace{Concurrency: 8, PerSecond: 20}
	cmd := command(&cobra.Command{Use: "screen", Short: "Start cases for the accounts that pass the screening policy, the first by expected recovery", Args: cobra.NoArgs}, both,
		func(ctx context.Context, b *backOffice, _ []string) error {
			p, err := platform.DeploymentPolicy()
			if err != nil {
				return err
			}
			if p, err = p.Tighten(json.RawMessage(policy)); err != nil {
				return err
			}
			if dryRun {
				pv, err := backoffice.Preview(ctx, b.db, p, f)
				if err != nil {
					return err
				}
				return writePreview(os.Stdout, pv)
			}
			var bar *progress.Bar
			res, err := backoffice.Screen(ctx, b.db, b.tc, p, f, pace, json.RawMessage(policy), func(r backoffice.ScreenResult) {
				if bar == nil {
					bar = progress.New(os.Stderr, "screen", r.Selected)
				}
				bar.Set(r.Started + r.AlreadyOpen)
			})
			if bar != nil {
				bar.Done()
			}
			fmt.Printf("selected %d accounts: %d cases started, %d already open\n", res.Selected, res.Started, res.AlreadyOpen)
			return err
		})
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "count what would start, by region and days past due, and start nothing")
	cmd.Flags().IntVar(&pace.Concurrency, "concurrency", pace.Concurrency, "starts under way at once")
	cmd.Flags().Float64Var(&pace.PerSecond, "rate", pace.PerSecond, "starts a second at most (0: no limit)")
	cmd.Flags().IntVar(&f.Limit, "limit", 0, "start at most this many cases (0: all)")
	cmd.Flags().IntVar(&f.Capacity, "capacity", 0, "start only this many, the first by expected recovery: as many as the field agents can visit (0: all)")
	cmd.Flags().StringVar(&f.Region, "region", "", "screen only the accounts of this region")
	cmd.Flags().StringVar(&policy, "policy", "", "policy overrides for these cases, a JSON object")
	return cmd
}

func startCmd() *cobra.Command {
	var policy string
	cmd := command(&cobra.Command{Use: "start ACCOUNT", Short: "Start the case of one account", Args: cobra.ExactArgs(1)}, temporal,
		func(ctx context.Context, b *backOffice, args []string) error {
			run, err := (&direct.Client{TC: b.tc}).Start(ctx, args[0], json.RawMessage(policy))
			if err != nil {
				return err
			}
			fmt.Printf("started %s (run %s)\n", run.GetID(), run.GetRunID())
			return nil
		})
	cmd.Flags().StringVar(&policy, "policy", "", "policy overrides for this case, a JSON object")
	return cmd
}

func reportCmd() *cobra.Command {
	var format, from, to, by string
	cmd := command(&cobra.Command{Use: "report", Short: "Report on the cases: recovery, promises kept, right-party contact, time per stage, anomalies, rejections, violations, satisfaction; by region and by agent", Args: cobra.NoArgs}, database,
		func(ctx context.Context, b *backOffice, _ []string) error {
			var rg backoffice.Range
			for _, d := range []struct {
				flag, v string
				into    *time.Time
			}{{"--from", from, &rg.From}, {"--to", to, &rg.To}} {
				if d.v == "" {
					continue
				}
				t, err := time.ParseInLocation(time.DateOnly, d.v, time.Local)
				if err != nil {
					return fmt.Errorf("%s %q: want a date YYYY-MM-DD", d.flag, d.v)
				}
				*d.into = t
			}
			if by == "strategy" {
				arms, err := backoffice.ByStrategy(ctx, b.db, rg)
				if err != nil {
					return err
				}
				if format == "json" {
					enc := json.NewEncoder(os.Stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(arms)
				}
				return backoffice.WriteArms(os.Stdout, arms)
			}
			if by != "" {
				return fmt.Errorf("--by %q: want strategy", by)
			}
			r, err := backoffice.BuildReport(ctx, b.db, rg)
			if err != nil {
				return err
			}
			switch format {
			case "json":
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			case "csv":
				return r.WriteCSV(os.Stdout)
			case "text", "":
				return r.WriteText(os.Stdout)
			}
			return fmt.Errorf("--format %q: want text, csv or json", format)
		})
	cmd.Flags().StringVar(&format, "format", "text", "text (tables), csv or json")
	cmd.Flags().StringVar(&by, "by", "", "strategy: compare the trial's arms (95% intervals, significance against the champion)")
	cmd.Flags().StringVar(&from, "from", "", "first day of the range, YYYY-MM-DD (default: the beginning)")
	cmd.Flags().StringVar(&to, "to", "", "day after the range, YYYY-MM-DD (default: now)")
	return cmd
}

func demoBookCmd() *cobra.Command {
	return command(&cobra.Command{Use: "demo-book UCI_CSV OUT_CSV", Short: "Build a book in Casework's format from the UCI credit-card clients file", Args: cobra.ExactArgs(2)}, needs{},
		func(_ context.Context, _ *backOffice, args []string) error {
			n, err := demo.WriteUCIBook(args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Printf("wrote %d accounts to %s\n", n, args[1])
			return nil
		})
}

func demoHistoryCmd() *cobra.Command {
	return command(&cobra.Command{
		Use:   "demo-history UCI_CSV DIR",
		Short: "Build the monthly history, outcomes and fairness attributes from the UCI credit-card clients file",
		Args:  cobra.ExactArgs(2),
	}, needs{}, func(_ context.Context, _ *backOffice, args []string) error {
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
	return command(&cobra.Command{Use: "seed-agents", Short: "Add the demo agents (phone, field, supervisors in four regions)", Args: cobra.NoArgs}, database,
		func(ctx context.Context, b *backOffice, _ []string) error {
			n, err := demo.SeedAgents(ctx, b.db)
			if err != nil {
				return err
			}
			fmt.Printf("%d demo agents in place\n", n)
			return nil
		})
}

func demoCmd() *cobra.Command {
	cfg := demo.Config{Out: os.Stdout}
	var trial bool
	var results string
	cmd := command(&cobra.Command{
		Use:   "demo",
		Short: "Run the demo: build and import the UCI book, add agents, start cases and drive them with simulated agents",
		Long: `Run the demo: build and import the UCI book and its history, add agents, start cases and drive
them with simulated agents (scripted scenarios that exercise every path), then report.

--trial runs a champion/challenger trial instead: the score trained if none is, visit-first
(champion) and phone-first (challenger) at half the cases each, the first --cases accounts by
expected recovery, every simulated debtor agreeing, keeping or breaking a plan by their own
UCI record; then the comparison by strategy (also written to --results).`,
		Args: cobra.NoArgs,
	}, both, func(ctx context.Context, b *backOffice, _ []string) error {
		if trial {
			_, err := demo.Trial(ctx, b.db, b.tc, demo.TrialConfig{UCIFile: cfg.UCIFile, Dir: cfg.Dir, Results: results, Cases: cfg.Cases,
				InFlight: cfg.InFlight, DayLength: cfg.DayLength, Timeout: cfg.Timeout, Out: cfg.Out})
			return err
		}
		return demo.Run(ctx, b.db, b.tc, cfg)
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
	return cmd
}

// countRows counts the data rows of a CSV file (its lines less the header), for the
// progress bar.
func countRows(file string) (int, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, fmt.Errorf("import: %w", err)
	}
	return max(0, bytes.Count(b, []byte("\n"))-1), nil
}

// writePreview prints a screening's preview as a table.
func writePreview(w io.Writer, pv *backoffice.ScreenPreview) error {
	money := func(v float64) string { return fmt.Sprintf("%.2f", v/100) }
	if pv.Model == 0 {
		fmt.Fprintln(w, "no model trained (bin/starter train): the plain order, most overdue and largest first")
	} else {
		fmt.Fprintf(w, "ranked by expected recovery (score x amount due) with model %d\n", pv.Model)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "region\tdays past due\taccounts\tamount due\texpected recovery\t")
	accounts, amount := 0, int64(0)
	for _, b := range pv.Buckets {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d.%02d\t%s\t\n", b.Region, b.Bucket, b.Accounts, b.AmountDue/100, b.AmountDue%100, money(b.Expected))
		accounts += b.Accounts
		amount += b.AmountDue
	}
	fmt.Fprintf(tw, "all\t\t%d\t%d.%02d\t%s\t\n", accounts, amount/100, amount%100, money(pv.Expected))
	if err := tw.Flush(); err != nil {
		return err
	}
	if pv.Model != 0 {
		gain := 0.0
		if pv.PlainExpected > 0 {
			gain = 100 * (pv.Expected/pv.PlainExpected - 1)
		}
		fmt.Fprintf(w, "%d of %d selected accounts would start: expected recovery %s against %s for the plain order's first %d (%+.1f%%; both estimated by the model)\n",
			pv.Started, pv.Selected, money(pv.Expected), money(pv.PlainExpected), pv.Started, gain)
	}
	return nil
}
