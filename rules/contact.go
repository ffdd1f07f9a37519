package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/casework/casework/contract"
)

// Window is the contact window in whole hours of the debtor's time zone: [Start, End).
type Window struct{ Start, End int }

// WindowOf returns the policy's contact window.
func WindowOf(p contract.Policy) Window { return Window{p.ContactStartHour, p.ContactEndHour} }

func (w Window) String() string { return fmt.Sprintf("%02d:00-%02d:00 debtor-local", w.Start, w.End) }

// InWindow reports whether real time t is inside the contact window.
func (c Clock) InWindow(t time.Time, w Window) bool {
	h := c.Local(t).Hour()
	return h >= w.Start && h < w.End
}

// NextInWindow is the earliest real time at or after t inside the contact window.
func (c Clock) NextInWindow(t time.Time, w Window) time.Time {
	if c.InWindow(t, w) {
		return t
	}
	l := c.Local(t)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, c.Loc)
	start := day.Add(time.Duration(w.Start) * time.Hour)
	if l.Hour() >= w.End {
		start = day.AddDate(0, 0, 1).Add(time.Duration(w.Start) * time.Hour)
	}
	return c.Real(start)
}

// WindowEnd is the real time at which the contact window that contains t closes (for a t
// outside the window: the next window's close).
func (c Clock) WindowEnd(t time.Time, w Window) time.Time {
	l := c.Local(c.NextInWindow(t, w))
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, c.Loc)
	return c.Real(day.Add(time.Duration(w.End) * time.Hour))
}

// Contacts is what the rules need to know of a case's past calls.
type Contacts struct {
	Calls             []time.Time // call attempts, oldest first
	LastConversation  time.Time   // the last right-party conversation
	CallbackRequested bool        // the debtor asked to be called again
	Hold              bool        // dispute hold: no collection contact at all
}

// ContactsOf reads them from a case's state.
func ContactsOf(s *contract.Status) Contacts {
	return Contacts{Calls: s.Calls, LastConversation: s.LastConversation, CallbackRequested: s.CallbackRequested, Hold: s.Hold}
}

// Reasons a contact is not allowed.
const (
	ReasonHold     = "dispute hold: no collection contact until a supervisor resumes"
	ReasonWindow   = "outside the contact window"
	ReasonCallCap  = "call cap reached"
	ReasonCooldown = "within the pause after a conversation"
)

// NextCall is the earliest real time at or after now when a call is allowed, and why not
// earlier ("" when now is allowed). With a dispute hold, no time is allowed: it returns
// the zero time and ReasonHold.
func NextCall(now time.Time, k Contacts, p contract.Policy, c Clock) (time.Time, string) {
	if k.Hold {
		return time.Time{}, ReasonHold
	}
	w := WindowOf(p)
	period, cooldown := p.Real(p.CallPeriod), p.Real(p.ConversationCooldown)
	t := now
	var reasons []string
	because := func(r string) {
		if !slices.Contains(reasons, r) {
			reasons = append(reasons, r)
		}
	}
	for range 8 { // each rule only moves t later; a few rounds reach the fixed point
		moved := false
		if n := callsIn(k.Calls, t.Add(-period), t); n >= p.MaxCalls {
			// the window of the last MaxCalls calls must slide past the oldest of them
			oldest := k.Calls[len(k.Calls)-p.MaxCalls]
			t, moved = oldest.Add(period), true
			because(fmt.Sprintf("%s: %d calls in %s", ReasonCallCap, p.MaxCalls, period))
		}
		if !k.CallbackRequested && !k.LastConversation.IsZero() && t.Before(k.LastConversation.Add(cooldown)) {
			t, moved = k.LastConversation.Add(cooldown), true
			because(ReasonCooldown)
		}
		if next := c.NextInWindow(t, w); !next.Equal(t) {
			t, moved = next, true
			because(fmt.Sprintf("%s %s", ReasonWindow, w))
		}
		if !moved {
			break
		}
	}
	reason := strings.Join(reasons, "; then ")
	if !t.After(now) {
		return now, ""
	}
	return t, reason
}

// NextMessage is the earliest real time at or after t when a reminder may go out: inside
// the contact window and not under a dispute hold (zero time then).
func NextMessage(t time.Time, k Contacts, p contract.Policy, c Clock) time.Time {
	if k.Hold {
		return time.Time{}
	}
	return c.NextInWindow(t, WindowOf(p))
}

// CallViolation says which rule a call made at real time at broke, or "" if none.
func CallViolation(at time.Time, k Contacts, p contract.Policy, c Clock) string {
	if v := ContactViolation(at, k, p, c); v != "" {
		return v
	}
	if n := callsIn(k.Calls, at.Add(-p.Real(p.CallPeriod)), at); n >= p.MaxCalls {
		return fmt.Sprintf("%s: call %d within %s", ReasonCallCap, n+1, p.Real(p.CallPeriod))
	}
	if !k.CallbackRequested && !k.LastConversation.IsZero() && at.After(k.LastConversation) &&
		at.Before(k.LastConversation.Add(p.Real(p.ConversationCooldown))) {
		return ReasonCooldown
	}
	return ""
}

// ContactViolation says which rule any contact (call, visit, message) at real time at
// broke: the dispute hold or the contact window; "" if none.
func ContactViolation(at time.Time, k Contacts, p contract.Policy, c Clock) string {
	if k.Hold {
		return ReasonHold
	}
	if !c.InWindow(at, WindowOf(p)) {
		return fmt.Sprintf("%s %s (at %s)", ReasonWindow, WindowOf(p), c.Local(at).Format("15:04"))
	}
	return ""
}

// callsIn counts the calls in (from, to].
func callsIn(calls []time.Time, from, to time.Time) int {
	n := 0
	for _, t := range calls {
		if t.After(from) && !t.After(to) {
			n++
		}
	}
	return n
}

// ContactAllowed says when agent may start a contact of the channel ("call" or "visit")
// on the case: at (now or later) and why not earlier; a zero time when no time is allowed
// (a closed case, a dispute hold). It is an error for an agent who is not on the case.
func ContactAllowed(st *contract.Status, agent, channel string, now time.Time) (time.Time, string, error) {
	if st.Stage == contract.StageClosed {
		return time.Time{}, "the case is closed", nil
	}
	role := contract.RolePhone
	if channel == "visit" {
		role = contract.RoleField
	}
	if !slices.Contains(st.Assigned[role], agent) && !slices.Contains(st.Supervisors, agent) {
		return time.Time{}, "", fmt.Errorf("%s is not the %s agent of %s", agent, role, st.CaseID)
	}
	clock, err := NewClock(st.Epoch, st.Policy.DayLength.D(), st.Timezone)
	if err != nil {
		return time.Time{}, "", err
	}
	k := ContactsOf(st)
	if channel == "call" {
		at, why := NextCall(now, k, st.Policy, clock)
		return at, why, nil
	}
	if k.Hold {
		return time.Time{}, ReasonHold, nil
	}
	w := WindowOf(st.Policy)
	if at := clock.NextInWindow(now, w); at.After(now) {
		return at, ReasonWindow + " " + w.String(), nil
	}
	return now, "", nil
}
