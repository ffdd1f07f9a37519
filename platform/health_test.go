package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// /healthz answers while the process serves; /readyz only when every dependency does, and
// names the one that does not; a check that hangs is cut short.
func TestHealth(t *testing.T) {
	var dbErr error
	mux := http.NewServeMux()
	HandleHealth(mux,
		Check{Name: "postgresql", Run: func(context.Context) error { return dbErr }},
		Check{Name: "slow", Run: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
	)
	get := func(path string) (int, map[string]any) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: %v: %q", path, err, rec.Body.String())
		}
		return rec.Code, body
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d", code)
	}
	dbErr = errors.New("connection refused")
	start := time.Now()
	code, body := get("/readyz")
	checks, _ := body["checks"].(map[string]any)
	if strings.Contains(fmt.Sprint(body), "refused") {
		t.Errorf("/readyz tells why: %v", body)
	}
	if code != http.StatusServiceUnavailable || checks["postgresql"] != "unavailable" || checks["slow"] != "unavailable" {
		t.Errorf("/readyz = %d %v, want 503 naming postgresql and slow", code, body)
	}
	if d := time.Since(start); d > 3*readyTimeout {
		t.Errorf("/readyz took %s", d)
	}
	ok := http.NewServeMux()
	HandleHealth(ok, Check{Name: "postgresql", Run: func(context.Context) error { return nil }})
	rec := httptest.NewRecorder()
	ok.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/readyz with every check answering = %d %s", rec.Code, rec.Body)
	}
}
