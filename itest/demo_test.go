//go:build integration

package itest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/casework/casework/caseclient/direct"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/lab/demo"
)

// The demo's simulated agents drive a case of every scenario through the real stack: each
// reaches the outcome its scenario should (every step, every anomaly kind, rejected
// reports, a missed deadline, a call outside the window); parked cases stop where asked.
func TestDemoScenariosReachTheirOutcomes(t *testing.T) {
	need(t)
	if testing.Short() {
		t.Skip("two minutes of simulated agents")
	}
	ctx := context.Background()
	var driven []string
	for range demo.ScenarioCount() {
		run, err := cases().Start(ctx, newAccount(t), demo.Policy(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		driven = append(driven, run.GetID())
	}
	parked := map[string]contract.Stage{}
	ids := append([]string(nil), driven...)
	for _, stage := range []contract.Stage{contract.StagePhoneVerify, contract.StageVisit, contract.StageNegotiate, contract.StageRepayment} {
		run, err := cases().Start(ctx, newAccount(t), demo.ParkPolicy()) // real 24-hour days, any hour
		if err != nil {
			t.Fatal(err)
		}
		parked[run.GetID()] = stage
		ids = append(ids, run.GetID())
	}
	sim := &demo.Sim{DB: stack.db, Cases: &direct.Client{TC: stack.tc, DB: stack.db}, Park: parked}
	simCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	t0 := time.Now()
	if err := sim.Run(simCtx, ids, nil); err != nil {
		t.Fatalf("simulation: %v (accepted %d, rejected %d)", err, sim.Accepted.Load(), sim.Rejected.Load())
	}
	t.Logf("%d cases in %s: %d updates accepted, %d rejected, %d signals", len(ids), time.Since(t0).Round(time.Second),
		sim.Accepted.Load(), sim.Rejected.Load(), sim.Signals.Load())
	vs, err := demo.Verdicts(ctx, stack.db, driven)
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := demo.WriteVerdicts(&table, vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.Cases == 0 || v.Reached != v.Cases {
			t.Errorf("scenario %s: %d of %d cases reached %s\n%s", v.Scenario, v.Reached, v.Cases, v.Expected, table.String())
		}
	}
	for id, stage := range parked {
		st := status(t, id)
		if st.Stage != stage || st.Pending == nil {
			t.Errorf("parked %s: stage %s pending %+v, want waiting in %s", id, st.Stage, st.Pending, stage)
		}
		mustUpdate(t, id, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "test over"})
	}
	var violations, rejected int
	if err := stack.db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE violation <> ''), count(*) FILTER (WHERE NOT accepted AND actor <> 'workflow')
		FROM audit_log WHERE case_id = ANY($1)`, driven).Scan(&violations, &rejected); err != nil {
		t.Fatal(err)
	}
	if violations == 0 || rejected == 0 {
		t.Errorf("violations flagged %d, signals rejected %d: want some of each", violations, rejected)
	}
}
