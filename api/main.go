// Command api serves the HTTP JSON API for agents' mobile and web tools (see
// httpapi/openapi.json, served at /openapi.json): inbox, case status and every human
// action, each request authenticated with the agent's token.
//
// Settings: CASEWORK_API_ADDR (default 127.0.0.1:8088), DATABASE_URL and the Temporal
// client's environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ...). Stops cleanly on
// SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/casework/casework/httpapi"
	"github.com/casework/casework/platform"
)

func main() {
	platform.Main(&cobra.Command{
		Use:   "api",
		Short: "Serve the agents' HTTP JSON API",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return run(cmd.Context()) },
	})
}

func run(ctx context.Context) error {
	svc, err := platform.Connect(ctx, nil)
	if err != nil {
		return err
	}
	defer svc.Close()
	logger := svc.Logger
	addr := os.Getenv("CASEWORK_API_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8088"
	}
	srv := &http.Server{Addr: addr, Handler: (&httpapi.Server{DB: svc.DB, TC: svc.TC}).Handler(), ReadHeaderTimeout: 5 * time.Second}
	errs := make(chan error, 1)
	go func() { errs <- srv.ListenAndServe() }()
	logger.Info("agent API listening", zap.String("url", "http://"+addr), zap.String("openapi", "http://"+addr+"/openapi.json"))
	select {
	case err := <-errs:
		return fmt.Errorf("serve %s: %w", addr, err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}
