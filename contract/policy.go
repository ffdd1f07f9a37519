package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Duration is a time.Duration that reads and writes JSON as a Go duration string ("72h").
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string such as "72h" or "90s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"72h\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// Reminder is one reminder before an installment's due date.
type Reminder struct {
	Before  Duration `json:"before"`
	Channel string   `json:"channel"` // sms or phone
}

// Notifier channels.
const (
	ChannelSMS   = "sms"
	ChannelPhone = "phone"
)

// Policy holds the limits of the process. All durations are in case time: DayLength scales
// them (and the case's calendar) so that a demo can run a day in seconds. The defaults are
// DESIGN.md's. A deployment's policy must keep the legal limits (Legal); a case's
// overrides may only tighten the deployment's (Tighten).
type Policy struct {
	MinDaysPastDue      int        `json:"minDaysPastDue"`
	MinAmount           int64      `json:"minAmount"`
	PhoneVerifyDeadline Duration   `json:"phoneVerifyDeadline"`
	MaxPhoneAttempts    int        `json:"maxPhoneAttempts"`
	VisitDeadline       Duration   `json:"visitDeadline"`
	MinFieldAgents      int        `json:"minFieldAgents"`
	NegotiationDeadline Duration   `json:"negotiationDeadline"`
	Reminders           []Reminder `json:"reminders"`
	ReminderHour        int        `json:"reminderHour"`
	Grace               Duration   `json:"grace"`
	MaxRenegotiations   int        `json:"maxRenegotiations"`
	SurveyDelay         Duration   `json:"surveyDelay"`
	SurveyDeadline      Duration   `json:"surveyDeadline"`
	// ReviewDeadline bounds a supervisor's review (pause, complaint, dispute hold,
	// hardship, staffing); a miss tells the supervisors again.
	ReviewDeadline Duration `json:"reviewDeadline"`
	// MaxDeadlineMisses is how many missed deadlines in a row at one step raise the
	// anomaly deadline-missed (each miss reassigns the task and tells supervisors).
	MaxDeadlineMisses int `json:"maxDeadlineMisses"`
	// The contact window, in whole hours of the debtor's own time zone: [start, end).
	ContactStartHour int `json:"contactStartHour"`
	ContactEndHour   int `json:"contactEndHour"`
	// Call limits (Regulation F 1006.14(b)(2)).
	MaxCalls             int      `json:"maxCalls"`
	CallPeriod           Duration `json:"callPeriod"`
	ConversationCooldown Duration `json:"conversationCooldown"`
	// DayLength is how long a case day lasts in real time: 24h in production. Only a
	// simulation may shorten it.
	DayLength Duration `json:"dayLength"`
	// Simulation marks a deployment that is no real collection (the demo, tests,
	// benchmarks): only there may a case day be shorter than 24 hours. It is set by the
	// deployment, never by a case, and a case's status carries it with its policy.
	Simulation bool `json:"simulation,omitempty"`
	// ContinueAsNewAfter, when positive, continues a run as new once its history has
	// this many events, before the server's own suggestion (tests use it).
	ContinueAsNewAfter int `json:"continueAsNewAfter,omitempty"`
}

// Day is one case day.
const Day = 24 * time.Hour

// DefaultPolicy returns DESIGN.md's defaults.
func DefaultPolicy() Policy {
	return Policy{
		MinDaysPastDue:       30,
		MinAmount:            100000,
		PhoneVerifyDeadline:  Duration(3 * Day),
		MaxPhoneAttempts:     3,
		VisitDeadline:        Duration(5 * Day),
		MinFieldAgents:       2,
		NegotiationDeadline:  Duration(3 * Day),
		Reminders:            []Reminder{{Duration(3 * Day), ChannelSMS}, {Duration(1 * Day), ChannelPhone}},
		ReminderHour:         10,
		Grace:                Duration(3 * Day),
		MaxRenegotiations:    2,
		SurveyDelay:          Duration(7 * Day),
		SurveyDeadline:       Duration(7 * Day),
		ReviewDeadline:       Duration(3 * Day),
		MaxDeadlineMisses:    3,
		ContactStartHour:     8,
		ContactEndHour:       21,
		MaxCalls:             7,
		CallPeriod:           Duration(7 * Day),
		ConversationCooldown: Duration(7 * Day),
		DayLength:            Duration(Day),
	}
}

// WithOverrides returns p with the fields present in the JSON object raw replaced.
// Unknown fields are an error, and the result is validated.
func (p Policy) WithOverrides(raw json.RawMessage) (Policy, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return p, p.Validate()
	}
	out := p
	out.Reminders = append([]Reminder(nil), p.Reminders...)
	if err := strict(raw, &out); err != nil {
		return p, fmt.Errorf("policy: %w", err)
	}
	return out, out.Validate()
}

// Validate checks that the policy can run a case.
func (p Policy) Validate() error {
	var e problems
	positive := map[string]Duration{
		"phoneVerifyDeadline": p.PhoneVerifyDeadline, "visitDeadline": p.VisitDeadline,
		"negotiationDeadline": p.NegotiationDeadline, "surveyDeadline": p.SurveyDeadline,
		"reviewDeadline": p.ReviewDeadline, "callPeriod": p.CallPeriod, "dayLength": p.DayLength,
	}
	for _, name := range []string{"phoneVerifyDeadline", "visitDeadline", "negotiationDeadline", "surveyDeadline", "reviewDeadline", "callPeriod", "dayLength"} {
		if positive[name] <= 0 {
			e.add(name, "must be a positive duration")
		}
	}
	if p.Grace < 0 || p.SurveyDelay < 0 || p.ConversationCooldown < 0 {
		e.add("grace", "grace, surveyDelay and conversationCooldown must not be negative")
	}
	if p.MaxPhoneAttempts < 1 {
		e.add("maxPhoneAttempts", "must be at least 1")
	}
	if p.MinFieldAgents < 2 {
		e.add("minFieldAgents", "must be at least 2: a field visit has at least two agents")
	}
	if p.MaxRenegotiations < 0 {
		e.add("maxRenegotiations", "must not be negative")
	}
	if p.MaxDeadlineMisses < 1 {
		e.add("maxDeadlineMisses", "must be at least 1")
	}
	if p.MaxCalls < 1 {
		e.add("maxCalls", "must be at least 1")
	}
	if p.ContinueAsNewAfter != 0 && p.ContinueAsNewAfter < MinContinueAsNewAfter {
		e.add("continueAsNewAfter", "must be 0 (the server decides) or at least %d events, not %d", MinContinueAsNewAfter, p.ContinueAsNewAfter)
	}
	if p.ContactStartHour < 0 || p.ContactEndHour > 24 || p.ContactStartHour >= p.ContactEndHour {
		e.add("contactStartHour", "the contact window must satisfy 0 <= start < end <= 24")
	}
	if p.ReminderHour < p.ContactStartHour || p.ReminderHour >= p.ContactEndHour {
		e.add("reminderHour", "must be inside the contact window")
	}
	for i, r := range p.Reminders {
		if r.Before <= 0 {
			e.add("reminders["+fmt.Sprint(i)+"].before", "must be positive")
		}
		if r.Channel != ChannelSMS && r.Channel != ChannelPhone {
			e.add("reminders["+fmt.Sprint(i)+"].channel", "must be sms or phone")
		}
	}
	return e.err("policy")
}

// MinContinueAsNewAfter is the smallest positive ContinueAsNewAfter: each run does some
// work before it hands over, so a case cannot continue as new without end.
const MinContinueAsNewAfter = 100

// The legal limits of DESIGN.md's compliance guardrails, which every policy keeps.
const (
	// LegalContactStartHour and LegalContactEndHour bound the contact window:
	// 08:00-21:00 debtor-local (Regulation F 1006.6(b)(1)(i); China: none 22:00-08:00).
	LegalContactStartHour = 8
	LegalContactEndHour   = 21
	// LegalMaxCalls calls at most in LegalCallPeriod, and none for LegalCooldown after a
	// conversation (Regulation F 1006.14(b)(2)).
	LegalMaxCalls   = 7
	LegalCallPeriod = 7 * Day
	LegalCooldown   = 7 * Day
	// LegalMinFieldAgents agents at least at a field visit.
	LegalMinFieldAgents = 2
)

// Legal checks that p keeps the legal limits every deployment's policy keeps, besides
// Validate's rules: the contact window inside 08:00-21:00, at most 7 calls in a call period
// of at least 7 case days, a pause of at least 7 case days after a conversation, at least 2
// field agents at a visit, and a case day of 24 hours. A deployment that declares itself a
// simulation (the demo, tests, benchmarks: it contacts nobody, and its cases say so) may
// shorten the day and widen the contact window and call limits; the process rules
// (Validate: two field agents at a visit among them) hold there too. It returns a
// *ValidationError of action "policy" naming every field that breaks a limit, or nil.
func (p Policy) Legal() error {
	var e problems
	if err := p.Validate(); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			e = append(e, ve.Fields...)
		} else {
			e.addErr(err)
		}
	}
	if p.Simulation {
		return e.err("policy")
	}
	if p.ContactStartHour < LegalContactStartHour {
		e.add("contactStartHour", "must be %d or later: no contact before %02d:00 debtor-local time (legal limit), not %d", LegalContactStartHour, LegalContactStartHour, p.ContactStartHour)
	}
	if p.ContactEndHour > LegalContactEndHour {
		e.add("contactEndHour", "must be %d or earlier: no contact from %02d:00 debtor-local time (legal limit), not %d", LegalContactEndHour, LegalContactEndHour, p.ContactEndHour)
	}
	if p.MaxCalls > LegalMaxCalls {
		e.add("maxCalls", "must be at most %d calls per call period (legal limit), not %d", LegalMaxCalls, p.MaxCalls)
	}
	if p.CallPeriod.D() < LegalCallPeriod {
		e.add("callPeriod", "must be at least %s of case time (legal limit), not %s", LegalCallPeriod, p.CallPeriod.D())
	}
	if p.ConversationCooldown.D() < LegalCooldown {
		e.add("conversationCooldown", "must be at least %s of case time after a conversation (legal limit), not %s", LegalCooldown, p.ConversationCooldown.D())
	}
	if p.MinFieldAgents < LegalMinFieldAgents && !e.has("minFieldAgents") {
		e.add("minFieldAgents", "must be at least %d (legal limit), not %d", LegalMinFieldAgents, p.MinFieldAgents)
	}
	if p.DayLength != Duration(Day) && !p.Simulation && !e.has("dayLength") {
		e.add("dayLength", "a case day is 24h outside a simulation (set simulation in the deployment's policy), not %s", p.DayLength.D())
	}
	return e.err("policy")
}

// Tighten returns p with a case's overrides, the JSON object raw, applied. It decodes like
// WithOverrides (unknown fields, wrong types and trailing data are errors), then refuses,
// each with the field named, any override that widens p:
//   - contactStartHour earlier or contactEndHour later (a wider contact window);
//   - maxCalls more, callPeriod shorter, conversationCooldown shorter (more calls);
//   - minFieldAgents fewer;
//   - maxPhoneAttempts more, maxRenegotiations more (more contact before a case ends);
//   - more reminders per installment than the deployment's (more messages to the debtor);
//   - minDaysPastDue or minAmount lower (screening thresholds: a case must not select an
//     account the deployment would not);
//   - simulation at all (it is the deployment's alone), and dayLength other than the
//     deployment's unless the deployment is a simulation.
//
// Everything else may change freely within Validate's rules, since it is not a
// consumer-protection limit: the agents' deadlines (phoneVerifyDeadline, visitDeadline,
// negotiationDeadline, surveyDeadline, reviewDeadline), maxDeadlineMisses, the reminders'
// timings and channels, reminderHour (inside the window), grace, surveyDelay and
// continueAsNewAfter. The result must then keep the legal limits (Legal), so a case of a
// deployment that breaks them is refused too. On any error Tighten returns p unchanged and
// a *ValidationError of action "policy".
func (p Policy) Tighten(raw json.RawMessage) (Policy, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		if err := p.Legal(); err != nil {
			return p, err
		}
		return p, nil
	}
	out := p
	out.Reminders = append([]Reminder(nil), p.Reminders...)
	if err := strict(raw, &out); err != nil {
		var e problems
		e.addErr(err)
		return p, e.err("policy")
	}
	var e problems
	var keys map[string]json.RawMessage
	if json.Unmarshal(raw, &keys) == nil {
		for k := range keys {
			if strings.EqualFold(k, "simulation") {
				e.add("simulation", "is set by the deployment only")
				break
			}
		}
	}
	if out.Simulation != p.Simulation && !e.has("simulation") {
		e.add("simulation", "is set by the deployment only")
	}
	if out.DayLength != p.DayLength && !p.Simulation {
		e.add("dayLength", "a case day is 24h outside a simulation")
	}
	narrower := func(field string, wider bool, deployment, asked any) {
		if wider {
			e.add(field, "may only tighten the deployment's policy (deployment: %v, asked: %v)", deployment, asked)
		}
	}
	narrower("contactStartHour", out.ContactStartHour < p.ContactStartHour, p.ContactStartHour, out.ContactStartHour)
	narrower("contactEndHour", out.ContactEndHour > p.ContactEndHour, p.ContactEndHour, out.ContactEndHour)
	narrower("maxCalls", out.MaxCalls > p.MaxCalls, p.MaxCalls, out.MaxCalls)
	narrower("callPeriod", out.CallPeriod < p.CallPeriod, p.CallPeriod.D(), out.CallPeriod.D())
	narrower("conversationCooldown", out.ConversationCooldown < p.ConversationCooldown, p.ConversationCooldown.D(), out.ConversationCooldown.D())
	narrower("minFieldAgents", out.MinFieldAgents < p.MinFieldAgents, p.MinFieldAgents, out.MinFieldAgents)
	narrower("maxPhoneAttempts", out.MaxPhoneAttempts > p.MaxPhoneAttempts, p.MaxPhoneAttempts, out.MaxPhoneAttempts)
	narrower("maxRenegotiations", out.MaxRenegotiations > p.MaxRenegotiations, p.MaxRenegotiations, out.MaxRenegotiations)
	narrower("reminders", len(out.Reminders) > len(p.Reminders), fmt.Sprintf("%d reminders", len(p.Reminders)), fmt.Sprintf("%d reminders", len(out.Reminders)))
	narrower("minDaysPastDue", out.MinDaysPastDue < p.MinDaysPastDue, p.MinDaysPastDue, out.MinDaysPastDue)
	narrower("minAmount", out.MinAmount < p.MinAmount, p.MinAmount, out.MinAmount)
	if err := out.Legal(); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			for _, f := range ve.Fields {
				if !e.has(f.Field) {
					e = append(e, f)
				}
			}
		} else {
			e.addErr(err)
		}
	}
	if err := e.err("policy"); err != nil {
		return p, err
	}
	return out, nil
}

// Real converts a duration of case time to real time.
func (p Policy) Real(d Duration) time.Duration {
	if p.DayLength == Duration(Day) || p.DayLength <= 0 {
		return d.D()
	}
	return time.Duration(float64(d) * float64(p.DayLength) / float64(Day))
}
