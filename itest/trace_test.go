//go:build integration

package itest

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/casework/casework/contract"
	"github.com/casework/casework/httpapi"
	"github.com/casework/casework/platform"
)

// collector is an OTLP/HTTP trace receiver: the tests' programs export their spans to it as
// they would to an OpenTelemetry collector (OTEL_EXPORTER_OTLP_ENDPOINT).
type collector struct {
	srv   *httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
}

func startCollector() *collector {
	c := &collector{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var req coltrace.ExportTraceServiceRequest
		if err != nil || r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
			http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				c.spans = append(c.spans, ss.GetSpans()...)
			}
		}
		c.mu.Unlock()
		out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{}) // an empty message: cannot fail
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out) // the exporter's to read
	}))
	return c
}

// trace is the spans received of the trace id.
func (c *collector) trace(id []byte) []*tracepb.Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*tracepb.Span
	for _, s := range c.spans {
		if bytes.Equal(s.GetTraceId(), id) {
			out = append(out, s)
		}
	}
	return out
}

// find is the first span received whose name is name and which has the attribute.
func (c *collector) find(name, key, value string) *tracepb.Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.spans {
		if s.GetName() != name {
			continue
		}
		for _, a := range s.GetAttributes() {
			if a.GetKey() == key && strings.Contains(a.GetValue().GetStringValue(), value) {
				return s
			}
		}
	}
	return nil
}

// startTracing points the suite's programs at a test collector, before they start.
func startTracing(ctx context.Context) (stop func(), err error) {
	stack.traces = startCollector()
	if err := os.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", stack.traces.srv.URL); err != nil {
		return nil, err
	}
	if err := os.Setenv("OTEL_BSP_SCHEDULE_DELAY", "200"); err != nil { // export every 200 ms
		return nil, err
	}
	shutdown, err := platform.StartTracing(ctx, "casework-itest")
	if err != nil {
		return nil, err
	}
	return func() {
		_ = shutdown(context.Background()) // the suite is over: what is not flushed is not looked at
		stack.traces.srv.Close()
	}, nil
}

// One action sent through the API is one trace: the API's request, the update to the case
// (sent by the client, handled by the worker), the local activity that checks its ids, and
// the PostgreSQL queries of both sides, each span a child of the one before.
func TestActionTrace(t *testing.T) {
	need(t)
	caseID := startCase(t, newAccount(t))
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	agent := st.Pending.Assignees[0]
	srv := httptest.NewServer((&httpapi.Server{DB: stack.db, TC: stack.tc}).Handler())
	defer srv.Close()
	body := fmt.Sprintf(`{"agentId":%q,"outcome":"confirmed","calledAt":%q}`, agent, nowRFC())
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/cases/"+caseID+"/actions/"+contract.ActionPhoneVerified, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+cliToken(t, agent))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the action: %d %s", resp.StatusCode, answer)
	}

	var root *tracepb.Span
	var spans []*tracepb.Span
	deadline := time.Now().Add(20 * time.Second)
	for {
		if root == nil {
			root = stack.traces.find("POST /v1/cases/{case}/actions/{action}", "url.path", caseID)
		}
		if root != nil {
			spans = stack.traces.trace(root.GetTraceId())
			if hasSpan(spans, "RunActivity:CheckRefs", "") && hasSpan(spans, "postgresql ", "RunActivity:CheckRefs") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the action's trace is incomplete after 20 s (root found: %t):\n%s", root != nil, tree(spans))
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, want := range []struct{ name, under string }{
		{"postgresql ", "POST /v1/cases/{case}/actions/{action}"}, // the API's access check
		{"UpdateWorkflow:" + contract.ActionPhoneVerified, "POST /v1/cases/{case}/actions/{action}"},
		{"HandleUpdate:" + contract.ActionPhoneVerified, "UpdateWorkflow:" + contract.ActionPhoneVerified},
		{"RunActivity:CheckRefs", "UpdateWorkflow:" + contract.ActionPhoneVerified},
		{"postgresql ", "RunActivity:CheckRefs"}, // the worker's
	} {
		if !hasSpan(spans, want.name, want.under) {
			t.Errorf("no span %q under %q in the action's trace:\n%s", want.name, want.under, tree(spans))
		}
	}
	t.Logf("the action's trace:\n%s", tree(spans))
}

// hasSpan says whether a span named name (a prefix) is in spans, with an ancestor named
// under (a prefix; "" for any).
func hasSpan(spans []*tracepb.Span, name, under string) bool {
	byID := map[string]*tracepb.Span{}
	for _, s := range spans {
		byID[hex.EncodeToString(s.GetSpanId())] = s
	}
	for _, s := range spans {
		if !strings.HasPrefix(s.GetName(), name) {
			continue
		}
		if under == "" {
			return true
		}
		for p := byID[hex.EncodeToString(s.GetParentSpanId())]; p != nil; p = byID[hex.EncodeToString(p.GetParentSpanId())] {
			if strings.HasPrefix(p.GetName(), under) {
				return true
			}
		}
	}
	return false
}

// tree prints the spans as parent and children, for a failure's message.
func tree(spans []*tracepb.Span) string {
	children := map[string][]*tracepb.Span{}
	ids := map[string]bool{}
	for _, s := range spans {
		ids[hex.EncodeToString(s.GetSpanId())] = true
	}
	var roots []*tracepb.Span
	for _, s := range spans {
		parent := hex.EncodeToString(s.GetParentSpanId())
		if !ids[parent] {
			roots = append(roots, s)
			continue
		}
		children[parent] = append(children[parent], s)
	}
	var b strings.Builder
	var walk func(s *tracepb.Span, depth int)
	walk = func(s *tracepb.Span, depth int) {
		fmt.Fprintf(&b, "%s%s\n", strings.Repeat("  ", depth), s.GetName())
		for _, c := range children[hex.EncodeToString(s.GetSpanId())] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return b.String()
}
