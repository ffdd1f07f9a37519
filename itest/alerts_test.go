//go:build integration

package itest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/casework/casework/contract"
	"github.com/casework/casework/httpapi"
)

// What the cases tell the supervisors reaches them: a call reported during a dispute hold
// is a guardrail-violation alert that a supervisor lists (API and bin/agent) and
// acknowledges once, in the audit log; an agent may neither list nor acknowledge.
func TestSupervisorsSeeAndAcknowledgeAlerts(t *testing.T) {
	need(t)
	ctx := context.Background()
	caseID := startCase(t, newAccount(t))
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	agentID := st.Pending.Assignees[0]
	mustUpdate(t, caseID, contract.ActionAnomaly, contract.AnomalyReport{Kind: contract.AnomalyDispute, ReportedBy: agentID})
	if err := update(t, caseID, contract.ActionPhoneVerified, contract.PhoneVerified{AgentID: agentID, CalledAt: nowRFC(), Outcome: contract.PhoneConfirmed}); err == nil {
		t.Fatal("a call during the dispute hold was accepted")
	}
	url := cliAPI(t)
	sup, agent := cliToken(t, "sup-1"), cliToken(t, agentID)
	var violation httpapi.Alert
	waitFor(t, caseID, "the violation's alert", func(*contract.Status) bool {
		code, body, _ := apiCall(t, "GET", url+"/v1/alerts", sup, "")
		var in struct{ Alerts []httpapi.Alert }
		if code != 200 || json.Unmarshal([]byte(body), &in) != nil {
			return false
		}
		for _, a := range in.Alerts {
			if a.CaseID == caseID && a.Kind == "guardrail-violation" {
				violation = a
				return true
			}
		}
		return false
	})
	if code, _, _ := apiCall(t, "GET", url+"/v1/alerts", agent, ""); code != 403 {
		t.Errorf("an agent lists alerts: %d, want 403", code)
	}
	out, _, code := runAgent(t, url, sup, "", "alerts")
	if code != 0 || !strings.Contains(out, violation.Key) || !strings.Contains(out, "guardrail-violation") {
		t.Errorf("bin/agent alerts (exit %d):\n%s\nwant the violation %s", code, out, violation.Key)
	}
	body := `{"alertKey":"` + violation.Key + `"}`
	if code, _, _ := apiCall(t, "POST", url+"/v1/alerts/ack", agent, body); code != 403 {
		t.Errorf("an agent acknowledges: %d, want 403", code)
	}
	out, errOut, code := runAgent(t, url, sup, "", "alerts", "ack", violation.Key)
	if code != 0 || !strings.Contains(out, "acknowledged by sup-1") {
		t.Errorf("bin/agent alerts ack (exit %d): %s %s", code, out, errOut)
	}
	if code, body, _ := apiCall(t, "POST", url+"/v1/alerts/ack", cliToken(t, "sup-2"), body); code != 409 || !strings.Contains(body, "already acknowledged") {
		t.Errorf("a second acknowledgement: %d %s, want 409", code, body)
	}
	var actor string
	if err := stack.db.QueryRow(ctx, `SELECT actor FROM audit_log WHERE record_key = $1`, "ack/"+violation.Key).Scan(&actor); err != nil || actor != "sup-1" {
		t.Errorf("audit row of the acknowledgement: %q, %v", actor, err)
	}
	mustUpdate(t, caseID, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "test over"})
}
