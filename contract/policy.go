package contract

import (
	"encoding/json"
	"fmt"
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
// DESIGN.md's; a deployment and each case may override any of them.
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
	// DayLength is how long a case day lasts in real time: 24h in production.
	DayLength Duration `json:"dayLength"`
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

// Real converts a duration of case time to real time.
func (p Policy) Real(d Duration) time.Duration {
	if p.DayLength == Duration(Day) || p.DayLength <= 0 {
		return d.D()
	}
	return time.Duration(float64(d) * float64(p.DayLength) / float64(Day))
}
