package perf

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestQuantiles(t *testing.T) {
	var l []time.Duration
	for i := 100; i >= 1; i-- {
		l = append(l, time.Duration(i)*time.Millisecond)
	}
	q := quantiles(l)
	if q.P50 != 51 || q.P95 != 96 || q.P99 != 100 {
		t.Errorf("quantiles = %+v, want p50 51, p95 96, p99 100", q)
	}
	if quantiles(nil) != (Quantiles{}) {
		t.Error("no latencies: want zero quantiles")
	}
}

// The fault run lists, for each reminder the development channel logged, the worker
// processes that handed it over, and ignores every other line.
func TestHandOffs(t *testing.T) {
	file := filepath.Join(t.TempDir(), "worker.log")
	log := `{"level":"info","msg":"worker starting"}
{"level":"info","msg":"reminder sent (development channel)","key":"case-1/p1/i1/r1","channel":"sms"}
{"level":"info","msg":"worker starting"}
not json at all
{"level":"info","msg":"reminder sent (development channel)","key":"case-1/p1/i1/r1","channel":"sms"}
{"level":"info","msg":"reminder sent (development channel)","key":"case-2/p1/i1/r1","channel":"phone"}
{"level":"info","msg":"reminder sent (development channel)","key":"case-2/p1/i1/r1","channel":"phone"}
{"level":"info","msg":"persisted","key":"case-3/7"}
`
	if err := os.WriteFile(file, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := handOffs(file)
	if err != nil {
		t.Fatal(err)
	}
	// case-1: once by each of two processes (the first died before its commit); case-2:
	// twice by one process (a double send)
	want := map[string][]int{"case-1/p1/i1/r1": {1, 2}, "case-2/p1/i1/r1": {2, 2}}
	if len(n) != len(want) {
		t.Fatalf("hand-offs = %v, want %v", n, want)
	}
	for k, v := range want {
		if !slices.Equal(n[k], v) {
			t.Errorf("hand-offs of %s = %v, want %v", k, n[k], v)
		}
	}
}

func TestChaosResultOK(t *testing.T) {
	cases := []struct {
		checks []Check
		ok     bool
	}{
		{nil, false},
		{[]Check{{Name: "a", OK: true}}, true},
		{[]Check{{Name: "a", OK: true}, {Name: "b", OK: false}}, false},
	}
	for _, c := range cases {
		if got := (&ChaosResult{Checks: c.checks}).OK(); got != c.ok {
			t.Errorf("OK(%v) = %v, want %v", c.checks, got, c.ok)
		}
	}
}

// A gauge is read with or without labels, summed over its label sets.
func TestScrape(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		// a failed answer shows as the scrapes' error below
		_, _ = fmt.Fprint(w, `# HELP go_goroutines Number of goroutines.
# TYPE go_goroutines gauge
go_goroutines 61
temporal_sticky_cache_size{namespace="casework-bench",task_queue="casework"} 9998
temporal_sticky_cache_size{namespace="other",task_queue="casework"} 2
temporal_sticky_cache_size_total 5
`)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	for metric, want := range map[string]float64{"go_goroutines": 61, "temporal_sticky_cache_size": 10000} {
		got, err := scrape(context.Background(), addr, metric)
		if err != nil || got != want {
			t.Errorf("scrape %s = %v, %v; want %v", metric, got, err, want)
		}
	}
	if _, err := scrape(context.Background(), addr, "missing"); err == nil {
		t.Error("a missing metric: want an error")
	}
}

// The speed table lists the cases' round trips by action, in name order.
func TestSpeedTableByAction(t *testing.T) {
	r := &SpeedResult{Cases: Run{UpdatesByAction: map[string]ActionLatency{
		"visit-report":     {Sent: 3, Quantiles: Quantiles{P50: 20, P95: 90}},
		"payment-received": {Sent: 5, Quantiles: Quantiles{P50: 10, P95: 40}},
	}}}
	for _, row := range SpeedTable(r).Rows {
		if strings.HasPrefix(row[0], "update round trip by action") {
			if want := "payment-received 5: p50 10, p95 40; visit-report 3: p50 20, p95 90"; row[1] != want {
				t.Fatalf("by action = %q, want %q", row[1], want)
			}
			return
		}
	}
	t.Fatal("no row of round trips by action")
}

func TestSpeedTableAfterTheRamp(t *testing.T) {
	r := &SpeedResult{InFlight: 50,
		Cases: Run{Updates: Quantiles{P95: 100}, AfterRamp: Quantiles{P50: 10, P95: 45, P99: 80}, AfterRampSent: 1700},
		Floor: Run{Updates: Quantiles{P95: 50}, AfterRamp: Quantiles{P50: 8, P95: 30, P99: 60}, AfterRampSent: 1650}}
	wantRows(t, r, map[string]string{
		"update p95, case / floor":                "**2.00**",
		"update p95 after the ramp, case / floor": "**1.50**",
		"update round trip after the ramp":        "cases p50 10 ms, p95 45 ms, p99 80 ms; floor p50 8 ms, p95 30 ms, p99 60 ms",
	})
}

// wantRows checks the speed table's values by row name.
func wantRows(t *testing.T, r *SpeedResult, want map[string]string) {
	t.Helper()
	rows := map[string]string{}
	for _, row := range SpeedTable(r).Rows {
		rows[row[0]] = row[1]
	}
	for name, w := range want {
		if rows[name] != w {
			t.Errorf("%s = %q, want %q", name, rows[name], w)
		}
	}
}

// The floor with search attributes is a diagnostic beside the target, which stays against
// the bare floor; without that run the table has no such row.
func TestSpeedTableFloorWithSearchAttributes(t *testing.T) {
	r := &SpeedResult{InFlight: 50, Shape: Shape{Upserts: 8.9},
		Cases: Run{Updates: Quantiles{P95: 90}, AfterRamp: Quantiles{P95: 60}},
		Floor: Run{Updates: Quantiles{P95: 30}, AfterRamp: Quantiles{P95: 30}}}
	for _, row := range SpeedTable(r).Rows {
		if row[0] == "update p95, case / floor with search attributes" {
			t.Error("a row for the floor with search attributes, though it did not run")
		}
	}
	r.FloorSearchAttributes = &Run{Workflows: 300, Seconds: 120, PerSecond: 2.5, Updates: Quantiles{P50: 20, P95: 60}, AfterRamp: Quantiles{P95: 40}}
	wantRows(t, r, map[string]string{
		"update p95, case / floor":                        "**3.00**",
		"update p95, case / floor with search attributes": "1.50 (after the ramp 1.50)",
		"floor with the cases' search attributes":         "300 in 120.0 s: 2.50 workflows/s; update p50 20 ms, p95 60 ms, after the ramp 40 ms",
	})
}

// The table says how the cases and the floor's workflows were started.
func TestSpeedTableSaysThePace(t *testing.T) {
	for _, tc := range []struct {
		pace float64
		want string
	}{
		{20, "started at most 20 a second like the back office's screening (the floor's too)"},
		{0, "started as fast as they close (no pace)"},
	} {
		r := &SpeedResult{InFlight: 50, Pace: tc.pace, DayLength: "1s"}
		row := SpeedTable(r).Rows[0]
		if !strings.Contains(row[2], tc.want) {
			t.Errorf("pace %g: note %q, want it to say %q", tc.pace, row[2], tc.want)
		}
	}
}

// What the server wrote for one side of a run: its persistence counters after, less before,
// over its processes, per workflow; other operations and the histogram buckets left out.
func TestServerWrites(t *testing.T) {
	exposition := func(scale float64) string {
		return fmt.Sprintf(`# TYPE persistence_latency histogram
persistence_latency_bucket{namespace="casework_bench",operation="UpdateWorkflowExecution",service_name="history",le="0.001"} %[1]g
persistence_latency_sum{namespace="casework_bench",operation="UpdateWorkflowExecution",service_name="history"} %[2]g
persistence_latency_count{namespace="casework_bench",operation="UpdateWorkflowExecution",service_name="history"} %[1]g
persistence_latency_sum{namespace="casework_bench",operation="CreateWorkflowExecution",service_name="history"} %[3]g
persistence_latency_count{namespace="casework_bench",operation="CreateWorkflowExecution",service_name="history"} %[4]g
persistence_latency_sum{namespace="casework_bench",operation="GetWorkflowExecution",service_name="history"} 99
persistence_latency_count{namespace="casework_bench",operation="GetWorkflowExecution",service_name="history"} %[1]g
persistence_latency_sum{namespace="default",operation="UpdateWorkflowExecution",service_name="history"} %[2]g
persistence_latency_count{namespace="default",operation="UpdateWorkflowExecution",service_name="history"} %[1]g
visibility_persistence_latency_sum{operation="UpsertWorkflowExecution",service_name="history",visibility_plugin_name="sqlite"} %[3]g
visibility_persistence_latency_count{operation="UpsertWorkflowExecution",service_name="history",visibility_plugin_name="sqlite"} %[5]g
`, 100*scale, 0.25*scale, 0.01*scale, 2*scale, 7*scale)
	}
	var mu sync.Mutex
	scale, body := 1.0, ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if body == "" {
			body = exposition(scale)
		}
		_, _ = fmt.Fprint(w, body) // a failed answer shows as a wrong figure below
	}))
	defer srv.Close()
	serve := func(sc float64, text string) {
		mu.Lock()
		defer mu.Unlock()
		scale, body = sc, text
	}
	addr := strings.TrimPrefix(srv.URL, "http://")
	ctx := context.Background()
	watch := func() *serverWatch {
		w := watchServer(ctx, []string{addr, addr}, "casework-bench") // two processes of the server
		w.settle = time.Millisecond
		return w
	}
	w := watch()
	serve(3, "") // every counter grows by twice its first value; other namespaces' state writes left out
	got, err := w.writes(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	// per process: state 100+2 writes in 260 ms, visibility 7 in 10 ms; twice, over 2 workflows
	want := ServerWrites{State: 204, StateMs: 520, Visibility: 14, VisibilityMs: 20}
	near := func(a, b float64) bool { return a-b < 1e-6 && b-a < 1e-6 }
	if got == nil || !near(got.State, want.State) || !near(got.StateMs, want.StateMs) || !near(got.Visibility, want.Visibility) || !near(got.VisibilityMs, want.VisibilityMs) {
		t.Fatalf("writes = %+v, want %+v", got, want)
	}

	if none, err := watchServer(ctx, nil, "casework-bench").writes(ctx, 2); none != nil || err != nil {
		t.Errorf("no server metrics: %+v, %v; want nothing and no error", none, err)
	}
	if _, err := watchServer(ctx, []string{"127.0.0.1:1"}, "casework-bench").writes(ctx, 2); err == nil {
		t.Error("unreadable server metrics: want an error")
	}
	// a fresh server has no series of the namespace until it writes for it
	serve(1, "go_goroutines 61\n")
	w = watch()
	serve(3, "")
	if got, err := w.writes(ctx, 2); err != nil || got.State <= 0 {
		t.Errorf("writes on a server fresh at the start: %+v, %v; want the writes since", got, err)
	}
	for name, after := range map[string]string{
		"counters went down (a restart)":   exposition(0.5),
		"not a Temporal server's metrics":  "go_goroutines 61\n",
		"no state writes of the namespace": strings.ReplaceAll(exposition(3), "casework_bench", "other"),
		"a line without its value":         exposition(3) + `persistence_latency_count{namespace="casework_bench",operation="UpdateWorkflowExecution"} ` + "\n",
	} {
		serve(1, "")
		w := watch()
		serve(1, after)
		if got, err := w.writes(ctx, 2); err == nil {
			t.Errorf("%s: %+v, want an error", name, got)
		}
	}

	rows := map[string]string{}
	r := &SpeedResult{Cases: Run{Server: got}, Floor: Run{Server: &ServerWrites{State: 50, StateMs: 120, Visibility: 2, VisibilityMs: 3}}}
	for _, row := range SpeedTable(r).Rows {
		rows[row[0]] = row[1]
	}
	if want := "cases: state 204.0 in 520 ms, visibility 14.0 in 20 ms; floor: state 50.0 in 120 ms, visibility 2.0 in 3 ms"; rows["the server's writes per workflow"] != want {
		t.Errorf("table row = %q, want %q", rows["the server's writes per workflow"], want)
	}
}
