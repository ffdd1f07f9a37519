//go:build integration

package itest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/casework/casework/backoffice"
)

// The report's figures, over a range that holds only this test's records (in 2031):
// recovery, promises kept, right-party contact, satisfaction, rejections and violations,
// by region and by agent.
func TestReportFigures(t *testing.T) {
	need(t)
	ctx := context.Background()
	at := time.Date(2031, 1, 10, 10, 0, 0, 0, time.UTC).Add(time.Duration(time.Now().UnixNano() % int64(time.Hour)))
	region := strings.ToLower(stack.run) + "-rep"
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := stack.db.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	agent := stack.run + "-agent"
	exec(`INSERT INTO agents (agent_id, name, role, region) VALUES ($1, 'Report Agent', 'phone', $2)`, agent, region)
	cases := []struct {
		outcome    string
		due, paid  int64
		kept, miss int
		sat        int // 0: not reached
	}{
		{"plan-completed", 100000, 100000, 2, 0, 4},
		{"plan-completed", 300000, 300000, 1, 1, 2},
		{"legal-referral", 600000, 0, 0, 1, 0},
	}
	for i, c := range cases {
		account := fmt.Sprintf("%s-rep%d", stack.run, i)
		id := "case-" + account
		exec(`INSERT INTO accounts (account_id, name, region, timezone, currency, amount_due, days_past_due, status) VALUES ($1, 'R', $2, 'UTC', 'TWD', $3, 60, 'open')`, account, region, c.due)
		exec(`INSERT INTO cases (case_id, account_id, stage, outcome, region, amount_due, amount_paid, started_at, closed_at) VALUES ($1, $2, 'closed', $3, $4, $5, $6, $7, $7)`,
			id, account, c.outcome, region, c.due, c.paid, at)
		exec(`INSERT INTO case_summaries (case_id, account_id, outcome, started_at, closed_at, stage_seconds, contacts, anomalies, amount_due, amount_paid, currency, region, renegotiations, violations, simulation)
			VALUES ($1, $2, $3, $4, $4, '{"negotiate": 10}', 1, '{"missed-payment": 1}', $5, $6, 'TWD', $7, 0, 0, $8)`, id, account, c.outcome, at, c.due, c.paid, region, i == 0)
		exec(`INSERT INTO payment_plans (case_id, plan_no, agreed_at, agreed_by, total) VALUES ($1, 1, $2, $3, $4)`, id, at, agent, c.due)
		for j := range c.kept + c.miss {
			paid, missed := int64(1), false
			if j >= c.kept {
				paid, missed = 0, true
			}
			exec(`INSERT INTO installments (case_id, plan_no, idx, due_date, amount, paid, missed) VALUES ($1, 1, $2, '2031-01-01', 1, $3, $4)`, id, j+1, paid, missed)
		}
		if c.sat > 0 {
			exec(`INSERT INTO surveys (case_id, agent_id, reached, satisfaction, complaint) VALUES ($1, $2, true, $3, false)`, id, agent, c.sat)
		}
		// calls: two per case, the first reaching the debtor; one rejected report; the third case's call flagged
		for k, outcome := range []string{"confirmed", "unreachable"} {
			violation := ""
			if i == 2 && k == 0 {
				violation = "outside the contact window"
			}
			exec(`INSERT INTO audit_log (record_key, case_id, at, kind, actor, accepted, reason, violation, contact) VALUES ($1, $2, $3, 'phone-verified', $4, true, $5, $6, true)`,
				fmt.Sprintf("%s/%d", id, k), id, at, agent, outcome, violation)
		}
		exec(`INSERT INTO audit_log (record_key, case_id, at, kind, actor, accepted, reason) VALUES ($1, $2, $3, 'visit-report', $4, false, 'rejected')`, id+"/r", id, at, agent)
	}
	r, err := backoffice.BuildReport(ctx, stack.db, backoffice.Range{From: at.Add(-time.Minute), To: at.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	var line *backoffice.RegionLine
	for i := range r.Regions {
		if r.Regions[i].Region == region {
			line = &r.Regions[i]
		}
	}
	if line == nil {
		t.Fatalf("no line for region %s: %+v", region, r.Regions)
	}
	want := backoffice.Figures{Cases: 3, Due: 1000000, Collected: 400000, Recovery: 0.4, PromisesKept: 0.6, RightParty: 0.5,
		Satisfaction: 3, Rejected: 3, Violations: 1}
	if line.Figures != want {
		t.Errorf("region figures\n got %+v\nwant %+v", line.Figures, want)
	}
	if r.Total.Cases < 3 || r.Anomalies["missed-payment"] < 3 || r.StageSeconds["negotiate"] != 10 {
		t.Errorf("total %+v anomalies %v stages %v", r.Total, r.Anomalies, r.StageSeconds)
	}
	found := false
	for _, a := range r.Agents {
		if a.Agent == agent {
			found = true
			if a.Calls != 6 || a.RightParty != 0.5 || a.Contacts != 6 || a.Rejected != 3 || a.Violations != 1 {
				t.Errorf("agent line %+v", a)
			}
		}
	}
	if !found {
		t.Errorf("no line for agent %s", agent)
	}
	if r.Simulated < 1 {
		t.Errorf("simulated cases %d, want the one closed in a simulation counted", r.Simulated)
	}
	var text strings.Builder
	if err := r.WriteText(&text); err != nil || !strings.Contains(text.String(), "SIMULATION:") {
		t.Errorf("the text report does not say it counts simulated cases: %v", err)
	}
	for name, write := range map[string]func(*strings.Builder) error{
		"text": func(b *strings.Builder) error { return r.WriteText(b) },
		"csv":  func(b *strings.Builder) error { return r.WriteCSV(b) },
	} {
		var b strings.Builder
		if err := write(&b); err != nil || !strings.Contains(b.String(), region) {
			t.Errorf("%s report does not show region %s: %v", name, region, err)
		}
	}
}
