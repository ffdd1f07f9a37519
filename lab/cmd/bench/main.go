// Command bench measures Casework on the Temporal and PostgreSQL of the environment (the
// embedded stack by default, see the Makefile): `speed` runs cases end to end against the
// Temporal floor, `parked` parks many cases at a human wait, `chaos` breaks things under a
// run of cases. Each writes its figures as JSON and markdown into results/.
package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"

	"github.com/casework/casework/backoffice"
	"github.com/casework/casework/cli"
	"github.com/casework/casework/lab/demo"
	"github.com/casework/casework/lab/perf"
	"github.com/casework/casework/lab/perf/floor"
	"github.com/casework/casework/platform"
)

func main() {
	root := &cobra.Command{Use: "bench", Short: "Measure Casework: speed against the Temporal floor, scale, faults"}
	root.PersistentFlags().String("results", "results", "folder for the results (JSON and markdown)")
	root.PersistentFlags().String("dir", ".dev", "folder for logs and the demo book")
	root.PersistentFlags().String("uci", "data/uci-credit-default/default-of-credit-card-clients.csv", "the UCI credit-card clients file (the demo book's source)")
	root.AddCommand(speedCmd(), parkedCmd(), chaosCmd(), consoleCmd(), importCmd(), floorWorkerCmd())
	cli.Main(root)
}

// topology names the Temporal the benchmark runs on, as the server tells it.
func topology(ctx context.Context, tc client.Client) string {
	info, err := tc.WorkflowService().GetClusterInfo(ctx, &workflowservice.GetClusterInfoRequest{})
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return fmt.Sprintf("server %s, %d history shards, persistence %s, visibility %s", info.GetServerVersion(),
		info.GetHistoryShardCount(), info.GetPersistenceStore(), info.GetVisibilityStore())
}

// benchNamespace is the benchmarks' own namespace: what runs there is theirs.
const benchNamespace = "casework-bench"

// cleanNamespace terminates what an interrupted earlier run left running, in the
// benchmarks' own namespace only.
func cleanNamespace(ctx context.Context, tc client.Client, out io.Writer) error {
	ns := os.Getenv("TEMPORAL_NAMESPACE")
	if ns != benchNamespace {
		say(out, "namespace %q is not the benchmarks' own (%s): nothing terminated\n", ns, benchNamespace)
		return nil
	}
	n, err := perf.TerminateRunning(ctx, tc, ns)
	if n > 0 {
		say(out, "terminated %d workflows left running in %s by an earlier run\n", n, ns)
	}
	return err
}

// session is what every benchmark command starts with: its folders, the services, the
// run's meta printed, and the benchmarks' namespace cleaned of earlier runs.
type session struct {
	svc               *platform.Services
	meta              perf.Meta
	dir, uci, results string
	out               io.Writer
}

func openSession(cmd *cobra.Command) (*session, error) {
	ctx := cmd.Context()
	s := &session{out: cmd.OutOrStdout()}
	s.dir, _ = cmd.Flags().GetString("dir")
	s.uci, _ = cmd.Flags().GetString("uci")
	s.results, _ = cmd.Flags().GetString("results")
	svc, err := platform.Connect(ctx, "casework-bench", nil)
	if err != nil {
		return nil, err
	}
	s.svc = svc
	s.meta = perf.NewMeta(ctx, topology(ctx, svc.TC))
	say(s.out, "bench %s on %s\nTemporal: %s\n", cmd.Name(), s.meta.Machine, s.meta.Temporal)
	if err := cleanNamespace(ctx, svc.TC, s.out); err != nil {
		svc.Close()
		return nil, err
	}
	return s, nil
}

// sibling is a program next to this one (bin/).
func sibling(name string) string {
	self, err := os.Executable()
	if err != nil {
		return name
	}
	return filepath.Join(filepath.Dir(self), name)
}

func speedCmd() *cobra.Command {
	cfg := perf.SpeedConfig{}
	c := &cobra.Command{
		Use:   "speed",
		Short: "Cases end to end against the Temporal floor; start rates; the import against COPY",
		Args:  cobra.NoArgs,
	}
	c.Flags().IntVar(&cfg.Cases, "cases", 300, "cases driven end to end")
	c.Flags().IntVar(&cfg.InFlight, "in-flight", 50, "cases (and floor workflows) open at once")
	c.Flags().Float64Var(&cfg.Pace, "pace", backoffice.DefaultPace().PerSecond, "cases (and floor workflows) started a second at most, the back office's screening pace (0: no limit)")
	c.Flags().BoolVar(&cfg.FloorSearchAttributes, "floor-search-attributes", true, "run the floor a second time upserting a search attribute where each case did: a diagnostic of how much of the gap is the contract's search attributes")
	c.Flags().IntVar(&cfg.WarmUp, "warm-up", 100, "workflows of a short shape run through the server first, not measured (0: none)")
	c.Flags().IntVar(&cfg.Workers, "workers", 1, "case worker processes (and as many floor workers)")
	c.Flags().DurationVar(&cfg.DayLength, "day", time.Second, "a case day in real time (long enough for the simulated agents to make their deadlines)")
	c.Flags().IntVar(&cfg.Starts, "starts", 300, "workflows started by each of the back office and a plain loop")
	c.Flags().BoolVar(&cfg.OnlyStarts, "only-starts", false, "measure the start rates alone (no results written)")
	var withoutCodec bool
	c.Flags().BoolVar(&withoutCodec, "codec-cost", true, "run the cases again with the payload codec off, to measure its cost")
	c.Flags().StringSliceVar(&cfg.ServerMetrics, "server-metrics", splitList(os.Getenv("CASEWORK_SERVER_METRICS")),
		"the Temporal server's /metrics, host:port of each process (default $CASEWORK_SERVER_METRICS, which scripts/stack.sh writes): what it wrote per workflow, each side")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		ss, err := openSession(cmd)
		if err != nil {
			return err
		}
		defer ss.svc.Close()
		svc, meta, results := ss.svc, ss.meta, ss.results
		cfg.Dir, cfg.UCIFile, cfg.Out = ss.dir, ss.uci, ss.out
		cfg.Namespace = cmp.Or(os.Getenv("TEMPORAL_NAMESPACE"), "default") // the client's, as envconfig reads it
		cfg.Worker = []string{sibling("worker")}
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		cfg.Floor = []string{self, "floor-worker"}
		if withoutCodec {
			if cfg.Plain, err = platform.DialTemporalWith(svc.Logger, nil, converter.GetDefaultDataConverter()); err != nil {
				return err
			}
			defer cfg.Plain.Close()
		}
		res, err := perf.Speed(ctx, svc.DB, svc.TC, cfg)
		if err != nil || cfg.OnlyStarts {
			return err
		}
		t := perf.SpeedTable(res)
		md := t.Markdown(meta)
		say(cfg.Out, "%s\n", "\n"+md)
		if err := perf.Write(results, "speed-"+perf.TopologyName(), meta, res, t); err != nil {
			return err
		}
		if res.Wrong > 0 {
			return fmt.Errorf("%s: the simulated agents did not drive every case right (a longer --day gives them time)", res.Outcomes)
		}
		return nil
	}
	return c
}

func parkedCmd() *cobra.Command {
	cfg := perf.ParkedConfig{}
	c := &cobra.Command{
		Use:   "parked",
		Short: "Park many cases at a human wait: the worker's memory and goroutines, default and tuned cache; wake latency",
		Args:  cobra.NoArgs,
	}
	c.Flags().IntVar(&cfg.Cases, "cases", 20000, "cases parked")
	c.Flags().IntVar(&cfg.TunedCache, "tuned-cache", 1000, "the second worker's sticky cache size")
	c.Flags().IntVar(&cfg.Wake, "wake", 300, "parked cases woken, one at a time")
	c.Flags().IntVar(&cfg.StartsAtOnce, "starts-at-once", 8, "screening concurrency")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		ss, err := openSession(cmd)
		if err != nil {
			return err
		}
		defer ss.svc.Close()
		svc, meta, results := ss.svc, ss.meta, ss.results
		cfg.Dir, cfg.UCIFile, cfg.Out = ss.dir, ss.uci, ss.out
		cfg.Worker = []string{sibling("worker")}
		res, err := perf.Parked(ctx, svc.DB, svc.TC, cfg)
		if err != nil {
			return err
		}
		t := perf.ParkedTable(res)
		say(cfg.Out, "%s\n", "\n"+t.Markdown(meta))
		if err := perf.Write(results, "parked-"+perf.TopologyName(), meta, res, t); err != nil {
			return err
		}
		say(cfg.Out, "%s\n", "terminating the parked cases")
		return cleanNamespace(ctx, svc.TC, cfg.Out)
	}
	return c
}

func chaosCmd() *cobra.Command {
	cfg := perf.ChaosConfig{}
	var restartPG, restartTemporal string
	c := &cobra.Command{
		Use:   "chaos",
		Short: "Cases end to end while the worker is killed and PostgreSQL and Temporal restart; then check every case",
		Args:  cobra.NoArgs,
	}
	c.Flags().IntVar(&cfg.Cases, "cases", 500, "cases driven end to end")
	c.Flags().IntVar(&cfg.InFlight, "in-flight", 50, "cases open at once")
	c.Flags().DurationVar(&cfg.DayLength, "day", 2*time.Second, "a case day in real time")
	c.Flags().IntVar(&cfg.Workers, "workers", 2, "worker processes: a kill takes one of them, the other works on")
	c.Flags().IntVar(&cfg.Kills, "kills", 10, "SIGKILLs of a worker")
	c.Flags().IntVar(&cfg.PGRestarts, "pg-restarts", 2, "PostgreSQL restarts")
	c.Flags().IntVar(&cfg.TemporalRestarts, "temporal-restarts", 1, "Temporal server restarts (data kept)")
	c.Flags().StringVar(&restartPG, "restart-pg", "scripts/stack.sh restart-pg", "the command that restarts PostgreSQL")
	c.Flags().StringVar(&restartTemporal, "restart-temporal", "scripts/stack.sh restart-temporal", "the command that restarts the Temporal server")
	c.Flags().Uint64Var(&cfg.Seed, "seed", 0, "seed of the fault moments (0: from the clock)")
	c.Flags().DurationVar(&cfg.Timeout, "timeout", 30*time.Minute, "give up after")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		ss, err := openSession(cmd)
		if err != nil {
			return err
		}
		defer ss.svc.Close()
		svc, meta, results := ss.svc, ss.meta, ss.results
		cfg.Dir, cfg.UCIFile, cfg.Out = ss.dir, ss.uci, ss.out
		cfg.Worker = []string{sibling("worker")}
		cfg.RestartPG, cfg.RestartTemporal = strings.Fields(restartPG), strings.Fields(restartTemporal)
		res, err := perf.Chaos(ctx, svc.DB, svc.TC, cfg)
		if err != nil {
			return err
		}
		say(cfg.Out, "\n")
		if err := perf.WriteChecks(cfg.Out, res.Checks); err != nil {
			return err
		}
		if results != "" {
			name := fmt.Sprintf("chaos-%s-%d", perf.TopologyName(), cfg.Cases)
			if err := perf.Write(results, name, meta, res, perf.ChaosTable(res)); err != nil {
				return err
			}
		}
		if !res.OK() {
			return fmt.Errorf("chaos: a check failed (seed %d)", res.Seed)
		}
		say(cfg.Out, "%s\n", "\nchaos: every check passed")
		return nil
	}
	return c
}

// floorWorkerCmd runs the floor's worker: the same worker options as the case worker, the
// floor workflow and its do-nothing activities.
func floorWorkerCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "floor-worker",
		Short:  "Run the Temporal floor's worker (the benchmark starts it)",
		Args:   cobra.NoArgs,
		Hidden: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			logger, err := platform.NewLogger()
			if err != nil {
				return err
			}
			metrics := platform.NewMetrics()
			defer func() { _ = metrics.Close() }()
			if _, err := metrics.Serve(os.Getenv("CASEWORK_METRICS_ADDR")); err != nil {
				return err
			}
			tc, err := platform.DialTemporalWithMetrics(logger, metrics.Handler)
			if err != nil {
				return err
			}
			defer tc.Close()
			w := worker.New(tc, floor.TaskQueue, platform.WorkerOptions(worker.Options{}))
			w.RegisterWorkflowWithOptions(floor.Workflow, workflowOptions(floor.WorkflowType))
			w.RegisterActivity(&floor.Activities{})
			if err := w.Start(); err != nil {
				return fmt.Errorf("floor worker: %w", err)
			}
			logger.Info("floor worker started", zap.String("taskQueue", floor.TaskQueue))
			<-ctx.Done()
			w.Stop()
			return nil
		},
	}
}

func workflowOptions(name string) workflow.RegisterOptions {
	return workflow.RegisterOptions{Name: name}
}

func consoleCmd() *cobra.Command {
	cfg := perf.ConsoleConfig{}
	c := &cobra.Command{
		Use:   "console",
		Short: "The web console's inbox and case page load times on an idle server",
		Args:  cobra.NoArgs,
	}
	c.Flags().IntVar(&cfg.Cases, "cases", 200, "cases parked at the phone agents' wait (the inboxes)")
	c.Flags().IntVar(&cfg.Requests, "requests", 300, "loads of each page measured")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ss, err := openSession(cmd)
		if err != nil {
			return err
		}
		defer ss.svc.Close()
		cfg.Dir, cfg.UCIFile, cfg.Out = ss.dir, ss.uci, ss.out
		cfg.Worker = []string{sibling("worker")}
		res, err := perf.Console(cmd.Context(), ss.svc.DB, ss.svc.TC, cfg)
		if err != nil {
			return err
		}
		t := perf.ConsoleTable(res)
		say(ss.out, "%s\n", "\n"+t.Markdown(ss.meta))
		if err := perf.Write(ss.results, "console-"+perf.TopologyName(), ss.meta, res, t); err != nil {
			return err
		}
		return cleanNamespace(cmd.Context(), ss.svc.TC, ss.out)
	}
	return c
}

func importCmd() *cobra.Command {
	var rows int
	c := &cobra.Command{
		Use:   "import",
		Short: "The book import: the demo book against plain COPY, and a large synthetic book's speed and memory",
		Args:  cobra.NoArgs,
	}
	c.Flags().IntVar(&rows, "rows", 1_000_000, "accounts in the synthetic book")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ss, err := openSession(cmd)
		if err != nil {
			return err
		}
		defer ss.svc.Close()
		if _, err := demo.WriteUCIBook(ss.uci, filepath.Join(ss.dir, "demo-book.csv")); err != nil {
			return err
		}
		res, err := perf.ImportBig(cmd.Context(), ss.svc.DB, ss.dir, filepath.Join(ss.dir, "demo-book.csv"), rows)
		if err != nil {
			return err
		}
		t := perf.BigImportTable(res)
		say(ss.out, "%s\n", "\n"+t.Markdown(ss.meta))
		return perf.Write(ss.results, "import-"+perf.TopologyName(), ss.meta, res, t)
	}
	return c
}

// say prints a line of a run's narration to out. It is for the person watching: a write
// that fails (a closed terminal or pipe) must not stop a measurement, whose figures go to
// the results files, so its error is dropped, here only.
func say(out io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(out, format, args...)
}

// splitList is a comma-separated list's items, with no empty ones.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
