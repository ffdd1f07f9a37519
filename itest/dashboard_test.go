//go:build integration

package itest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/casework/casework/contract"
)

// metricName finds the metric names in a PromQL expression.
var metricName = regexp.MustCompile(`\b(casework|temporal|process|go)_[a-z0-9_]+`)

// sdkDefines says whether the Temporal SDK names the metric (its base name, without the
// Prometheus suffixes) among its constants: for the metrics it emits only now and then
// (a failed workflow task, a regular activity such as a reminder's), which a short run
// need not show.
func sdkDefines(t *testing.T, name string) bool {
	t.Helper()
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "go.temporal.io/sdk").Output()
	if err != nil {
		t.Fatalf("go list the SDK: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), "internal", "common", "metrics", "constants.go"))
	if err != nil {
		t.Fatal(err)
	}
	base := strings.TrimPrefix(name, "temporal_")
	for _, suffix := range []string{"_bucket", "_seconds", "_total"} {
		base = strings.TrimSuffix(base, suffix)
	}
	return strings.HasPrefix(name, "temporal_") && strings.Contains(string(src), `+ "`+base+`"`)
}

// Every metric the Grafana dashboard queries is one the worker or the API exposes, by
// that name: a dashboard of empty panels is caught here, not in an incident.
func TestDashboardQueriesExposedMetrics(t *testing.T) {
	need(t)
	raw, err := os.ReadFile("../deploy/observability/grafana/dashboards/casework.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	queried := map[string]string{} // metric -> a panel
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			for _, name := range metricName.FindAllString(target.Expr, -1) {
				queried[name] = p.Title
			}
		}
	}
	if len(queried) < 10 {
		t.Fatalf("the dashboard queries %d metrics: %v", len(queried), queried)
	}

	// what the suite's worker and an API expose once a case has run and an action was sent
	srv, reg := meteredAPI(t)
	caseID := startCase(t, newAccount(t))
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	agent := st.Pending.Assignees[0]
	body := `{"agentId":"` + agent + `","calledAt":"` + nowRFC() + `","outcome":"confirmed"}`
	if code, answer, _ := apiCall(t, "POST", srv.URL+"/v1/cases/"+caseID+"/actions/"+contract.ActionPhoneVerified, cliToken(t, agent), body); code != 200 {
		t.Fatalf("the action: %d %s", code, answer)
	}
	close := `{"by":"sup-1","reason":"the dashboard test is over"}`
	if code, answer, _ := apiCall(t, "POST", srv.URL+"/v1/cases/"+caseID+"/actions/"+contract.ActionClose, cliToken(t, "sup-1"), close); code != 200 {
		t.Fatalf("close: %d %s", code, answer)
	}
	// the workflow's own counters are the contract's names (a reminder needs a plan: its
	// counter is checked by name)
	emitted := []string{}
	for _, name := range []string{contract.MetricCasesStarted, contract.MetricCasesClosed, contract.MetricActions, contract.MetricRemindersSent} {
		emitted = append(emitted, "# TYPE "+name+"_total counter\n")
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var api bytes.Buffer
	for _, f := range families {
		if _, err := expfmt.MetricFamilyToText(&api, f); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		exposed := scrape(t) + api.String() + strings.Join(emitted, "")
		var missing []string
		for name, panel := range queried {
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_count"), "_sum")
			if !strings.Contains(exposed, "# TYPE "+base+" ") && !sdkDefines(t, name) {
				missing = append(missing, name+" ("+panel+")")
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dashboard queries metrics nothing exposes: %v", missing)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
