// Command api serves the agents' HTTP JSON API (see httpapi/openapi.json, served at
// /openapi.json): inbox, case status, the contact check, new addresses and phones, every
// human action and tokens, each request authenticated with the person's own token; the web
// console at / (sign-in with a one-time code, a session cookie); and the codec server (/codec/encode, /codec/decode) that decodes payloads for the Temporal Web UI
// and CLI, for operations only.
//
// Settings: CASEWORK_API_ADDR (default 127.0.0.1:8088); CASEWORK_API_TLS_CERT and
// CASEWORK_API_TLS_KEY (serve HTTPS when both are set); CASEWORK_OPS_SECRET or
// CASEWORK_OPS_SECRET_FILE (the operations credential of the codec server: without it the
// codec server is off); CASEWORK_UI_ORIGINS (comma-separated origins of the Web UI allowed
// to call the codec server; default http://127.0.0.1:8233,http://localhost:8233);
// DATABASE_URL, the payload keys (CASEWORK_CODEC_KEYS or CASEWORK_CODEC_KEYS_FILE) and the
// Temporal client's environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_*...);
// CASEWORK_SECURE_COOKIES=1 marks the console's session cookie Secure when TLS ends at a
// proxy in front; CASEWORK_API_METRICS_ADDR (default 127.0.0.1:9465, off: none) serves
// Prometheus metrics (requests by route and status, latency; the Temporal client's).
// /healthz is served on both addresses, /readyz (PostgreSQL, Temporal) on the metrics one.
// Stops cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/casework/casework/cli"
	"github.com/casework/casework/codec"
	"github.com/casework/casework/httpapi"
	"github.com/casework/casework/platform"
)

func main() {
	cli.Main(&cobra.Command{
		Use:   "api",
		Short: "Serve the agents' HTTP JSON API and the codec server",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return run(cmd.Context()) },
	})
}

func run(ctx context.Context) error {
	metrics := platform.NewMetrics()
	defer func() { _ = metrics.Close() }() // at exit: the metrics stop either way
	svc, err := platform.Connect(ctx, "casework-api", metrics.Handler)
	if err != nil {
		return err
	}
	defer svc.Close()
	logger := svc.Logger
	addr := envOr("CASEWORK_API_ADDR", "127.0.0.1:8088")
	apiMetrics, err := httpapi.NewMetrics(metrics.Registry)
	if err != nil {
		return err
	}
	api := &httpapi.Server{DB: svc.DB, TC: svc.TC, Logger: logger.Named("api"), Metrics: apiMetrics}
	// the metrics on their own address: not beside the API, which faces the agents
	if maddr := envOr("CASEWORK_API_METRICS_ADDR", "127.0.0.1:9465"); maddr != "off" {
		served, err := metrics.Serve(maddr, platform.PostgreSQLCheck(svc.DB), platform.TemporalCheck(svc.TC))
		if err != nil {
			return err
		}
		logger.Info("serving Prometheus metrics", zap.String("url", "http://"+served+"/metrics"))
	}
	cert, key := os.Getenv("CASEWORK_API_TLS_CERT"), os.Getenv("CASEWORK_API_TLS_KEY")
	codecServer, ops, err := codecHandler(logger, cert != "")
	if err != nil {
		return err
	}
	api.Codec, api.Ops = codecServer, ops
	api.SecureCookies = os.Getenv("CASEWORK_SECURE_COOKIES") == "1" // TLS ends at a proxy in front
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	scheme := "http"
	if cert != "" {
		scheme = "https"
	}
	logger.Info("agent API listening", zap.String("url", scheme+"://"+addr), zap.String("openapi", scheme+"://"+addr+"/openapi.json"),
		zap.Bool("codecServer", codecServer != nil))
	return serve(ctx, ln, api.Handler(), cert, key)
}

// serve serves h on ln until ctx ends, with the server's timeouts, over TLS when given a
// certificate and its key, then shuts down cleanly.
func serve(ctx context.Context, ln net.Listener, h http.Handler, cert, key string) error {
	if (cert == "") != (key == "") {
		return errors.New("CASEWORK_API_TLS_CERT and CASEWORK_API_TLS_KEY go together")
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: httpapi.DefaultCallTimeout + 20*time.Second, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: 16 << 10,
		TLSConfig:      &tls.Config{MinVersion: tls.VersionTLS12},
	}
	errs := make(chan error, 1)
	go func() {
		if cert != "" {
			errs <- srv.ServeTLS(ln, cert, key)
			return
		}
		errs <- srv.Serve(ln)
	}()
	select {
	case err := <-errs:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

// codecHandler is the codec server for operations: the payload keys, the operations
// credential as a bearer token, CORS for the Web UI's origins. Nil without a credential.
func codecHandler(logger *zap.Logger, tls bool) (http.Handler, *httpapi.OpsAuth, error) {
	secret, err := opsSecret()
	if err != nil || secret == "" {
		if err == nil {
			logger.Warn("no operations credential (CASEWORK_OPS_SECRET or CASEWORK_OPS_SECRET_FILE): the codec server is off")
		}
		return nil, nil, err
	}
	keys, err := codec.LoadKeys()
	if err != nil {
		return nil, nil, fmt.Errorf("codec server: %w", err)
	}
	origins := strings.Split(envOr("CASEWORK_UI_ORIGINS", "http://127.0.0.1:8233,http://localhost:8233"), ",")
	ops := httpapi.NewOpsAuth(secret, tls)
	return codec.Handler(keys, ops.Authorize, origins), ops, nil
}

func opsSecret() (string, error) {
	if f := os.Getenv("CASEWORK_OPS_SECRET_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("CASEWORK_OPS_SECRET_FILE: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return os.Getenv("CASEWORK_OPS_SECRET"), nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
