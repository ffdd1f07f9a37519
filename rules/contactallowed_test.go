package rules_test

import (
	"strings"
	"testing"
	"time"

	"github.com/casework/casework/contract"
	"github.com/casework/casework/rules"
)

// The contact check an agent's tool asks before a call or a visit (the API's
// /v1/cases/{case}/contact answers with it).
func TestContactAllowed(t *testing.T) {
	day := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)    // 10:00 in Taipei
	night := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC) // 23:00 in Taipei
	base := func() *contract.Status {
		return &contract.Status{CaseID: "case-A1", Stage: contract.StagePhoneVerify, Timezone: "Asia/Taipei", Epoch: day,
			Policy: contract.DefaultPolicy(), Supervisors: []string{"sup-1"},
			Assigned: map[string][]string{contract.RolePhone: {"p1"}, contract.RoleField: {"f1", "f2"}}}
	}
	tests := []struct {
		name    string
		mod     func(*contract.Status)
		agent   string
		channel string
		now     time.Time
		at      time.Time // zero: never
		why     string
		err     string
	}{
		{"call in the day", nil, "p1", "call", day, day, "", ""},
		{"call at night", nil, "p1", "call", night, time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), "contact window", ""},
		{"call after a conversation", func(s *contract.Status) { s.LastConversation = day.Add(-time.Hour) }, "p1", "call", day, day.Add(-time.Hour).Add(7 * contract.Day), "pause after a conversation", ""},
		{"call during a dispute", func(s *contract.Status) { s.Hold = true }, "p1", "call", day, time.Time{}, "dispute hold", ""},
		{"visit during a dispute", func(s *contract.Status) { s.Hold = true }, "f1", "visit", day, time.Time{}, "dispute hold", ""},
		{"visit at night", nil, "f2", "visit", night, time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), "contact window", ""},
		{"not on the case", nil, "p9", "call", day, time.Time{}, "", "not the phone agent"},
		{"supervisor", nil, "sup-1", "visit", day, day, "", ""},
		{"closed", func(s *contract.Status) { s.Stage = contract.StageClosed }, "p1", "call", day, time.Time{}, "closed", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := base()
			if tc.mod != nil {
				tc.mod(st)
			}
			at, why, err := rules.ContactAllowed(st, tc.agent, tc.channel, tc.now)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !at.Equal(tc.at) || !strings.Contains(why, tc.why) {
				t.Errorf("got %s %q %v, want %s %q", at, why, err, tc.at, tc.why)
			}
		})
	}
}
