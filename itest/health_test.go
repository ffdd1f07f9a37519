//go:build integration

package itest

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"

	"github.com/casework/casework/httpapi"
	"github.com/casework/casework/store"
)

// readyz asks url's /readyz and returns its status code and checks.
func readyz(t *testing.T, base string) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		return 0, nil
	}
	defer func() { _ = resp.Body.Close() }()
	var body struct{ Checks map[string]string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("/readyz: %v", err)
	}
	return resp.StatusCode, body.Checks
}

// The API is ready when PostgreSQL and Temporal answer, and says which one does not.
func TestAPIReadiness(t *testing.T) {
	need(t)
	srv := httptest.NewServer((&httpapi.Server{DB: stack.db, TC: stack.tc}).Handler())
	defer srv.Close()
	if code, checks := readyz(t, srv.URL); code != http.StatusOK || checks["postgresql"] != "ok" || checks["temporal"] != "ok" {
		t.Errorf("/readyz = %d %v, want 200, both ok", code, checks)
	}
	gone, err := store.Open(context.Background(), os.Getenv("DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	gone.Close() // a pool whose database went away
	down := httptest.NewServer((&httpapi.Server{DB: gone, TC: stack.tc}).Handler())
	defer down.Close()
	if code, checks := readyz(t, down.URL); code != http.StatusServiceUnavailable || checks["postgresql"] != "unavailable" || checks["temporal"] != "ok" {
		t.Errorf("/readyz without PostgreSQL = %d %v, want 503 naming postgresql", code, checks)
	}
	resp, err := http.Get(down.URL + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz without PostgreSQL: %v %v, want 200 (the process serves)", resp, err)
	}
	if resp != nil {
		_ = resp.Body.Close()
	}
}

// bin/worker, as compose runs it, turns ready once it polls its task queue (in the
// benchmarks' namespace: the tests' own cases stay with the tests' worker).
func TestWorkerReadiness(t *testing.T) {
	need(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // a free port for the worker
	bin, err := filepath.Abs("../bin/worker")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "CASEWORK_METRICS_ADDR="+addr, "TEMPORAL_NAMESPACE=casework-bench", "LOG_LEVEL=warn")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start bin/worker (make build): %v", err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait() // killed: its exit status is ours
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, checks := readyz(t, "http://"+addr)
		if code == http.StatusOK {
			if checks["worker"] != "ok" || checks["postgresql"] != "ok" || checks["temporal"] != "ok" {
				t.Errorf("/readyz = %v", checks)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("bin/worker not ready after 60 s: %d %v", code, checks)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// The API counts its requests by route pattern and status, never by path: a caller who
// sends made-up paths adds no series.
func TestAPIMetrics(t *testing.T) {
	need(t)
	reg := prom.NewRegistry()
	m, err := httpapi.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&httpapi.Server{DB: stack.db, TC: stack.tc, Metrics: m}).Handler())
	defer srv.Close()
	for _, path := range []string{"/healthz", "/v1/me", "/v1/me", "/no/such/path/1", "/no/such/path/2"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts, observed := map[string]float64{}, uint64(0)
	for _, f := range families {
		for _, metric := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range metric.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch f.GetName() {
			case "casework_api_requests_total":
				counts[labels["route"]+" "+labels["code"]] += metric.GetCounter().GetValue()
			case "casework_api_request_duration_seconds":
				observed += metric.GetHistogram().GetSampleCount()
			}
		}
	}
	want := map[string]float64{"GET /healthz 200": 1, "GET /v1/me 401": 2, "unmatched 404": 2}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("requests %q = %v, want %v (all: %v)", k, counts[k], v, counts)
		}
	}
	if len(counts) != len(want) || observed != 5 {
		t.Errorf("series %v, %d latencies observed; want exactly %v and 5", counts, observed, want)
	}
}
