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
	"github.com/casework/casework/platform"
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

// freeAddr is a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // free again, for the program to take
	return addr
}

// startProgram starts a program of bin/ with env added, and stops it when the test ends.
func startProgram(t *testing.T, name string, env ...string) {
	t.Helper()
	bin, err := filepath.Abs("../bin/" + name)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), append(env, "LOG_LEVEL=warn")...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start bin/%s (make build): %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait() // killed: its exit status is ours
	})
}

// bin/api is ready when PostgreSQL and Temporal answer, on its metrics address; its public
// address answers /healthz only (a flood of /readyz would load the database). A pool whose
// database is gone makes /readyz name PostgreSQL.
func TestAPIReadiness(t *testing.T) {
	need(t)
	public, private := freeAddr(t), freeAddr(t)
	startProgram(t, "api", "CASEWORK_API_ADDR="+public, "CASEWORK_API_METRICS_ADDR="+private)
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, checks := readyz(t, "http://"+private)
		if code == http.StatusOK {
			if checks["postgresql"] != "ok" || checks["temporal"] != "ok" {
				t.Errorf("/readyz = %v, want both ok", checks)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bin/api not ready after 30 s: %d %v", code, checks)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for path, want := range map[string]int{"/healthz": http.StatusOK, "/readyz": http.StatusNotFound} {
		resp, err := http.Get("http://" + public + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("the public address's %s = %d, want %d", path, resp.StatusCode, want)
		}
	}

	gone, err := store.Open(context.Background(), os.Getenv("DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	gone.Close() // a pool whose database went away
	mux := http.NewServeMux()
	platform.HandleHealth(mux, platform.PostgreSQLCheck(gone), platform.TemporalCheck(stack.tc))
	down := httptest.NewServer(mux)
	defer down.Close()
	if code, checks := readyz(t, down.URL); code != http.StatusServiceUnavailable || checks["postgresql"] != "unavailable" || checks["temporal"] != "ok" {
		t.Errorf("/readyz without PostgreSQL = %d %v, want 503 naming postgresql", code, checks)
	}
}

// bin/worker, as compose runs it, turns ready once it polls its task queue (in the
// benchmarks' namespace: the tests' own cases stay with the tests' worker).
func TestWorkerReadiness(t *testing.T) {
	need(t)
	addr := freeAddr(t)
	startProgram(t, "worker", "CASEWORK_METRICS_ADDR="+addr, "TEMPORAL_NAMESPACE=casework-bench")
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
	srv, reg := meteredAPI(t)
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

// meteredAPI serves the agents' API on the test stack with its request metrics in a
// registry of its own, until the test ends.
func meteredAPI(t *testing.T) (*httptest.Server, *prom.Registry) {
	t.Helper()
	reg := prom.NewRegistry()
	m, err := httpapi.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&httpapi.Server{DB: stack.db, TC: stack.tc, Metrics: m}).Handler())
	t.Cleanup(srv.Close)
	return srv, reg
}
