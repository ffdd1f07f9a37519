package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
)

// ActionResult is what an update returns when it is accepted.
type ActionResult = contract.ActionResult

// behaviour is what one human action does to a case: the rules that depend on the case
// (check), the ids it names that PostgreSQL must vouch for (refs), and what it does
// (apply). Its name, payload, actor, roles and stages are the contract's (contract.Table).
// A contact action reported during a dispute hold or a pause is recorded as a violation,
// never dropped; barred records it (it counts, as any contact does) and returns what of it
// goes to the audit log (nil: the payload).
type behaviour struct {
	check  func(any) error
	apply  func(any) string
	refs   func(any) activities.RefCheck
	barred func(any) any
	by     func(any) string // who the records name; nil: the contract's actor
}

// behave builds a behaviour from functions of the action's payload type.
func behave[T any](check func(*T) error, apply func(*T) string, refs func(*T) activities.RefCheck) behaviour {
	b := behaviour{
		check: func(p any) error { return check(p.(*T)) },
		apply: func(p any) string { return apply(p.(*T)) },
	}
	if refs != nil {
		b.refs = func(p any) activities.RefCheck { return refs(p.(*T)) }
	}
	return b
}

// behaviours are what the actions of contract.Table do, by name.
func (c *caseRun) behaviours() map[string]behaviour {
	call := behave(c.checkPhoneVerified, c.applyPhoneVerified, c.refsPhoneVerified)
	call.barred = func(p any) any { return c.barredCall(p.(*contract.PhoneVerified)) }
	payment := behave(c.checkPayment, c.applyPayment, nil)
	payment.by = func(p any) string { return "payments:" + p.(*contract.PaymentReceived).Channel }
	return map[string]behaviour{
		contract.ActionPhoneVerified:     call,
		contract.ActionVisitReport:       behave(c.checkVisitReport, c.applyVisitReport, c.refsVisitReport),
		contract.ActionNegotiationResult: behave(c.checkNegotiation, c.applyNegotiation, c.refsNegotiation),
		contract.ActionPaymentReceived:   payment,
		contract.ActionAnomaly:           behave(c.checkAnomaly, c.applyAnomaly, c.refsAnomaly),
		contract.ActionSurveyResult:      behave(c.checkSurvey, c.applySurvey, c.refsSurvey),
		contract.ActionPause:             behave(c.checkPause, c.applyPause, c.refsSupervisor),
		contract.ActionResume:            behave(c.checkResume, c.applyResume, c.refsSupervisor),
		contract.ActionReassign:          behave(c.checkReassign, c.applyReassign, c.refsReassign),
		contract.ActionClose:             behave(c.checkClose, c.applyClose, c.refsSupervisor),
	}
}

// barredContact is the refusal of a contact reported during a hold or pause: recorded as
// a violation already, so it is not recorded again as a plain rejection.
type barredContact struct{ *contract.ValidationError }

func (b barredContact) Unwrap() error { return b.ValidationError }

// signalHandler decodes and handles one action arriving as a signal.
type signalHandler func(ctx workflow.Context, raw []byte)

// registerActions registers every action of contract.Table twice: as an update with a
// validator, and as a signal that is validated the same way and recorded as rejected when
// bad.
func (c *caseRun) registerActions() error {
	c.signals = map[string]signalHandler{}
	does := c.behaviours()
	for i := range contract.Table {
		spec := &contract.Table[i]
		b, ok := does[spec.Name]
		if !ok {
			return fmt.Errorf("action %s: the workflow has no behaviour for it", spec.Name)
		}
		if err := c.register(spec, b); err != nil {
			return err
		}
	}
	workflow.Go(c.ctx, c.receiveSignals)
	return nil
}

// register registers one action as an update and as a signal. Both take the same path:
// the payload's shape, the stage and the case's rules first (an update's validator: a
// rejection never enters history), then the ids against PostgreSQL, the case's rules
// again (it may have moved on meanwhile) and the hold or pause of a contact.
func (c *caseRun) register(spec *contract.ActionSpec, h behaviour) error {
	by := func(p any) string {
		if h.by != nil {
			return h.by(p)
		}
		return first(spec.ActorsOf(p))
	}
	// caseRules are the rules that depend on the case now (it may have moved on while an
	// action was checked, so admit asks again); validate adds the payload's shape, which
	// only a validator (never replayed) or the signal path asks.
	caseRules := func(p any) error {
		if c.st.Stage == contract.StageClosed {
			return contract.Reject(spec.Name, "case", "is closed (%s)", c.st.Outcome)
		}
		if !spec.OpenIn(c.st.Stage) {
			if c.st.Stage == contract.StageScreen {
				return contract.Reject(spec.Name, "case", "is still being screened")
			}
			return contract.Reject(spec.Name, "case", "is in stage %s: %s is taken in %s", c.st.Stage, spec.Name, stageList(spec.Stages))
		}
		return h.check(p)
	}
	decode := func(raw []byte) (any, error) {
		return contract.Decode(spec.Name, raw) //workflowcheck:ignore (decodes into plain structs)
	}
	// admit runs after validate, with the action in history: what it refuses is recorded.
	admit := func(ctx workflow.Context, p any) error {
		if !c.changed(ctx, trustBoundary) {
			if spec.Contact {
				return c.contactBarred(spec.Name)
			}
			return nil
		}
		if h.refs != nil {
			if err := c.checkRefs(ctx, spec.Name, h.refs(p)); err != nil {
				return err
			}
		}
		if err := caseRules(p); err != nil { // not the shape: an accepted update replays whatever the contract says later
			return err
		}
		if why := c.barReason(); spec.Contact && why != "" {
			var detail = p
			if h.barred != nil {
				detail = h.barred(p)
			}
			c.st.Contacts++
			c.event(spec.Name, by(p), false, "refused: the case "+why, "contact reported while the case "+why, true, detail)
			return barredContact{contract.Reject(spec.Name, "case", "%s; the contact was recorded as a guardrail violation", why).(*contract.ValidationError)}
		}
		return nil
	}
	c.signals[spec.Name] = func(ctx workflow.Context, raw []byte) {
		p, err := decode(raw)
		if err != nil {
			c.rejectSignal(spec.Name, raw, err)
			return
		}
		release := c.inTurn(ctx)
		defer release()
		if err := caseRules(p); err != nil {
			c.rejectSignal(spec.Name, raw, err)
			return
		}
		if err := admit(ctx, p); err != nil {
			if errors.As(err, new(barredContact)) { // recorded as a violation
				c.countAction(spec.Name, "signal", false)
				return
			}
			c.rejectSignal(spec.Name, raw, err)
			return
		}
		c.countAction(spec.Name, "signal", true)
		h.apply(p)
	}
	err := workflow.SetUpdateHandlerWithOptions(c.ctx, spec.Name,
		func(ctx workflow.Context, raw json.RawMessage) (ActionResult, error) {
			// accepted by the validator; read again as in replay, under today's rules
			p, err := spec.Unmarshal(raw) //workflowcheck:ignore (decodes into plain structs)
			if err != nil {
				c.answering = true
				c.rejectAdmitted(spec.Name, actorOf(raw), spec.Contact, err)
				return ActionResult{}, recordedRejection(err)
			}
			release := c.inTurn(ctx)
			defer release()
			// what the update records is written after its answer leaves (sync)
			defer func() { c.answering = true }()
			if err := admit(ctx, p); err != nil {
				c.rejectAdmitted(spec.Name, by(p), spec.Contact, err)
				return ActionResult{}, recordedRejection(err)
			}
			c.countAction(spec.Name, "update", true)
			msg := h.apply(p)
			return ActionResult{Accepted: true, Message: msg, Stage: c.st.Stage, Outcome: c.st.Outcome, Paused: c.st.Paused}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, raw json.RawMessage) error {
			p, err := decode(raw) // validators never run on replay: always today's rules
			if err == nil {
				err = caseRules(p)
			}
			if err != nil {
				c.countAction(spec.Name, "update", false)
			}
			return rejection(err)
		}},
	)
	if err != nil {
		return fmt.Errorf("register update %s: %w", spec.Name, err)
	}
	return nil
}

func first(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// stageList names stages for a message.
func stageList(stages []contract.Stage) string {
	names := make([]string, len(stages))
	for i, s := range stages {
		names[i] = string(s)
	}
	return strings.Join(names, " or ")
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
