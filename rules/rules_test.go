package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/casework/casework/contract"
)

func taipei(t *testing.T, dayLength time.Duration, epoch time.Time) Clock {
	t.Helper()
	c, err := NewClock(epoch, dayLength, "Asia/Taipei")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClockScalesDays(t *testing.T) {
	epoch := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC) // 10:00 in Taipei
	for _, tc := range []struct {
		day   time.Duration
		after time.Duration
		local string
	}{
		{contract.Day, 0, "2026-03-02 10:00"},
		{contract.Day, 14 * time.Hour, "2026-03-03 00:00"},
		{2 * time.Second, time.Second, "2026-03-02 22:00"},     // half a scaled day
		{2 * time.Second, 4 * time.Second, "2026-03-04 10:00"}, // two scaled days
	} {
		c := taipei(t, tc.day, epoch)
		got := c.Local(epoch.Add(tc.after)).Format("2006-01-02 15:04")
		if got != tc.local {
			t.Errorf("day %s, +%s: local %s, want %s", tc.day, tc.after, got, tc.local)
		}
		if back := c.Real(c.Local(epoch.Add(tc.after))); back.Sub(epoch.Add(tc.after)).Abs() > time.Millisecond {
			t.Errorf("day %s: Real(Local(t)) = %s, want %s", tc.day, back, epoch.Add(tc.after))
		}
	}
	c := taipei(t, 2*time.Second, epoch)
	end, err := c.EndOfDate("2026-03-02")
	if err != nil || end.Sub(epoch.Add(2*time.Second*14/24)).Abs() > time.Millisecond {
		t.Errorf("end of the first day = %s %v", end, err)
	}
}

func TestNextInWindow(t *testing.T) {
	c := taipei(t, contract.Day, time.Time{})
	w := Window{8, 21}
	for _, tc := range []struct{ at, want string }{
		{"2026-03-02T10:00:00+08:00", "2026-03-02T10:00:00+08:00"}, // inside
		{"2026-03-02T07:59:00+08:00", "2026-03-02T08:00:00+08:00"}, // before
		{"2026-03-02T21:00:00+08:00", "2026-03-03T08:00:00+08:00"}, // at the end
		{"2026-03-02T23:30:00+08:00", "2026-03-03T08:00:00+08:00"}, // night
	} {
		at, _ := time.Parse(time.RFC3339, tc.at)
		want, _ := time.Parse(time.RFC3339, tc.want)
		if got := c.NextInWindow(at, w); !got.Equal(want) {
			t.Errorf("NextInWindow(%s) = %s, want %s", tc.at, got.In(c.Loc), tc.want)
		}
	}
}

func TestNextCall(t *testing.T) {
	p := contract.DefaultPolicy()
	c := taipei(t, contract.Day, time.Time{})
	now, _ := time.Parse(time.RFC3339, "2026-03-10T10:00:00+08:00")
	var seven []time.Time
	for i := range 7 {
		seven = append(seven, now.Add(-time.Duration(6-i)*time.Hour)) // 04:00..10:00 today
	}
	for _, tc := range []struct {
		name   string
		k      Contacts
		at     time.Time
		reason string
	}{
		{"free", Contacts{}, now, ""},
		{"hold", Contacts{Hold: true}, time.Time{}, ReasonHold},
		{"cap, then the window", Contacts{Calls: seven}, seven[0].Add(7*contract.Day + 4*time.Hour), ReasonCallCap},
		{"after a conversation", Contacts{LastConversation: now.Add(-time.Hour)}, now.Add(-time.Hour).Add(7 * contract.Day), ReasonCooldown},
		{"debtor asked", Contacts{LastConversation: now.Add(-time.Hour), CallbackRequested: true}, now, ""},
		{"cooldown ends at night", Contacts{LastConversation: now.Add(12 * time.Hour).Add(-7 * contract.Day)}, now.Add(22 * time.Hour), ReasonCooldown + "; then " + ReasonWindow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at, reason := NextCall(now, tc.k, p, c)
			if !at.Equal(tc.at) || !strings.HasPrefix(reason, tc.reason) {
				t.Errorf("NextCall = %s %q, want %s %q", at.In(c.Loc), reason, tc.at.In(c.Loc), tc.reason)
			}
		})
	}
}

func TestViolations(t *testing.T) {
	p := contract.DefaultPolicy()
	c := taipei(t, contract.Day, time.Time{})
	day, _ := time.Parse(time.RFC3339, "2026-03-10T10:00:00+08:00")
	night, _ := time.Parse(time.RFC3339, "2026-03-10T22:30:00+08:00")
	var seven []time.Time
	for i := range 7 {
		seven = append(seven, day.Add(-time.Duration(7-i)*time.Hour))
	}
	for _, tc := range []struct {
		name string
		at   time.Time
		k    Contacts
		want string
	}{
		{"fine", day, Contacts{}, ""},
		{"night", night, Contacts{}, ReasonWindow},
		{"hold", day, Contacts{Hold: true}, ReasonHold},
		{"eighth call", day, Contacts{Calls: seven}, ReasonCallCap},
		{"soon after a conversation", day, Contacts{LastConversation: day.Add(-contract.Day)}, ReasonCooldown},
	} {
		if got := CallViolation(tc.at, tc.k, p, c); !strings.HasPrefix(got, tc.want) || (tc.want == "") != (got == "") {
			t.Errorf("%s: CallViolation = %q, want %q", tc.name, got, tc.want)
		}
	}
}
