//go:build integration

package itest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/casework/casework/contract"
)

// The worker's /metrics serves the SDK's worker metrics and Casework's own: cases started
// and closed by outcome, human actions accepted and rejected.
func TestMetricsServed(t *testing.T) {
	need(t)
	caseID := startCase(t, newAccount(t))
	waitPending(t, caseID, contract.ActionPhoneVerified)
	if err := update(t, caseID, contract.ActionPause, contract.SupervisorAction{By: "sup-1"}); err == nil {
		t.Fatal("a pause without reason was accepted")
	}
	mustUpdate(t, caseID, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "test over"})
	result(t, caseID)
	want := [][]string{ // a metric and labels one of its samples must carry
		{"casework_cases_started_total{"},
		{"casework_cases_closed_total{", `outcome="closed_by_supervisor"`},
		{"casework_human_actions_total{", `action="close"`, `result="accepted"`, `via="update"`},
		{"casework_human_actions_total{", `action="pause"`, `result="rejected"`, `via="update"`},
		{"temporal_workflow_task_execution_latency_seconds_bucket{"},
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		body := scrape(t)
		var missing [][]string
		for _, w := range want {
			if !hasSample(body, w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %q", missing)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func scrape(t *testing.T) string {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+stack.metricsAddr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

// hasSample reports whether a line of the exposition starts with want[0] and holds the
// rest of want.
func hasSample(body string, want []string) bool {
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, want[0]) {
			continue
		}
		ok := true
		for _, w := range want[1:] {
			ok = ok && strings.Contains(line, w)
		}
		if ok {
			return true
		}
	}
	return false
}
