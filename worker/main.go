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
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/cli"
	"github.com/casework/casework/cli/conn"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/notify"
	"github.com/casework/casework/platform"
)

func main() {
	cli.Main(&cobra.Command{
		Use:   "worker",
		Short: "Run Casework's case workflows and activities",
		Long: `Run Casework's case workflows and activities on the casework task queue, until SIGINT or
SIGTERM (then it finishes the tasks in hand). It serves Prometheus metrics at /metrics,
liveness at /healthz and readiness at /readyz (PostgreSQL, Temporal, polling) on
CASEWORK_METRICS_ADDR.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context()) },
	}, append([]cli.EnvVar{
		{Name: "CASEWORK_METRICS_ADDR", Help: "where /metrics, /healthz and /readyz are served (default 127.0.0.1:9464; off: nowhere)"},
		{Name: "CASEWORK_STICKY_CACHE", Help: "how many cases the worker keeps cached (the SDK's default: 10,000)"},
		{Name: "CASEWORK_POLICY_FILE", Help: "the deployment's policy overrides from a file instead of CASEWORK_POLICY"},
	}, conn.Env...)...)
}

func run(ctx context.Context) error {
	policy, err := platform.DeploymentPolicy()
	if err != nil {
		return err
	}
	metrics := platform.NewMetrics()
	defer func() { _ = metrics.Close() }() // at exit: the logger is closed already, and the metrics stop either way
	svc, err := platform.Connect(ctx, "casework-worker", metrics.Handler)
	if err != nil {
		return err
	}
	defer svc.Close()
	logger := svc.Logger
	var polling atomic.Bool // ready once the worker polls its task queue
	if addr := metricsAddr(); addr != "" {
		served, err := metrics.Serve(addr, platform.PostgreSQLCheck(svc.DB), platform.TemporalCheck(svc.TC),
			platform.Check{Name: "worker", Run: func(context.Context) error {
				if !polling.Load() {
					return errors.New("not polling yet")
				}
				return nil
			}})
		if err != nil {
			return err
		}
		logger.Info("serving Prometheus metrics and health", zap.String("metrics", "http://"+served+"/metrics"),
			zap.String("ready", "http://"+served+"/readyz"))
	}
	if err := platform.SetStickyCache(); err != nil {
		return err
	}
	w := platform.NewCaseWorker(svc.TC, &activities.Activities{DB: svc.DB, Notifier: notify.Development(logger), Policy: policy}, worker.Options{})
	logger.Info("worker starting", zap.String("taskQueue", contract.TaskQueue), zap.Duration("dayLength", policy.DayLength.D()))
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	polling.Store(true)
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
