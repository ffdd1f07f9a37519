package workflows

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
)

// A missed deadline reassigns the task to another agent of the role and tells the
// supervisors; maxDeadlineMisses misses in a row become the anomaly deadline-missed, which
// pauses the case for supervisor review.
func TestDeadlineEscalation(t *testing.T) {
	tests := []struct {
		stage    contract.Stage
		deadline time.Duration
		role     string
		before   []string // assignees before the first miss
		after    []string // after it
	}{
		{contract.StagePhoneVerify, 3 * contract.Day, contract.RolePhone, []string{"phone-1"}, []string{"phone-2"}},
		{contract.StageVisit, 5 * contract.Day, contract.RoleField, []string{"field-1", "field-2"}, []string{"field-3", "field-4"}},
		{contract.StageNegotiate, 3 * contract.Day, contract.RolePhone, []string{"phone-1", "field-1", "field-2"}, []string{"phone-2", "field-1", "field-2"}},
	}
	for _, tc := range tests {
		t.Run(string(tc.stage), func(t *testing.T) {
			h := newHarness(t)
			at := h.driveTo(tc.stage)
			h.at(at, func() {
				if s := h.status(); s.Pending == nil || !slices.Equal(s.Pending.Assignees, tc.before) {
					t.Errorf("pending %+v, want assignees %v", s.Pending, tc.before)
				}
			})
			h.at(at+tc.deadline+time.Hour, func() {
				s := h.status()
				if s.Pending == nil || s.Pending.Misses != 1 || !slices.Equal(s.Pending.Assignees, tc.after) || s.Stage != tc.stage {
					t.Errorf("after one miss: stage %s pending %+v, want %v with 1 miss", s.Stage, s.Pending, tc.after)
				}
			})
			h.at(at+3*tc.deadline+2*time.Hour, func() {
				s := h.status()
				if !s.Paused || len(s.Anomalies) != 1 || s.Anomalies[0].Kind != contract.AnomalyDeadlineMissed {
					t.Errorf("after three misses: paused %t anomalies %+v, want deadline-missed and a pause", s.Paused, s.Anomalies)
				}
				if s.Pending == nil || s.Pending.Role != contract.RoleSupervisor {
					t.Errorf("after three misses: pending %+v, want a supervisor's review", s.Pending)
				}
			})
			h.closeAt(at + 3*tc.deadline + 3*time.Hour)
			h.run(contract.CaseInput{})
			h.result()
			alerts := 0
			for _, r := range h.recordsOf(activities.RecordAlert) {
				if r.Alert.Kind == "deadline-missed" {
					alerts++
				}
			}
			if alerts != 2 {
				t.Errorf("deadline-missed alerts = %d, want 2 (the third miss is the anomaly)", alerts)
			}
			excluded := false
			for _, a := range h.assigns {
				if a.Role == tc.role && len(a.Exclude) > 0 {
					excluded = true
				}
			}
			if !excluded {
				t.Errorf("no reassignment excluded the agents who missed: %+v", h.assigns)
			}
		})
	}
}

// A supervisor's review never waits forever without telling anyone: each missed review
// deadline tells the supervisors again.
func TestReviewDeadlineRemindsSupervisors(t *testing.T) {
	h := newHarness(t)
	at := h.driveTo(contract.StageVisit)
	h.at(at, func() { h.accept(contract.ActionPause, contract.SupervisorAction{By: "sup-1", Reason: "check"}) })
	h.closeAt(at + 10*contract.Day)
	h.run(contract.CaseInput{})
	h.result()
	reminders := 0
	for _, r := range h.recordsOf(activities.RecordAlert) {
		if r.Alert.Kind == "deadline-missed" && strings.Contains(r.Alert.Message, contract.ActionResume) {
			reminders++
		}
	}
	if reminders != 3 {
		t.Errorf("review reminders in 10 days = %d, want 3 (every 3 days)", reminders)
	}
}

// The survey waits until its deadline, then the case closes without it.
func TestSurveyExpires(t *testing.T) {
	h := newHarness(t)
	at := h.driveTo(contract.StageSurvey)
	h.at(at+6*contract.Day, func() { h.expectNow(contract.StageSurvey) })
	h.run(contract.CaseInput{})
	s := h.result()
	if s.Survey != nil || s.Outcome != contract.OutcomePlanCompleted {
		t.Errorf("survey %+v outcome %s, want no survey, plan-completed", s.Survey, s.Outcome)
	}
	if took := s.ClosedAt.Sub(start); took < 14*contract.Day || took > 15*contract.Day {
		t.Errorf("closed %s after the start, want 7 days delay + 7 days deadline", took)
	}
}

// Too few active field agents in the region: the supervisors are asked to assign them.
func TestStaffingWaitsForReassign(t *testing.T) {
	h := newHarness(t)
	h.agents[contract.RoleField] = []string{"field-1"}
	at := h.driveTo(contract.StageVisit)
	h.at(at, func() {
		s := h.status()
		if s.Pending == nil || s.Pending.Action != contract.ActionReassign {
			t.Errorf("pending %+v, want a supervisor's reassign", s.Pending)
		}
		h.accept(contract.ActionReassign, contract.Reassign{By: "sup-1", Role: contract.RoleField, AgentIDs: []string{"field-1", "field-9"}})
	})
	h.at(at+time.Minute, func() {
		s := h.status()
		if s.Pending == nil || s.Pending.Action != contract.ActionVisitReport || !slices.Equal(s.Pending.Assignees, []string{"field-1", "field-9"}) {
			t.Errorf("after reassign: pending %+v, want the visit for field-1 and field-9", s.Pending)
		}
	})
	h.closeAt(at + 2*time.Minute)
	h.run(contract.CaseInput{})
	h.result()
}
