package perf

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ServerWrites is what the Temporal server's persistence wrote for one side of a speed run,
// per workflow, as its own metrics count it: the writes of the workflows' state (their
// mutable state and history, created and updated) and of their visibility records (the
// start, each search-attribute upsert, the close), with the time each kind took as the
// server times it: on the dev server every store shares one SQLite connection, and that
// time includes the waits for it.
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
// (host:port of each /metrics): the state writes made for namespace's workflows (the
// visibility writes carry no namespace: every one counts).
func readServer(ctx context.Context, addrs []string, namespace string) (serverCounters, error) {
	c := serverCounters{}
	for _, addr := range addrs {
		text, err := metricsText(ctx, addr)
		if err != nil {
			return nil, fmt.Errorf("the Temporal server's %w", err)
		}
		if err := c.add(text, namespace); err != nil {
			return nil, fmt.Errorf("the Temporal server's metrics at %s: %w", addr, err)
		}
	}
	return c, nil
}

// add adds the persistence latency counts and sums of one Prometheus text exposition; the
// state writes' only for namespace (the server's reporter writes its dashes as
// underscores).
func (c serverCounters) add(text []byte, namespace string) error {
	wanted := func(name string) bool {
		switch name {
		case "persistence_latency_count", "persistence_latency_sum",
			"visibility_persistence_latency_count", "visibility_persistence_latency_sum":
			return true
		}
		return false
	}
	return eachSample(text, wanted, func(name, labels string, v float64) {
		op := label(labels, "operation")
		if op == "" {
			return
		}
		if ns := label(labels, "namespace"); strings.HasPrefix(name, "persistence_") &&
			ns != namespace && ns != strings.ReplaceAll(namespace, "-", "_") {
			return
		}
		c[name+" "+op] += v
	})
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

// writesSince is what was written between before and c, per workflow. A counter that went
// down (the server restarted in between) makes the figures meaningless: an error.
func (c serverCounters) writesSince(before serverCounters, workflows int) (ServerWrites, error) {
	for k, v := range before {
		if c[k] < v {
			return ServerWrites{}, fmt.Errorf("the Temporal server's %s went down from %g to %g: restarted during the run?", k, v, c[k])
		}
	}
	if workflows <= 0 {
		return ServerWrites{}, nil
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
	}, nil
}

// settled reports whether nothing was written between before and c (the counts alike).
func (c serverCounters) settled(before serverCounters) bool {
	for _, metric := range []string{"persistence_latency_count", "visibility_persistence_latency_count"} {
		for _, op := range append(slices.Clone(stateWriteOps), visibilityWriteOps...) {
			if c[metric+" "+op] != before[metric+" "+op] {
				return false
			}
		}
	}
	return true
}

// serverWatch reads the server's counters at the start of one side of the run and, at its
// end, what that side wrote. Both are diagnostics: when the server's metrics are not
// configured or not readable, the run stands without them and says why.
type serverWatch struct {
	addrs     []string
	namespace string
	before    serverCounters
	err       error
	settle    time.Duration // how long the writes must hold still before the last reading
}

func watchServer(ctx context.Context, addrs []string, namespace string) *serverWatch {
	w := &serverWatch{addrs: addrs, namespace: namespace, settle: time.Second}
	if len(addrs) > 0 {
		w.before, w.err = readServer(ctx, addrs, namespace)
	}
	return w
}

// writes is what the server wrote since the watch began, per workflow; nil with no metrics.
// The last workflows' closing writes (and their visibility records, written after) follow
// the moment they were seen closed: it reads again until the writes hold still for a
// settle, for ten settles at most.
func (w *serverWatch) writes(ctx context.Context, workflows int) (*ServerWrites, error) {
	if len(w.addrs) == 0 {
		return nil, nil
	}
	if w.err != nil {
		return nil, w.err
	}
	after, err := readServer(ctx, w.addrs, w.namespace)
	if _, ok := after["persistence_latency_count UpdateWorkflowExecution"]; err == nil && !ok && workflows > 0 {
		// a server that has written nothing for the namespace yet has no such series; after
		// the workflows ran, it must
		err = fmt.Errorf("the Temporal server's metrics at %s: no persistence_latency of UpdateWorkflowExecution for namespace %s (not a Temporal server's metrics?)",
			strings.Join(w.addrs, ", "), w.namespace)
	}
	for i := 0; err == nil && i < 10; i++ {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(w.settle):
		}
		var again serverCounters
		if again, err = readServer(ctx, w.addrs, w.namespace); err == nil {
			done := again.settled(after)
			after = again
			if done {
				break
			}
		}
	}
	if err != nil {
		return nil, err
	}
	s, err := after.writesSince(w.before, workflows)
	if err != nil {
		return nil, err
	}
	return &s, nil
}
