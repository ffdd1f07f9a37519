// Command starter is the back office's tool: migrate the database, import the overdue
// book, screen it and start cases, start one case, report; and run the demo.
//
// Settings come from the environment (see .dev/env): DATABASE_URL and the Temporal
// client's TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/casework/casework/backoffice"
	"github.com/casework/casework/book"
	"github.com/casework/casework/caseclient/direct"
	"github.com/casework/casework/cli"
	"github.com/casework/casework/cli/conn"
	"github.com/casework/casework/httpapi"
	"github.com/casework/casework/platform"
	"github.com/casework/casework/progress"
	"github.com/casework/casework/store"
)

func main() {
	cli.ExitOn(cli.ExitNotFound, backoffice.ErrNoModel, backoffice.ErrNoStrategy, httpapi.ErrNoAgent)
	cli.ExitOn(cli.ExitRefused, backoffice.ErrNotBetter, direct.ErrAlreadyOpen)
	cli.Main(rootCmd(), conn.Env...)
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "starter",
		Short: "Casework back office: migrate, import, screen, start, report",
	}
	root.AddCommand(migrateCmd(), importCmd(), importHistoryCmd(), trainCmd(), modelCmd(), strategyCmd(), screenCmd(), startCmd(), reportCmd(), tokenCmd())
	return root
}

func migrateCmd() *cobra.Command {
	return conn.Command(&cobra.Command{Use: "migrate", Short: "Apply the database migrations not yet applied",
		Long: "Apply the database migrations not yet applied, as the database's owner (MIGRATION_DATABASE_URL, else DATABASE_URL),\n" +
			"and grant the programs' runtime role (CASEWORK_RUNTIME_ROLE, default casework_app) its privileges.", Args: cobra.NoArgs}, conn.None,
		func(ctx context.Context, cmd *cobra.Command, _ *conn.Conns, _ []string) error {
			url := os.Getenv("MIGRATION_DATABASE_URL")
			if url == "" {
				url = os.Getenv("DATABASE_URL")
			}
			db, err := store.Open(ctx, url)
			if err != nil {
				return cli.Unavailable(err)
			}
			defer db.Close()
			applied, err := store.MigrateAs(ctx, db, os.Getenv("CASEWORK_RUNTIME_ROLE"))
			if err != nil {
				return err
			}
			return cli.Print(cmd, struct {
				Applied []int `json:"applied"`
			}{append([]int{}, applied...)}, func(w io.Writer) error {
				if len(applied) == 0 {
					_, err := fmt.Fprintln(w, "schema up to date")
					return err
				}
				_, err := fmt.Fprintf(w, "applied migrations %v\n", applied)
				return err
			})
		})
}

func importCmd() *cobra.Command {
	var strict bool
	cmd := conn.Command(&cobra.Command{
		Use:   "import FILE",
		Short: "Import an overdue book (CSV); bad rows are reported by line, good rows kept",
		Long: `Import an overdue book: a CSV with DESIGN.md's columns (account_id, debtor_name, phone, address,
region, amount_due, days_past_due, ...). Good rows are inserted or updated; each bad row is
reported on standard error by line and field and left out, and the good ones are kept.
Importing the same file again changes nothing. With --strict, any bad row makes the command
exit 3 (the good rows are still kept).`,
		Example: "  bin/starter import book.csv\n  bin/starter import --strict -o json book.csv | jq .rejected",
		Args:    cobra.ExactArgs(1),
	}, conn.Database,
		func(ctx context.Context, cmd *cobra.Command, b *conn.Conns, args []string) error {
			rows, err := countRows(args[0])
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf("import: %w", err)
			}
			defer func() { _ = f.Close() }() // read only
			bar := progress.New(os.Stderr, "import", rows)
			st, err := book.Import(ctx, b.DB, f, bar.Set)
			bar.Done()
			if err != nil {
				return err
			}
			return imported(cmd, args[0], "rows", st, strict)
		})
	cmd.Flags().BoolVar(&strict, "strict", false, "exit 3 when any row is rejected (the good rows are kept)")
	return cmd
}

func screenCmd() *cobra.Command {
	var f backoffice.Filter
	var policy string
	var dryRun bool
	pace := backoffice.DefaultPace()
	cmd := conn.Command(&cobra.Command{
		Use:     "screen",
		Short:   "Start cases for the accounts that pass the screening policy, the first by expected recovery",
		Example: "  bin/starter screen --dry-run --capacity 300\n  bin/starter screen --capacity 300 --rate 20\n  bin/starter screen --region north --policy '{\"maxCallsPer7Days\": 5}'",
		Args:    cobra.NoArgs,
	}, conn.Both,
		func(ctx context.Context, cmd *cobra.Command, b *conn.Conns, _ []string) error {
			p, err := platform.DeploymentPolicy()
			if err != nil {
				return err
			}
			if p, err = p.Tighten(json.RawMessage(policy)); err != nil {
				return err
			}
			if dryRun {
				pv, err := backoffice.Preview(ctx, b.DB, p, f)
				if err != nil {
					return err
				}
				return cli.Print(cmd, pv, func(w io.Writer) error { return writePreview(w, pv) })
			}
			var bar *progress.Bar
			res, err := backoffice.Screen(ctx, b.DB, b.TC, p, f, pace, json.RawMessage(policy), func(r backoffice.ScreenResult) {
				if bar == nil {
					bar = progress.New(os.Stderr, "screen", r.Selected)
				}
				bar.Set(r.Started + r.AlreadyOpen)
			})
			if bar != nil {
				bar.Done()
			}
			if err != nil {
				return err
			}
			return cli.Print(cmd, res, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "selected %d accounts: %d cases started, %d already open\n", res.Selected, res.Started, res.AlreadyOpen)
				return err
			})
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
	cmd := conn.Command(&cobra.Command{
		Use:     "start ACCOUNT",
		Short:   "Start the case of one account (exit 3 if it already has an open case)",
		Example: "  bin/starter start UCI-1042\n  bin/starter start UCI-1042 --policy '{\"maxCallsPer7Days\": 3}' -o json",
		Args:    cobra.ExactArgs(1),
	}, conn.Temporal,
		func(ctx context.Context, cmd *cobra.Command, b *conn.Conns, args []string) error {
			run, err := (&direct.Client{TC: b.TC}).Start(ctx, args[0], json.RawMessage(policy))
			if err != nil {
				return err
			}
			return cli.Print(cmd, map[string]string{"workflowId": run.GetID(), "runId": run.GetRunID()}, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "started %s (run %s)\n", run.GetID(), run.GetRunID())
				return err
			})
		})
	cmd.Flags().StringVar(&policy, "policy", "", "policy overrides for this case, a JSON object")
	return cmd
}

func reportCmd() *cobra.Command {
	var format, from, to, by string
	cmd := conn.Command(&cobra.Command{
		Use:     "report",
		Short:   "Report on the cases: recovery, promises kept, right-party contact, time per stage, anomalies, rejections, violations, satisfaction; by region and by agent",
		Example: "  bin/starter report\n  bin/starter report -o csv --from 2026-11-01 --to 2026-12-01 > november.csv\n  bin/starter report --by strategy -o json",
		Args:    cobra.NoArgs,
	}, conn.Database,
		func(ctx context.Context, cmd *cobra.Command, b *conn.Conns, _ []string) (err error) {
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
					return cli.Usage(fmt.Errorf("%s %q: want a date YYYY-MM-DD", d.flag, d.v))
				}
				*d.into = t
			}
			if cmd.Flags().Changed("output") || !cmd.Flags().Changed("format") {
				if format, err = cli.Format(cmd); err != nil {
					return err
				}
			}
			if by == "strategy" {
				arms, err := backoffice.ByStrategy(ctx, b.DB, rg)
				if err != nil {
					return err
				}
				if format == "csv" {
					return cli.Usage(errors.New("--by strategy: -o text or json"))
				}
				return cli.Write(cmd.OutOrStdout(), format, arms, func(w io.Writer) error { return backoffice.WriteArms(w, arms) })
			}
			if by != "" {
				return cli.Usage(fmt.Errorf("--by %q: want strategy", by))
			}
			r, err := backoffice.BuildReport(ctx, b.DB, rg)
			if err != nil {
				return err
			}
			switch format {
			case "csv":
				return r.WriteCSV(cmd.OutOrStdout())
			case "text", "json":
				return cli.Write(cmd.OutOrStdout(), format, r, r.WriteText)
			}
			return cli.Usage(fmt.Errorf("--format %q: want text, csv or json", format))
		})
	cli.AlsoOutputs(cmd, "csv")
	cmd.Flags().StringVar(&format, "format", "text", "text (tables), csv or json")
	if err := cmd.Flags().MarkDeprecated("format", "use -o text|csv|json"); err != nil {
		panic(err)
	}
	cmd.Flags().StringVar(&by, "by", "", "strategy: compare the trial's arms (95% intervals, significance against the champion)")
	cli.Complete(cmd, "by", "strategy")
	cmd.Flags().StringVar(&from, "from", "", "first day of the range, YYYY-MM-DD (default: the beginning)")
	cmd.Flags().StringVar(&to, "to", "", "day after the range, YYYY-MM-DD (default: now)")
	return cmd
}

// imported prints an import's summary (and its bad rows on standard error); with strict,
// a rejected row is a refusal (exit 3).
func imported(cmd *cobra.Command, file, what string, st book.Stats, strict bool) error {
	for _, e := range st.Rejected {
		_, _ = fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", file, e) // the bad rows are in the summary too
	}
	if more := st.RejectedTotal - len(st.Rejected); more > 0 {
		_, _ = fmt.Fprintf(cmd.ErrOrStderr(), "%s: %d more rows rejected, not listed (the first %d are)\n", file, more, len(st.Rejected))
	}
	err := cli.Print(cmd, importSummary{File: file, Stats: st}, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "%s: read %d %s: %d imported, %d updated, %d unchanged, %d rejected\n",
			file, st.Read, what, st.Imported, st.Updated, st.Unchanged, st.RejectedTotal)
		return err
	})
	if err != nil {
		return err
	}
	if strict && st.RejectedTotal > 0 {
		return cli.Refused(fmt.Errorf("%s: %d of %d rows rejected (--strict; the good rows were kept)", file, st.RejectedTotal, st.Read))
	}
	return nil
}

// importSummary is an import's result as -o json prints it: the counts, and the rejected
// rows (line, field, reason): the first book.MaxRejectedListed of them, all counted.
type importSummary struct {
	File string `json:"file"`
	book.Stats
}

// countRows counts the data rows of a CSV file (its lines less the header), for the
// progress bar, reading it a block at a time: a book of any size.
func countRows(file string) (int, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, fmt.Errorf("import: %w", err)
	}
	defer func() { _ = f.Close() }() // read only
	lines, buf := 0, make([]byte, 1<<16)
	for {
		n, err := f.Read(buf)
		lines += bytes.Count(buf[:n], []byte("\n"))
		if errors.Is(err, io.EOF) {
			return max(0, lines-1), nil
		}
		if err != nil {
			return 0, fmt.Errorf("import: %w", err)
		}
	}
}

// writePreview prints a screening's preview as a table.
func writePreview(out io.Writer, pv *backoffice.ScreenPreview) error {
	w := bufio.NewWriter(out) // its first error sticks: Flush returns it
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
	return w.Flush()
}
