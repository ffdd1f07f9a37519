package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/rules"
)

// repayment runs the plan: reminders go out on schedule inside the contact rules, payments
// are matched to installments, and an installment still unpaid after its due date plus
// grace is the anomaly missed-payment.
func (c *caseRun) repayment() error {
	for c.st.Stage == contract.StageRepayment && !c.st.Paused {
		now := c.now()
		confirmAt, err := c.confirmPlan(now)
		if err != nil {
			return err
		}
		if err := c.sendDueReminders(now); err != nil {
			return err
		}
		if c.st.Stage != contract.StageRepayment || c.st.Paused {
			return nil
		}
		if c.checkMissed(now) {
			return nil
		}
		next, graceEnd := c.nextRepaymentEvent()
		next = earliest(next, confirmAt)
		paid := c.st.AmountPaid
		c.st.Pending = &contract.Pending{
			Action: contract.ActionPaymentReceived, Role: "debtor", Deadline: graceEnd, Since: now,
		}
		pending := c.st.Pending
		if _, err := c.sleepUntil(next, func() bool {
			return c.st.Pending != pending || c.st.AmountPaid != paid || c.st.Paused
		}); err != nil {
			return err
		}
	}
	return nil
}

// confirmPlan sends a new plan's confirmation, its first message, inside the contact
// window; it returns when to try again if the window is closed now. The confirmation came
// with version 1 of the workflow ("plan-confirmation"): a case whose repayment began
// before goes on without it, so its history replays unchanged.
func (c *caseRun) confirmPlan(now time.Time) (later time.Time, err error) {
	plan := c.st.Plan
	if plan.Confirmed || !c.changed(c.ctx, planConfirmationChange) {
		return time.Time{}, nil
	}
	if at := c.clock.NextInWindow(now, rules.WindowOf(c.st.Policy)); at.After(now) && !c.st.Hold {
		return at, nil
	}
	plan.Confirmed = true
	first := plan.Installments[0]
	if c.st.Hold {
		c.event("plan-confirmation", "workflow", false, "not sent: "+rules.ReasonHold, "", false, nil)
		return time.Time{}, nil
	}
	req := activities.ReminderRequest{
		Key: fmt.Sprintf("%s/plan-%d/confirmation", c.st.CaseKey, plan.Number), Kind: "confirmation", CaseKey: c.st.CaseKey,
		CaseID: c.st.CaseID, AccountID: c.st.AccountID, PhoneID: c.st.PhoneID, Channel: contract.ChannelSMS,
		Installment: 1, DueDate: first.DueDate, Amount: first.Amount, Currency: c.st.Currency, ScheduledAt: now,
		NotAfter: c.handOverBy(now, time.Time{}),
	}
	sent, err := c.handOver("plan-confirmation", req)
	if err != nil || !sent {
		return time.Time{}, err
	}
	c.st.Contacts++
	c.event("plan-confirmation", "workflow", true, fmt.Sprintf("plan %d: %d installments, the first due %s", plan.Number, len(plan.Installments), first.DueDate), "", true, req)
	return time.Time{}, nil
}

// simulationSlack is the real time a simulation (a case day shorter than 24 hours) allows a
// hand-off past its deadline: there an hour lasts a fraction of a second, and the
// hand-off's own latency must not count as lateness. A real deployment allows none.
const simulationSlack = 2 * time.Second

// handOverBy is the last moment a message decided now may be handed to the channel: the
// end of the contact window it was decided in, or the due time if earlier.
func (c *caseRun) handOverBy(now, due time.Time) time.Time {
	t := earliest(c.clock.WindowEnd(now, rules.WindowOf(c.st.Policy)), due)
	if c.st.Policy.DayLength.D() < contract.Day {
		t = t.Add(simulationSlack)
	}
	return t
}

// handOver has the notifier send a message and reports whether it went out. One that the
// activity skipped at the hand-off (a hold, a pause, too late for its window, nothing
// owed) or that the channel refused for good is recorded, with the reason, and the plan
// goes on.
func (c *caseRun) handOver(kind string, req activities.ReminderRequest) (sent bool, err error) {
	var res activities.ReminderResult
	if err := c.publishBeforeBlocking(); err != nil {
		return false, err
	}
	fut := workflow.ExecuteActivity(c.ctx, a.SendReminder, req)
	c.handingOver = true
	defer func() { c.handingOver = false }()
	if c.changed(c.ctx, trustBoundary) {
		// while the channel works (or its gateway is down and the hand-off is retried),
		// what the handlers change (a dispute hold, a pause, a payment) is written to
		// PostgreSQL, where each try of the hand-off checks it again
		for !fut.IsReady() {
			if err := workflow.Await(c.ctx, func() bool { return fut.IsReady() || len(c.records) > 0 }); err != nil {
				return false, err
			}
			if !fut.IsReady() {
				if err := c.sync(); err != nil {
					return false, err
				}
			}
		}
	}
	err = fut.Get(c.ctx, &res)
	var app *temporal.ApplicationError
	switch {
	case errors.As(err, &app) && app.Type() == activities.ErrTypePermanentSend:
		c.event(kind, "workflow", false, "not sent: the channel refused it for good: "+app.Message(), "", false, nil)
		c.alert("reminder-failed", fmt.Sprintf("%s %s refused by the channel: %s", kind, req.Key, app.Message()))
		return false, nil
	case err != nil:
		return false, fmt.Errorf("send %s %s: %w", kind, req.Key, err)
	case res.Skipped:
		c.event(kind, "workflow", false, "skipped at the hand-off: "+res.Reason, "", false, nil)
		return false, nil
	}
	return true, nil
}

// reminderAt is when reminder r of installment in goes out: hour ReminderHour debtor-local,
// r.Before ahead of the due date, moved into the contact window.
func (c *caseRun) reminderAt(in contract.Installment, r contract.Reminder) time.Time {
	at, err := c.clock.DateAt(in.DueDate, c.st.Policy.ReminderHour)
	if err != nil {
		at = in.DueAt
	}
	at = at.Add(-c.st.Policy.Real(r.Before))
	return c.clock.NextInWindow(at, rules.WindowOf(c.st.Policy))
}

// sendDueReminders sends every reminder whose time has come, each exactly once (the
// outbox key is the plan, the installment and the reminder).
func (c *caseRun) sendDueReminders(now time.Time) error {
	plan := c.st.Plan
	for i := range plan.Installments {
		in := &plan.Installments[i]
		for in.Reminded < len(c.st.Policy.Reminders) {
			r := c.st.Policy.Reminders[in.Reminded]
			at := c.reminderAt(*in, r)
			if at.After(now) && in.Paid < in.Amount {
				break
			}
			if err := c.remind(i, in, r, at, now); err != nil {
				return err
			}
			in.Reminded++
		}
	}
	return nil
}

// remind sends one reminder, or records why it does not go out.
func (c *caseRun) remind(i int, in *contract.Installment, r contract.Reminder, at, now time.Time) error {
	kind := "reminder-" + r.Channel
	skip := ""
	switch {
	case in.Paid >= in.Amount:
		return nil // paid: nothing to remind
	case at.Before(c.st.Plan.AgreedAt):
		skip = "its time had passed when the plan was agreed"
	case !now.Before(in.DueAt):
		skip = "the installment is already due"
	case c.st.Hold:
		skip = rules.ReasonHold
	case !c.clock.InWindow(now, rules.WindowOf(c.st.Policy)):
		skip = "outside the contact window (the worker was late)"
	case r.Channel == contract.ChannelPhone:
		if t, why := c.nextCall(now); t.After(now) {
			skip = "call not allowed now: " + why
		}
	}
	if skip != "" {
		c.event(kind, "workflow", false, fmt.Sprintf("installment %d reminder skipped: %s", i+1, skip), "", false, nil)
		return nil
	}
	req := activities.ReminderRequest{
		Key:    fmt.Sprintf("%s/plan-%d/installment-%d/reminder-%d", c.st.CaseKey, c.st.Plan.Number, i+1, in.Reminded+1),
		CaseID: c.st.CaseID, CaseKey: c.st.CaseKey, AccountID: c.st.AccountID, PhoneID: c.st.PhoneID, Channel: r.Channel,
		Installment: i + 1, DueDate: in.DueDate, Amount: in.Amount - in.Paid, Currency: c.st.Currency, ScheduledAt: at,
		NotAfter: c.handOverBy(now, in.DueAt),
	}
	sent, err := c.handOver(kind, req)
	if err != nil || !sent {
		return err
	}
	if r.Channel == contract.ChannelPhone {
		c.st.Calls = append(c.st.Calls, now)
	}
	c.st.Contacts++
	c.event(kind, "workflow", true, fmt.Sprintf("installment %d due %s", i+1, in.DueDate), "", true, req)
	return nil
}

// checkMissed raises missed-payment for the first installment unpaid past due plus grace.
func (c *caseRun) checkMissed(now time.Time) bool {
	for i := range c.st.Plan.Installments {
		in := &c.st.Plan.Installments[i]
		if in.Paid >= in.Amount || in.Missed || now.Before(in.DueAt.Add(c.st.Policy.Real(c.st.Policy.Grace))) {
			continue
		}
		in.Missed = true
		c.record(activities.Record{Kind: activities.RecordPlan, Plan: c.st.Plan}) // installment missed
		c.event(contract.AnomalyMissedPayment, "workflow", true, fmt.Sprintf("installment %d of %d due %s unpaid after grace", i+1, in.Amount, in.DueDate), "", false, nil)
		c.raise(contract.AnomalyMissedPayment, "workflow")
		return true
	}
	return false
}

// nextRepaymentEvent is the next time the plan needs the workflow (a reminder or the end of
// a grace period), and the end of the grace period of the first unpaid installment.
func (c *caseRun) nextRepaymentEvent() (next, graceEnd time.Time) {
	for _, in := range c.st.Plan.Installments {
		if in.Paid >= in.Amount || in.Missed {
			continue
		}
		end := in.DueAt.Add(c.st.Policy.Real(c.st.Policy.Grace))
		if graceEnd.IsZero() {
			graceEnd = end
		}
		next = earliest(next, end)
		if in.Reminded < len(c.st.Policy.Reminders) {
			next = earliest(next, c.reminderAt(in, c.st.Policy.Reminders[in.Reminded]))
		}
	}
	if next.IsZero() { // nothing left to wait for (cannot happen: a paid plan closes the case)
		next = c.now().Add(c.st.Policy.Real(contract.Duration(contract.Day)))
	}
	return next, graceEnd
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func (c *caseRun) checkPayment(p *contract.PaymentReceived) error {
	return c.checkPast(contract.ActionPaymentReceived, "paidAt", p.PaidAt)
}

// applyPayment counts a payment once (its paymentId is the key), matches it to the
// installments in order, and resolves the case when the balance is paid.
func (c *caseRun) applyPayment(p *contract.PaymentReceived) string {
	if slices.Contains(c.st.PaymentIDs, p.PaymentID) {
		c.event(contract.ActionPaymentReceived, "payments:"+p.Channel, true, "payment "+p.PaymentID+" already counted", "", false, nil)
		return "payment " + p.PaymentID + " already counted"
	}
	c.st.PaymentIDs = append(c.st.PaymentIDs, p.PaymentID)
	c.st.AmountPaid += p.Amount
	c.event(contract.ActionPaymentReceived, "payments:"+p.Channel, true, fmt.Sprintf("%d received", p.Amount), "", false, p)
	c.record(activities.Record{Kind: activities.RecordPayment, Payment: p})
	if c.st.Plan != nil && c.st.Stage == contract.StageRepayment {
		left := p.Amount
		for i := range c.st.Plan.Installments {
			in := &c.st.Plan.Installments[i]
			take := min(left, in.Amount-in.Paid)
			if take > 0 {
				in.Paid += take
				left -= take
			}
		}
		c.record(activities.Record{Kind: activities.RecordPlan, Plan: c.st.Plan}) // installments paid
	}
	if c.st.AmountPaid >= c.st.AmountDue {
		outcome := contract.OutcomePaidInFull
		if c.st.Stage == contract.StageRepayment && !c.st.Plan.Settlement {
			outcome = contract.OutcomePlanCompleted
		}
		c.closeCase(outcome, "workflow", "balance paid")
		return "balance paid: " + string(outcome)
	}
	return fmt.Sprintf("%d of %d paid", c.st.AmountPaid, c.st.AmountDue)
}
