package perf

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
)

// ServerWrites is what the Temporal server's persistence wrote for one side of a speed run,
// per workflow, as its own metrics count it: the writes of the workflows' state (their
// mutable state and history, created and updated) and of their visibility records (the
// start, each search-attribute upsert, the close), with the time each kind took. On the dev
// server both go to one SQLite file, which takes one writer at a time; there the sum is how
// much of that writer a workflow holds.
type ServerWrites struct {
	State        float64 `json:"stateWrites"`
	StateMs      float64 `json:"stateWriteMs"`
	Visibility   float64 `json:"visibilityWrites"`
	VisibilityMs float64 `json:"visibilityWriteMs"`
}

// The server's persistence operations counted as a workflow's writes.
var (
	stateWriteOps      = []string{"CreateWorkflowExecution", "UpdateWorkflowExecution", "ConflictResolveWorkflowExecution"}
	visibilityWriteOps = []string{"RecordWorkflowExecutionStarted", "UpsertWorkflowExecution", "RecordWorkflowExecutionClosed"}
)

// serverCounters are the server's persistence latency counts and sums (seconds) by metric
// and operation, summed over its processes and label sets: "persistence_latency_sum
// UpdateWorkflowExecution" → seconds.
type serverCounters map[string]float64

// readServer reads the persistence counters of every process of the Temporal server
// (host:port of each /metrics).
func readServer(ctx context.Context, addrs []string) (serverCounters, error) {
	c := serverCounters{}
	for _, addr := range addrs {
		text, err := metricsText(ctx, addr)
		if err != nil {
			return nil, fmt.Errorf("the Temporal server's %w", err)
		}
		if err := c.add(text); err != nil {
			return nil, fmt.Errorf("the Temporal server's metrics at %s: %w", addr, err)
		}
	}
	return c, nil
}

// add adds the persistence latency counts and sums of one Prometheus text exposition.
func (c serverCounters) add(text []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name, rest, ok := strings.Cut(line, "{")
		if !ok {
			continue
		}
		switch name {
		case "persistence_latency_count", "persistence_latency_sum",
			"visibility_persistence_latency_count", "visibility_persistence_latency_sum":
		default:
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			return fmt.Errorf("%q: no value", line)
		}
		op := label(labels, "operation")
		if op == "" {
			continue
		}
		v, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
		if err != nil {
			return fmt.Errorf("%s %s: %w", name, op, err)
		}
		c[name+" "+op] += v
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return nil
}

// label is one label's value in a Prometheus label set (`a="x",b="y"`); values hold no
// quotes in the server's operation names.
func label(labels, name string) string {
	for _, kv := range strings.Split(labels, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k == name {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// writesSince is what was written between before and c, per workflow.
func (c serverCounters) writesSince(before serverCounters, workflows int) ServerWrites {
	if workflows <= 0 {
		return ServerWrites{}
	}
	sum := func(metric string, ops []string) float64 {
		total := 0.0
		for _, op := range ops {
			total += c[metric+" "+op] - before[metric+" "+op]
		}
		return total / float64(workflows)
	}
	return ServerWrites{
		State:        sum("persistence_latency_count", stateWriteOps),
		StateMs:      1000 * sum("persistence_latency_sum", stateWriteOps),
		Visibility:   sum("visibility_persistence_latency_count", visibilityWriteOps),
		VisibilityMs: 1000 * sum("visibility_persistence_latency_sum", visibilityWriteOps),
	}
}

// serverWatch reads the server's counters at the start of one side of the run and, at its
// end, what that side wrote. Both are diagnostics: when the server's metrics are not
// configured or not readable, the run stands without them and says why.
type serverWatch struct {
	addrs  []string
	before serverCounters
	err    error
}

func watchServer(ctx context.Context, addrs []string) *serverWatch {
	w := &serverWatch{addrs: addrs}
	if len(addrs) > 0 {
		w.before, w.err = readServer(ctx, addrs)
	}
	return w
}

// writes is what the server wrote since the watch began, per workflow; nil with no metrics.
func (w *serverWatch) writes(ctx context.Context, workflows int) (*ServerWrites, error) {
	if len(w.addrs) == 0 {
		return nil, nil
	}
	if w.err != nil {
		return nil, w.err
	}
	after, err := readServer(ctx, w.addrs)
	if err != nil {
		return nil, err
	}
	s := after.writesSince(w.before, workflows)
	return &s, nil
}
