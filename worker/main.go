// Command worker runs Casework's case workflows and activities on the casework task queue.
//
// Settings come from the environment: DATABASE_URL (PostgreSQL), the Temporal client's
// TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY and TEMPORAL_TLS* (SDK envconfig),
// CASEWORK_POLICY or CASEWORK_POLICY_FILE (the deployment's policy overrides),
// CASEWORK_METRICS_ADDR (where Prometheus metrics are served), LOG_FORMAT
// (json or console), LOG_LEVEL and CASEWORK_STICKY_CACHE (how many cases the worker
// keeps cached; the SDK's default is 10,000). It stops cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/cli"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/notify"
	"github.com/casework/casework/platform"
)

func main() {
	cli.Main(&cobra.Command{
		Use:   "worker",
		Short: "Run Casework's case workflows and activities",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return run(cmd.Context()) },
	})
}

func run(ctx context.Context) error {
	policy, err := platform.DeploymentPolicy()
	if err != nil {
		return err
	}
	metrics := platform.NewMetrics()
	defer func() { _ = metrics.Close() }() // at exit: the logger is closed already, and the metrics stop either way
	svc, err := platform.Connect(ctx, metrics.Handler)
	if err != nil {
		return err
	}
	defer svc.Close()
	logger := svc.Logger
	if addr := metricsAddr(); addr != "" {
		served, err := metrics.Serve(addr)
		if err != nil {
			return err
		}
		logger.Info("serving Prometheus metrics", zap.String("url", "http://"+served+"/metrics"))
	}
	if err := platform.SetStickyCache(); err != nil {
		return err
	}
	w := platform.NewCaseWorker(svc.TC, &activities.Activities{DB: svc.DB, Notifier: notify.Development(logger), Policy: policy}, worker.Options{})
	logger.Info("worker starting", zap.String("taskQueue", contract.TaskQueue), zap.Duration("dayLength", policy.DayLength.D()))
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	<-ctx.Done()
	logger.Info("worker stopping: finishing the tasks in hand")
	w.Stop()
	return nil
}

// metricsAddr is where /metrics is served: CASEWORK_METRICS_ADDR (host:port), by default
// 127.0.0.1:9464; "off" serves nothing.
func metricsAddr() string {
	switch v := os.Getenv("CASEWORK_METRICS_ADDR"); v {
	case "":
		return "127.0.0.1:9464"
	case "off":
		return ""
	default:
		return v
	}
}
