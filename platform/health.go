package platform

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
)

// Check is one dependency a program needs to do its work, asked by /readyz.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// PostgreSQLCheck answers when the pool reaches PostgreSQL.
func PostgreSQLCheck(db *pgxpool.Pool) Check {
	return Check{Name: "postgresql", Run: db.Ping}
}

// TemporalCheck answers when the Temporal frontend does.
func TemporalCheck(tc client.Client) Check {
	return Check{Name: "temporal", Run: func(ctx context.Context) error {
		_, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}}
}

// HandleLiveness adds GET /healthz alone (the process serves): what a public listener
// answers, where /readyz, which asks the dependencies each time, would let anyone load them.
func HandleLiveness(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeHealth(w, http.StatusOK, map[string]any{"status": "ok"})
	})
}

// readyTimeout bounds each check of /readyz: a healthcheck must answer, even "no".
const readyTimeout = 2 * time.Second

// HandleHealth adds GET /healthz (the process serves: always 200) and GET /readyz (200
// when every check answers, else 503 naming the failing ones, not why) to mux: a container's
// liveness and readiness probes, and compose's healthchecks.
func HandleHealth(mux *http.ServeMux, checks ...Check) {
	HandleLiveness(mux)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		results, code := map[string]string{}, http.StatusOK
		for _, c := range checks {
			ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
			err := c.Run(ctx)
			cancel()
			if err != nil {
				// only which one: the probe may come from beyond the trust boundary, and the
				// error names hosts and addresses (the program's own log has them)
				results[c.Name], code = "unavailable", http.StatusServiceUnavailable
			} else {
				results[c.Name] = "ok"
			}
		}
		status := "ready"
		if code != http.StatusOK {
			status = "not ready"
		}
		writeHealth(w, code, map[string]any{"status": status, "checks": results})
	})
}

func writeHealth(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the status line is sent: a probe that went away has its answer
}
