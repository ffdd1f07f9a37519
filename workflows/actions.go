package workflows

import (
	"encoding/json"
	"errors"
	"fmt"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
)

// ActionResult is what an update returns when it is accepted.
type ActionResult struct {
	Accepted bool             `json:"accepted"`
	Message  string           `json:"message"`
	Stage    contract.Stage   `json:"stage"`
	Outcome  contract.Outcome `json:"outcome"`
	Paused   bool             `json:"paused"`
}

// humanAction is one human action: the rules that depend on the case (check), the ids it
// names that PostgreSQL must vouch for (refs), and what it does (apply). The payload's own
// shape rules are contract's. A contact action reports a contact with the debtor: one
// reported during a dispute hold or a pause is recorded as a violation, never dropped.
type humanAction[T any] struct {
	name    string
	by      func(*T) string
	check   func(*T) error
	apply   func(*T) string
	refs    func(*T) activities.RefCheck
	contact bool
	// barred records a contact reported during a hold or pause (it counts, as any
	// contact does) and returns what of it goes to the audit log; nil: the payload.
	barred func(*T) any
}

// barredContact is the refusal of a contact reported during a hold or pause: recorded as
// a violation already, so it is not recorded again as a plain rejection.
type barredContact struct{ *contract.ValidationError }

func (b barredContact) Unwrap() error { return b.ValidationError }

// signalHandler decodes and handles one action arriving as a signal.
type signalHandler func(ctx workflow.Context, raw []byte)

// trustBoundary is the workflow version from which actions' ids are checked against
// PostgreSQL and contacts during a hold or pause are recorded as violations (recorded
// histories from before replay without either).
const trustBoundary = "trust-boundary"

func (c *caseRun) trustVersion(ctx workflow.Context) workflow.Version {
	return workflow.GetVersion(ctx, trustBoundary, workflow.DefaultVersion, 1)
}

// registerActions registers every human action twice: as an update with a validator, and
// as a signal that is validated the same way and recorded as rejected when bad.
func (c *caseRun) registerActions() error {
	signals := map[string]signalHandler{}
	regs := []func() error{
		register(c, signals, humanAction[contract.PhoneVerified]{contract.ActionPhoneVerified, func(p *contract.PhoneVerified) string { return p.AgentID }, c.checkPhoneVerified, c.applyPhoneVerified, c.refsPhoneVerified, true, c.barredCall}),
		register(c, signals, humanAction[contract.VisitReport]{contract.ActionVisitReport, func(p *contract.VisitReport) string { return first(p.AgentIDs) }, c.checkVisitReport, c.applyVisitReport, c.refsVisitReport, true, nil}),
		register(c, signals, humanAction[contract.NegotiationResult]{contract.ActionNegotiationResult, func(p *contract.NegotiationResult) string { return p.AgentID }, c.checkNegotiation, c.applyNegotiation, c.refsNegotiation, true, nil}),
		register(c, signals, humanAction[contract.PaymentReceived]{contract.ActionPaymentReceived, func(p *contract.PaymentReceived) string { return "payments:" + p.Channel }, c.checkPayment, c.applyPayment, nil, false, nil}),
		register(c, signals, humanAction[contract.AnomalyReport]{contract.ActionAnomaly, func(p *contract.AnomalyReport) string { return p.ReportedBy }, c.checkAnomaly, c.applyAnomaly, c.refsAnomaly, false, nil}),
		register(c, signals, humanAction[contract.SurveyResult]{contract.ActionSurveyResult, func(p *contract.SurveyResult) string { return p.AgentID }, c.checkSurvey, c.applySurvey, c.refsSurvey, false, nil}),
		register(c, signals, humanAction[contract.SupervisorAction]{contract.ActionPause, bySupervisor, c.checkPause, c.applyPause, c.refsSupervisor, false, nil}),
		register(c, signals, humanAction[contract.SupervisorAction]{contract.ActionResume, bySupervisor, c.checkResume, c.applyResume, c.refsSupervisor, false, nil}),
		register(c, signals, humanAction[contract.Reassign]{contract.ActionReassign, func(p *contract.Reassign) string { return p.By }, c.checkReassign, c.applyReassign, c.refsReassign, false, nil}),
		register(c, signals, humanAction[contract.SupervisorAction]{contract.ActionClose, bySupervisor, c.checkClose, c.applyClose, c.refsSupervisor, false, nil}),
	}
	for _, r := range regs {
		if err := r(); err != nil {
			return err
		}
	}
	c.signals = signals
	workflow.Go(c.ctx, c.receiveSignals)
	return nil
}

func bySupervisor(p *contract.SupervisorAction) string { return p.By }

func first(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// register returns the registration of one action as an update and as a signal. Both
// take the same path: the payload's shape and the case's rules first (an update's
// validator: a rejection never enters history), then the ids against PostgreSQL, the
// case's rules again (it may have moved on meanwhile) and the hold or pause of a contact.
func register[T any](c *caseRun, signals map[string]signalHandler, h humanAction[T]) func() error {
	// caseRules are the rules that depend on the case now (it may have moved on while an
	// action was checked, so admit asks again); validate adds the payload's shape, which
	// only a validator (never replayed) or the signal path asks.
	caseRules := func(p *T) error {
		if c.st.Stage == contract.StageClosed {
			return contract.Reject(h.name, "case", "is closed (%s)", c.st.Outcome)
		}
		return h.check(p)
	}
	validate := func(p *T) error {
		if p == nil {
			return contract.Reject(h.name, "payload", "is required")
		}
		if err := contract.ValidatePayload(h.name, p); err != nil {
			return err
		}
		return caseRules(p)
	}
	// admit runs after validate, with the action in history: what it refuses is recorded.
	admit := func(ctx workflow.Context, p *T) error {
		if c.trustVersion(ctx) == workflow.DefaultVersion {
			if h.contact {
				return c.contactBarred(h.name)
			}
			return nil
		}
		if h.refs != nil {
			if err := c.checkRefs(ctx, h.name, h.refs(p)); err != nil {
				return err
			}
		}
		if err := caseRules(p); err != nil { // not the shape: an accepted update replays whatever the contract says later
			return err
		}
		if why := c.barReason(); h.contact && why != "" {
			var detail any = p
			if h.barred != nil {
				detail = h.barred(p)
			}
			c.st.Contacts++
			c.event(h.name, h.by(p), false, "refused: the case "+why, "contact reported while the case "+why, true, detail)
			return barredContact{contract.Reject(h.name, "case", "%s; the contact was recorded as a guardrail violation", why).(*contract.ValidationError)}
		}
		return nil
	}
	signals[h.name] = func(ctx workflow.Context, raw []byte) {
		v, err := contract.Decode(h.name, raw) //workflowcheck:ignore (decodes into plain structs)
		if err != nil {
			c.rejectSignal(h.name, raw, err)
			return
		}
		p := v.(*T)
		release := c.inTurn(ctx)
		defer release()
		if err := validate(p); err != nil {
			c.rejectSignal(h.name, raw, err)
			return
		}
		if err := admit(ctx, p); err != nil {
			if errors.As(err, new(barredContact)) { // recorded as a violation
				c.countAction(h.name, "signal", false)
				return
			}
			c.rejectSignal(h.name, raw, err)
			return
		}
		c.countAction(h.name, "signal", true)
		h.apply(p)
	}
	return func() error {
		err := workflow.SetUpdateHandlerWithOptions(c.ctx, h.name,
			func(ctx workflow.Context, p *T) (ActionResult, error) {
				release := c.inTurn(ctx)
				defer release()
				if err := admit(ctx, p); err != nil {
					c.rejectAdmitted(h.name, h.by(p), h.contact, err)
					return ActionResult{}, recordedRejection(err)
				}
				c.countAction(h.name, "update", true)
				msg := h.apply(p)
				return ActionResult{Accepted: true, Message: msg, Stage: c.st.Stage, Outcome: c.st.Outcome, Paused: c.st.Paused}, nil
			},
			workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, p *T) error {
				err := validate(p) // validators never run on replay: always today's rules
				if err != nil {
					c.countAction(h.name, "update", false)
				}
				return rejection(err)
			}},
		)
		if err != nil {
			return fmt.Errorf("register update %s: %w", h.name, err)
		}
		return nil
	}
}

// inTurn waits until the actions that arrived before this one are done, and returns what
// ends its turn: actions are checked and applied one at a time, in the order they arrived
// (a check against PostgreSQL yields, and must not let a later action overtake). While
// an action waits or runs, the run neither continues as new nor ends.
func (c *caseRun) inTurn(ctx workflow.Context) (release func()) {
	ticket := c.tickets
	c.tickets++
	c.admitting++
	_ = workflow.Await(ctx, func() bool { return c.serving == ticket }) // canceled only as the run ends
	return func() {
		c.serving++
		c.admitting--
	}
}

// rejectAdmitted records an update refused after it entered history (an id PostgreSQL
// does not vouch for, a case that moved on, a contact during a hold or pause: that one is
// recorded as a violation already).
func (c *caseRun) rejectAdmitted(name, by string, contact bool, err error) {
	c.countAction(name, "update", false)
	if errors.As(err, new(barredContact)) {
		return // recorded as a violation by admit
	}
	c.event(name, by, false, err.Error(), "", contact, nil)
}

// barredCall counts a call reported during a hold or pause like any call (the call cap
// and the pause after a conversation see it) and keeps nothing about a wrong party.
func (c *caseRun) barredCall(p *contract.PhoneVerified) any {
	if at, err := contract.ParseTime("calledAt", p.CalledAt); err == nil {
		c.st.Calls = append(c.st.Calls, at)
	}
	detail := *p
	if p.Outcome == contract.PhoneWrongParty {
		detail.Note = ""
	}
	return detail
}

// checkRefs asks PostgreSQL whether the ids an action names are this case's account's
// addresses and phones and active agents of the right role.
func (c *caseRun) checkRefs(ctx workflow.Context, action string, req activities.RefCheck) error {
	if req.Empty() {
		return nil
	}
	req.CaseID, req.AccountID = c.st.CaseID, c.st.AccountID
	var problems []*contract.FieldError
	if err := c.runLocalIn(ctx, "CheckRefs", a.CheckRefs, req, &problems); err != nil {
		return contract.Reject(action, "case", "the references could not be checked: %v", err)
	}
	if len(problems) > 0 {
		return &contract.ValidationError{Action: action, Fields: problems}
	}
	return nil
}

// contactBarred refuses a contact while the case is on dispute hold or paused.
func (c *caseRun) contactBarred(action string) error {
	if why := c.barReason(); why != "" {
		return contract.Reject(action, "case", "%s", why)
	}
	return nil
}

func (c *caseRun) barReason() string {
	switch {
	case c.st.Hold:
		return "is on dispute hold: no collection contact until a supervisor resumes"
	case c.st.Paused:
		return fmt.Sprintf("is paused (%s): a supervisor must resume it first", c.st.PauseReason)
	}
	return ""
}

// rejection turns a validation error into what the update's caller receives: a
// non-retryable application error of type ValidationError whose message names the fields
// and whose details are the fields and reasons, for tools to show next to their inputs.
func rejection(err error) error {
	var ve *contract.ValidationError
	if err == nil || !errors.As(err, &ve) {
		return err
	}
	return temporal.NewApplicationErrorWithOptions(ve.Error(), "ValidationError",
		temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{ve.Fields}})
}

// recordedRejection is rejection for an update refused after it entered history: its
// second detail (true) tells the caller that the case recorded the refusal in its audit
// log, so that a tool does not record it again.
func recordedRejection(err error) error {
	var ve *contract.ValidationError
	if err == nil || !errors.As(err, &ve) {
		return err
	}
	return temporal.NewApplicationErrorWithOptions(ve.Error(), "ValidationError",
		temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{ve.Fields, true}})
}

// receiveSignals handles the signals for the life of the run. It only peeks at the
// channels (Len) while it waits, so a signal stays in its channel until it is handled:
// a run that continues as new drains the channels first and loses none.
func (c *caseRun) receiveSignals(ctx workflow.Context) {
	chans := make([]workflow.ReceiveChannel, len(contract.Actions))
	for i, name := range contract.Actions {
		chans[i] = workflow.GetSignalChannel(ctx, name)
	}
	for {
		err := workflow.Await(ctx, func() bool {
			for _, ch := range chans {
				if ch.Len() > 0 {
					return true
				}
			}
			return false
		})
		if err != nil {
			return // the run is ending
		}
		c.drainSignals(ctx)
	}
}

// drainSignals handles the signals already delivered, before the run continues as new.
func (c *caseRun) drainSignals(ctx workflow.Context) {
	for _, name := range contract.Actions {
		ch := workflow.GetSignalChannel(ctx, name)
		for {
			var raw converter.RawValue
			if !ch.ReceiveAsync(&raw) {
				break
			}
			c.onSignal(ctx, name, raw)
		}
	}
}

// onSignal takes a signal's payload as it came: anything but JSON is rejected, never
// decoded by the SDK (which would fail the workflow task).
func (c *caseRun) onSignal(ctx workflow.Context, name string, raw converter.RawValue) {
	p := raw.Payload()
	if p == nil {
		c.rejectSignal(name, nil, contract.Reject(name, "payload", "is required"))
		return
	}
	if enc := string(p.GetMetadata()[converter.MetadataEncoding]); enc != converter.MetadataEncodingJSON {
		c.rejectSignal(name, nil, contract.Reject(name, "payload", "must be JSON (encoding %q)", enc))
		return
	}
	c.signals[name](ctx, p.GetData())
}

// rejectSignal records a bad signal as rejected in the timeline and the audit log. The
// case goes on.
func (c *caseRun) rejectSignal(name string, raw []byte, err error) {
	var ve *contract.ValidationError
	if !errors.As(err, &ve) {
		err = contract.Reject(name, "payload", "%v", err)
	}
	c.event(name, actorOf(raw), false, err.Error(), "", false, nil)
	c.countAction(name, "signal", false)
	c.log.Info("signal rejected", "action", name, "case", c.st.CaseID, "error", err)
}

// actorOf finds who sent a payload, as far as it can be read.
func actorOf(raw []byte) string {
	var m map[string]any
	err := json.Unmarshal(raw, &m) //workflowcheck:ignore (reads only; map lookups by key below)
	if err != nil {
		return "unknown"
	}
	for _, k := range []string{"agentId", "by", "reportedBy"} {
		if s, ok := m[k].(string); ok && s != "" && len(s) <= 128 {
			return s
		}
	}
	if ids, ok := m["agentIds"].([]any); ok && len(ids) > 0 {
		if s, ok := ids[0].(string); ok && len(s) <= 128 {
			return s
		}
	}
	return "unknown"
}

// countAction counts a human action accepted or rejected.
func (c *caseRun) countAction(action, via string, accepted bool) {
	result := "rejected"
	if accepted {
		result = "accepted"
	}
	workflow.GetMetricsHandler(c.ctx).WithTags(map[string]string{"action": action, "via": via, "result": result}).Counter(contract.MetricActions).Inc(1)
}
