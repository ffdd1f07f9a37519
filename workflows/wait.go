package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/rules"
)

// errContinueAsNew ends a wait when the run should continue as new.
var errContinueAsNew = errors.New("continue as new")

// onMiss is what a missed deadline does.
type onMiss int

const (
	// escalate reassigns the task to other agents of the role and tells the supervisors;
	// MaxDeadlineMisses misses in a row raise the anomaly deadline-missed.
	escalate onMiss = iota
	// remind tells the supervisors again (the wait is already theirs).
	remind
	// expire ends the wait: the step goes on without the action.
	expire
)

// wait is one wait for a person: the case's pending action, with a deadline.
type wait struct {
	action    string
	role      string
	assignees []string
	deadline  contract.Duration // case time, from when contact is first allowed
	contact   bool              // the action is a call: the call rules set notBefore
	window    bool              // the action is a contact in person: the contact window sets notBefore
	notBefore time.Time         // earliest start, if later than the rules say
	reason    string            // why notBefore
	addressID string
	onMiss    onMiss
}

// await is the one mechanism behind every human wait. It opens the task (or takes up the
// one a previous run left open), then sleeps until the pending action is done or the case
// moves on (any handler that ends the wait clears Pending), its deadline passes, records
// need writing, or the run should continue as new. It reports whether the wait expired.
func (c *caseRun) await(w wait) (expired bool, err error) {
	p := c.st.Pending
	if p == nil || p.Action != w.action {
		p = c.openPending(w)
	}
	for {
		woke, err := c.sleepUntil(p.Deadline, func() bool { return c.st.Pending != p })
		if err != nil {
			return false, fmt.Errorf("wait for %s: %w", w.action, err)
		}
		if woke {
			return false, nil
		}
		if expired, err := c.missed(p, w); expired || err != nil {
			return expired, err
		}
	}
}

// sleepUntil writes what is queued, then sleeps until the time t or until moved() says the
// case moved on (woke). Records queued meanwhile (an update's, a signal's) are written
// without ending the sleep: one timer serves the whole sleep, however often it wakes. It
// returns errContinueAsNew when the run should continue as new.
func (c *caseRun) sleepUntil(t time.Time, moved func() bool) (woke bool, err error) {
	timerCtx, cancel := workflow.WithCancel(c.ctx)
	defer cancel()
	var timer workflow.Future
	if d := t.Sub(c.now()); d > 0 {
		timer = workflow.NewTimer(timerCtx, d)
	}
	due := func() bool { return timer == nil || timer.IsReady() }
	for {
		if err := c.write(); err != nil {
			return false, err
		}
		if moved() {
			if c.latest {
				// the step that follows goes on in this task: it publishes where it next
				// blocks, once for the task (publishBeforeBlocking)
				return true, nil
			}
			return true, c.publish()
		}
		if err := c.publish(); err != nil {
			return false, err
		}
		if c.continueAsNewDue() {
			return false, errContinueAsNew
		}
		if due() {
			return false, nil
		}
		if err := workflow.Await(c.ctx, func() bool {
			return moved() || len(c.records) > 0 || c.continueAsNewDue() || due()
		}); err != nil {
			return false, err
		}
	}
}

// openPending makes the wait the case's pending action and opens its task.
func (c *caseRun) openPending(w wait) *contract.Pending {
	now := c.now()
	start, reason := w.notBefore, w.reason
	if w.contact {
		if t, why := c.nextCall(now); t.After(now) && t.After(start) {
			start, reason = t, why
		}
	}
	if w.window {
		win := rules.WindowOf(c.st.Policy)
		if t := c.clock.NextInWindow(now, win); t.After(now) && t.After(start) {
			start, reason = t, rules.ReasonWindow+" "+win.String()
		}
	}
	from := now
	if start.After(from) {
		from = start
	}
	c.st.Seq++
	p := &contract.Pending{
		Action: w.action, Role: w.role, Assignees: w.assignees, Since: now,
		Deadline: from.Add(c.st.Policy.Real(w.deadline)), NotBefore: start, NotBeforeReason: reason,
		TaskID: fmt.Sprintf("%s/task-%d.%d", c.st.CaseKey, c.st.Seq, c.attempt()), AddressID: w.addressID,
	}
	c.st.Pending = p
	c.writeTask(p, "open")
	return p
}

func (c *caseRun) writeTask(p *contract.Pending, status string) {
	c.record(activities.Record{Kind: activities.RecordTaskOpen, Task: &activities.Task{
		TaskID: p.TaskID, Action: p.Action, Role: p.Role, Assignees: p.Assignees, Deadline: p.Deadline,
		NotBefore: p.NotBefore, NotBeforeReason: p.NotBeforeReason, AddressID: p.AddressID, Status: status,
	}})
}

// endPending ends the pending action, if any: done, cancelled (the case moved on) or expired.
func (c *caseRun) endPending(status string) {
	p := c.st.Pending
	if p == nil {
		return
	}
	if p.TaskID != "" {
		c.record(activities.Record{Kind: activities.RecordTaskClose, Task: &activities.Task{TaskID: p.TaskID, Status: status}})
	}
	c.st.Pending = nil
}

// missed handles a passed deadline: the task is reassigned (or the supervisors reminded,
// or the wait ends), the supervisors are told, and repeated misses become an anomaly.
func (c *caseRun) missed(p *contract.Pending, w wait) (expired bool, err error) {
	p.Misses++
	c.event(contract.AnomalyDeadlineMissed, "workflow", true,
		fmt.Sprintf("%s by %v missed its deadline %s (miss %d)", p.Action, p.Assignees, stamp(p.Deadline), p.Misses), "", false, nil)
	if w.onMiss == expire {
		c.endPending("expired")
		return true, nil
	}
	if w.onMiss == escalate && p.Misses >= c.st.Policy.MaxDeadlineMisses {
		c.raise(contract.AnomalyDeadlineMissed, "workflow")
		return false, nil
	}
	if w.onMiss == escalate && (w.role == contract.RolePhone || w.role == contract.RoleField) {
		if err := c.reassignRole(p, w.role); err != nil {
			return false, err
		}
	}
	if c.st.Pending != p { // a handler moved the case on while we reassigned
		return false, nil
	}
	c.alert("deadline-missed", fmt.Sprintf("%s missed its deadline (miss %d); now with %v", p.Action, p.Misses, p.Assignees))
	p.Deadline = c.now().Add(c.st.Policy.Real(w.deadline))
	c.writeTask(p, "open")
	return false, nil
}

// reassignRole gives the role's part of the pending task to as many other agents of the
// role, when the region has them.
func (c *caseRun) reassignRole(p *contract.Pending, role string) error {
	old := c.st.Assigned[role]
	others, err := c.assign(role, len(old), old)
	if err != nil {
		return err
	}
	if len(others) < len(old) || c.st.Pending != p {
		return nil // nobody else to give it to, or a handler moved the case on meanwhile
	}
	c.st.Assigned[role] = others
	var assignees []string
	for _, id := range p.Assignees {
		if !slices.Contains(old, id) {
			assignees = append(assignees, id)
		}
	}
	p.Assignees = append(others, assignees...)
	return nil
}

// assign asks PostgreSQL for n active agents of a role in the case's region, other than
// those excluded.
func (c *caseRun) assign(role string, n int, exclude []string) ([]string, error) {
	var ids []string
	req := activities.AssignRequest{CaseID: c.st.CaseID, Role: role, Region: c.st.Region, Count: n, Exclude: exclude}
	if err := c.runLocal("AssignAgents", a.AssignAgents, req, &ids); err != nil {
		return nil, fmt.Errorf("assign %d %s agents to %s: %w", n, role, c.st.CaseID, err)
	}
	return ids, nil
}

// isAssigned reports whether the agent may act for the role on this case: assigned to it,
// or a supervisor.
func (c *caseRun) isAssigned(agent string, roles ...string) bool {
	if slices.Contains(c.st.Supervisors, agent) {
		return true
	}
	for _, r := range roles {
		if slices.Contains(c.st.Assigned[r], agent) {
			return true
		}
	}
	return false
}
