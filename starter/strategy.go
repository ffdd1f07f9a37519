package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/casework/casework/backoffice"
	"github.com/casework/casework/book"
	"github.com/casework/casework/cli"
	"github.com/casework/casework/cli/conn"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/platform"
	"github.com/casework/casework/progress"
	"github.com/casework/casework/score"
)

// importHistoryCmd imports the accounts' monthly history, and optionally their outcomes
// (the label the score learns) and the fairness attributes (read only by the report).
func importHistoryCmd() *cobra.Command {
	var outcomes, attributes string
	var strict bool
	cmd := conn.Command(&cobra.Command{
		Use:   "import-history FILE",
		Short: "Import the accounts' monthly history (CSV); bad rows are reported by line, good rows kept",
		Long: `Import the accounts' monthly history: account_id,month,days_past_due,bill_amount,paid_amount
(money in minor units; month YYYY-MM) and, optionally, credit_limit. Importing the same file
again changes nothing. --outcomes FILE (account_id,paid) records what happened next, the
label the score learns; --attributes FILE (account_id,sex) is kept apart, for the fairness
report only.`,
		Example: "  bin/starter import-history .dev/history.csv --outcomes .dev/outcomes.csv --attributes .dev/attributes.csv",
		Args:    cobra.ExactArgs(1),
	}, conn.Database, func(ctx context.Context, cmd *cobra.Command, b *conn.Conns, args []string) error {
		rows, err := countRows(args[0])
		if err != nil {
			return err
		}
		f, err := os.Open(args[0])
		if err != nil {
			return fmt.Errorf("import-history: %w", err)
		}
		defer func() { _ = f.Close() }() // read only
		bar := progress.New(os.Stderr, "history", rows)
		st, err := book.ImportHistory(ctx, b.DB, f, bar.Set)
		bar.Done()
		if err != nil {
			return err
		}
		refused := imported(cmd, args[0], "months", st, strict)
		for _, side := range []struct {
			file string
			run  func(io.Reader) (book.Stats, error)
		}{
			{outcomes, func(r io.Reader) (book.Stats, error) {
				return book.ImportOutcomes(ctx, b.DB, r, filepath.Base(outcomes))
			}},
			{attributes, func(r io.Reader) (book.Stats, error) { return book.ImportAttributes(ctx, b.DB, r) }},
		} {
			if side.file == "" {
				continue
			}
			f, err := os.Open(side.file)
			if err != nil {
				return fmt.Errorf("import-history: %w", err)
			}
			st, err := side.run(f)
			_ = f.Close() // read only
			if err != nil {
				return err
			}
			if err := imported(cmd, side.file, "rows", st, strict); err != nil && refused == nil {
				refused = err
			}
		}
		return refused
	})
	cmd.Flags().BoolVar(&strict, "strict", false, "exit 3 when any row is rejected (the good rows are kept)")
	cmd.Flags().StringVar(&outcomes, "outcomes", "", "a CSV of account_id,paid: what happened next (the label)")
	cmd.Flags().StringVar(&attributes, "attributes", "", "a CSV of account_id,sex: for the fairness report only")
	return cmd
}

// trainCmd learns a propensity-to-pay model and stores it as a new version.
func trainCmd() *cobra.Command {
	p := score.DefaultParams
	var fromOutcomes bool
	var results string
	cmd := conn.Command(&cobra.Command{
		Use:   "train",
		Short: "Learn the propensity-to-pay score from the history and outcomes; store it as a new model version",
		Long: `Learn the propensity-to-pay score from the accounts' history and outcomes, on all but a
held-out share chosen by a stable hash of the account id and --seed, and report on the held-out
accounts: AUC, Brier score, calibration and the four-fifths ratio by sex, the same for the plain
days-past-due-and-amount rule. The same data and seed give the same model (digest). The model is
stored as a new version; the first one becomes the champion, later ones by 'model promote'.
--from-outcomes learns from the agency's own closed cases instead (lessons learned).`,
		Example: "  bin/starter train --results results\n  bin/starter train --from-outcomes && bin/starter model promote 2",
		Args:    cobra.NoArgs,
	}, conn.Database, func(ctx context.Context, cmd *cobra.Command, b *conn.Conns, _ []string) error {
		source := backoffice.SourceHistory
		if fromOutcomes {
			source = backoffice.SourceCases
		}
		t, err := backoffice.Train(ctx, b.DB, source, p)
		if err != nil {
			return err
		}
		title := fmt.Sprintf("Training report: model %d (%s)", t.Version, source)
		md := t.Report.Markdown(title)
		err = cli.Print(cmd, t, func(w io.Writer) error {
			next := fmt.Sprintf("model %d is the champion (the first model)", t.Version)
			if !t.Champion {
				next = fmt.Sprintf("model %d stored; 'bin/starter model promote %d' makes it the champion if it beats the current one", t.Version, t.Version)
			}
			_, err := fmt.Fprintf(w, "%s\n%s\n", md, next)
			return err
		})
		if err != nil || results == "" {
			return err
		}
		if err := os.MkdirAll(results, 0o755); err != nil {
			return fmt.Errorf("train: %w", err)
		}
		js, err := json.MarshalIndent(t, "", "  ")
		if err != nil {
			return fmt.Errorf("train: %w", err)
		}
		name := filepath.Join(results, "training-"+source)
		if err := os.WriteFile(name+".json", append(js, '\n'), 0o644); err != nil {
			return fmt.Errorf("train: %w", err)
		}
		return os.WriteFile(name+".md", []byte(md), 0o644)
	})
	f := cmd.Flags()
	f.BoolVar(&fromOutcomes, "from-outcomes", false, "learn from the agency's own closed cases")
	f.Uint64Var(&p.Seed, "seed", p.Seed, "the seed of the held-out split")
	f.Float64Var(&p.HoldOut, "hold-out", p.HoldOut, "the share of accounts held out")
	f.IntVar(&p.Trees, "trees", p.Trees, "boosting rounds")
	f.IntVar(&p.Depth, "depth", p.Depth, "depth of each tree")
	f.StringVar(&results, "results", "", "also write the report as JSON and markdown into this folder")
	return cmd
}

// modelCmd lists the models and promotes one.
func modelCmd() *cobra.Command {
	root := &cobra.Command{Use: "model", Short: "List the score's models; promote one to champion"}
	list := conn.Command(&cobra.Command{Use: "list", Short: "The models, newest first, with their held-out AUC", Args: cobra.NoArgs}, conn.Database,
		func(ctx context.Context, cmd *cobra.Command, b *conn.Conns, _ []string) error {
			rows, err := b.DB.Query(ctx, `SELECT version, trained_at, source, champion, (report->'model'->>'auc')::float8,
				(report->'plainRule'->>'auc')::float8, model_digest FROM models ORDER BY version DESC`)
			if err != nil {
				return fmt.Errorf("models: %w", err)
			}
			defer rows.Close()
			type model struct {
				Version  int       `json:"version"`
				Trained  time.Time `json:"trainedAt"`
				Source   string    `json:"source"`
				Champion bool      `json:"champion"`
				AUC      float64   `json:"auc"`
				PlainAUC float64   `json:"plainRuleAuc"`
				Digest   string    `json:"modelDigest"`
			}
			models := []model{}
			for rows.Next() {
				var m model
				if err := rows.Scan(&m.Version, &m.Trained, &m.Source, &m.Champion, &m.AUC, &m.PlainAUC, &m.Digest); err != nil {
					return fmt.Errorf("models: %w", err)
				}
				models = append(models, m)
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("models: %w", err)
			}
			return cli.Print(cmd, models, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "version\ttrained\tsource\tchampion\tAUC\tplain\tdigest")
				for _, m := range models {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%t\t%.4f\t%.4f\t%.12s\n", m.Version, m.Trained.Local().Format(time.DateTime), m.Source, m.Champion, m.AUC, m.PlainAUC, m.Digest)
				}
				return tw.Flush()
			})
		})
	promote := conn.Command(&cobra.Command{
		Use:   "promote VERSION",
		Short: "Make a model the champion if it beats the current one on its held-out accounts",
		Args:  cobra.ExactArgs(1),
	}, conn.Database, func(ctx context.Context, cmd *cobra.Command, b *conn.Conns, args []string) error {
		v, err := strconv.Atoi(args[0])
		if err != nil {
			return cli.Usage(fmt.Errorf("model promote: VERSION %q: want a number", args[0]))
		}
		c, err := backoffice.Promote(ctx, b.DB, v)
		if c != nil {
			if perr := cli.Print(cmd, c, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "model %d against the champion %d on %d held-out accounts: AUC %.4f against %.4f\n",
					c.Candidate, c.Champion, c.Examples, c.CandidateAUC, c.ChampionAUC)
				return err
			}); perr != nil {
				return perr
			}
		}
		if err != nil {
			return err
		}
		if f, _ := cli.Format(cmd); f == "text" {
			if _, err := fmt.Fprintf(cmd.OutOrStdout(), "model %d is the champion: screenings score with it from now on\n", v); err != nil {
				return err
			}
		}
		return nil
	})
	root.AddCommand(list, promote)
	return root
}

// strategyCmd manages the champion/challenger strategies.
func strategyCmd() *cobra.Command {
	root := &cobra.Command{Use: "strategy", Short: "The champion and challenger strategies: list, set, promote"}
	list := conn.Command(&cobra.Command{Use: "list", Short: "The strategies, their paths and shares", Args: cobra.NoArgs}, conn.Database,
		func(ctx context.Context, cmd *cobra.Command, b *conn.Conns, _ []string) error {
			arms, err := backoffice.Strategies(ctx, b.DB)
			if err != nil {
				return err
			}
			return cli.Print(cmd, arms, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "strategy\trule\tpath\tshare\tchampion\tpolicy")
				for _, s := range arms {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%t\t%s\n", s.Name, s.Rule, s.Path, s.Share, s.Champion, s.Policy)
				}
				return tw.Flush()
			})
		})
	var s backoffice.Strategy
	var policy string
	var set *cobra.Command
	set = conn.Command(&cobra.Command{
		Use:     "set NAME",
		Short:   "Add or change a strategy: its contact path, its share of new cases, its policy overrides",
		Example: "  bin/starter strategy set phone-first --path phone-first --share 50\n  bin/starter strategy set visit-first --share 50",
		Args:    cobra.ExactArgs(1),
	}, conn.Database, func(ctx context.Context, cmd *cobra.Command, b *conn.Conns, args []string) error {
		p, err := platform.DeploymentPolicy()
		if err != nil {
			return err
		}
		// what the flags do not say stays as it is (a new strategy: visit first, no share)
		next := backoffice.Strategy{Name: args[0], Path: contract.PathVisitFirst, Rule: backoffice.RuleExpectedRecovery, Policy: json.RawMessage(`{}`)}
		arms, err := backoffice.Strategies(ctx, b.DB)
		if err != nil {
			return err
		}
		for _, a := range arms {
			if a.Name == args[0] {
				next = a
			}
		}
		flags := set.Flags()
		if flags.Changed("path") {
			next.Path = s.Path
		}
		if flags.Changed("rule") {
			next.Rule = s.Rule
		}
		if flags.Changed("share") {
			next.Share = s.Share
		}
		if flags.Changed("policy") {
			next.Policy = json.RawMessage(policy)
		}
		if err := backoffice.SetStrategy(ctx, b.DB, p, next); err != nil {
			return err
		}
		return cli.Print(cmd, next, func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "strategy %s: %s, rule %s, share %d, policy %s\n", next.Name, next.Path, next.Rule, next.Share, next.Policy)
			return err
		})
	})
	set.Flags().StringVar(&s.Path, "path", "", "visit-first or phone-first (default visit-first)")
	set.Flags().StringVar(&s.Rule, "rule", "", "screening rule when the capacity binds: expected-recovery (default) or plain")
	set.Flags().IntVar(&s.Share, "share", 0, "its weight among the strategies' shares for new cases (0 to 100)")
	set.Flags().StringVar(&policy, "policy", "", "policy overrides, a JSON object (may only tighten the deployment's)")
	cli.Complete(set, "path", contract.ContactPaths...)
	cli.Complete(set, "rule", backoffice.RuleExpectedRecovery, backoffice.RulePlain)
	promote := conn.Command(&cobra.Command{
		Use:   "promote NAME",
		Short: "Make a strategy the champion for new cases (running cases keep theirs)",
		Args:  cobra.ExactArgs(1),
	}, conn.Database, func(ctx context.Context, cmd *cobra.Command, b *conn.Conns, args []string) error {
		if err := backoffice.PromoteStrategy(ctx, b.DB, args[0]); err != nil {
			return err
		}
		return cli.Print(cmd, map[string]string{"champion": args[0]}, func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "%s is the champion\n", args[0])
			return err
		})
	})
	root.AddCommand(list, set, promote)
	return root
}
