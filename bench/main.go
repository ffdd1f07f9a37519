// Command bench measures Casework on the Temporal and PostgreSQL of the environment (the
// embedded stack by default, see the Makefile): `speed` runs cases end to end against the
// Temporal floor, `parked` parks many cases at a human wait, `chaos` breaks things under a
// run of cases. Each writes its figures as JSON and markdown into results/.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"

	"github.com/casework/casework/perf"
	"github.com/casework/casework/perf/floor"
	"github.com/casework/casework/platform"
)

func main() {
	root := &cobra.Command{Use: "bench", Short: "Measure Casework: speed against the Temporal floor, scale, faults"}
	root.PersistentFlags().String("results", "results", "folder for the results (JSON and markdown)")
	root.PersistentFlags().String("dir", ".dev", "folder for logs and the demo book")
	root.PersistentFlags().String("uci", "../shared/data/uci-credit-default/default-of-credit-card-clients.csv", "the UCI credit-card clients file (the demo book's source)")
	root.AddCommand(speedCmd(), floorWorkerCmd())
	platform.Main(root)
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
	c.Flags().DurationVar(&cfg.DayLength, "day", 250*time.Millisecond, "a case day in real time")
	c.Flags().IntVar(&cfg.Starts, "starts", 300, "workflows started by each of the back office and a plain loop")
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		cfg.Dir, _ = cmd.Flags().GetString("dir")
		cfg.UCIFile, _ = cmd.Flags().GetString("uci")
		results, _ := cmd.Flags().GetString("results")
		cfg.Out = cmd.OutOrStdout()
		cfg.Worker = []string{sibling("worker")}
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		cfg.Floor = []string{self, "floor-worker"}
		svc, err := platform.Connect(ctx, nil)
		if err != nil {
			return err
		}
		defer svc.Close()
		meta := perf.NewMeta(ctx, topology(ctx, svc.TC))
		fmt.Fprintf(cfg.Out, "bench speed on %s\nTemporal: %s\n", meta.Machine, meta.Temporal)
		res, err := perf.Speed(ctx, svc.DB, svc.TC, cfg)
		if err != nil {
			return err
		}
		t := perf.SpeedTable(res)
		md := t.Markdown(meta)
		fmt.Fprintln(cfg.Out, "\n"+md)
		return perf.Write(results, "speed-"+perf.TopologyName(), meta, res, t)
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

func workflowOptions(name string) workflow.RegisterOptions { return workflow.RegisterOptions{Name: name} }
