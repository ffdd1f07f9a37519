package contract

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDefaultPolicyIsLegal(t *testing.T) {
	if err := DefaultPolicy().Legal(); err != nil {
		t.Fatalf("DefaultPolicy is not legal: %v", err)
	}
}

func TestLegal(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Policy)
		field string // "" = legal
	}{
		{"defaults", func(*Policy) {}, ""},
		{"window 9-20", func(p *Policy) { p.ContactStartHour, p.ContactEndHour = 9, 20 }, ""},
		{"window 07-21", func(p *Policy) { p.ContactStartHour = 7 }, "contactStartHour"},
		{"window 08-22", func(p *Policy) { p.ContactEndHour = 22 }, "contactEndHour"},
		{"window 00-24", func(p *Policy) { p.ContactStartHour, p.ContactEndHour = 0, 24 }, "contactStartHour"},
		{"maxCalls 8", func(p *Policy) { p.MaxCalls = 8 }, "maxCalls"},
		{"maxCalls 3", func(p *Policy) { p.MaxCalls = 3 }, ""},
		{"callPeriod 6 days", func(p *Policy) { p.CallPeriod = Duration(6 * Day) }, "callPeriod"},
		{"callPeriod 14 days", func(p *Policy) { p.CallPeriod = Duration(14 * Day) }, ""},
		{"cooldown 0", func(p *Policy) { p.ConversationCooldown = 0 }, "conversationCooldown"},
		{"cooldown 6 days 23h", func(p *Policy) { p.ConversationCooldown = Duration(7*Day - time.Hour) }, "conversationCooldown"},
		{"minFieldAgents 1", func(p *Policy) { p.MinFieldAgents = 1 }, "minFieldAgents"},
		{"minFieldAgents 3", func(p *Policy) { p.MinFieldAgents = 3 }, ""},
		{"dayLength 1h", func(p *Policy) { p.DayLength = Duration(time.Hour) }, "dayLength"},
		{"dayLength 48h", func(p *Policy) { p.DayLength = Duration(2 * Day) }, "dayLength"},
		{"dayLength 1h in a simulation", func(p *Policy) { p.DayLength, p.Simulation = Duration(time.Hour), true }, ""},
		{"dayLength 0 in a simulation", func(p *Policy) { p.DayLength, p.Simulation = 0, true }, "dayLength"},
		{"simulation with real days", func(p *Policy) { p.Simulation = true }, ""},
		{"reminderHour before the window", func(p *Policy) { p.ReminderHour = 7 }, "reminderHour"},
		{"reminderHour at the window's end", func(p *Policy) { p.ReminderHour = 21 }, "reminderHour"},
		{"Validate's rules too", func(p *Policy) { p.MaxPhoneAttempts = 0 }, "maxPhoneAttempts"},
		{"continueAsNewAfter 1", func(p *Policy) { p.ContinueAsNewAfter = 1 }, "continueAsNewAfter"},
		{"continueAsNewAfter 300", func(p *Policy) { p.ContinueAsNewAfter = 300 }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultPolicy()
			tc.edit(&p)
			err := p.Legal()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if fieldErr(err, tc.field) == nil {
				t.Fatalf("got %v, want a problem with %s", err, tc.field)
			}
			var ve *ValidationError
			if !asValidation(err, &ve) || ve.Action != "policy" {
				t.Fatalf("got %T %v, want a ValidationError of action policy", err, err)
			}
		})
	}
}

func asValidation(err error, ve **ValidationError) bool { return errors.As(err, ve) }

func simulation() Policy {
	p := DefaultPolicy()
	p.Simulation = true
	p.DayLength = Duration(time.Second)
	return p
}

func TestTighten(t *testing.T) {
	for _, tc := range []struct {
		name  string
		base  Policy
		raw   string
		field string // "" = accepted
		want  string // substring of the reason
		check func(Policy) bool
	}{
		{"none", DefaultPolicy(), ``, "", "", func(p Policy) bool { return p.MaxCalls == 7 }},
		{"null", DefaultPolicy(), `null`, "", "", nil},
		{"empty object", DefaultPolicy(), `{}`, "", "", nil},
		{"window 9-20", DefaultPolicy(), `{"contactStartHour":9,"contactEndHour":20}`, "", "", func(p Policy) bool { return p.ContactStartHour == 9 && p.ContactEndHour == 20 }},
		{"maxCalls 3", DefaultPolicy(), `{"maxCalls":3}`, "", "", func(p Policy) bool { return p.MaxCalls == 3 }},
		{"minFieldAgents 3", DefaultPolicy(), `{"minFieldAgents":3}`, "", "", func(p Policy) bool { return p.MinFieldAgents == 3 }},
		{"longer call period and pause", DefaultPolicy(), `{"callPeriod":"336h","conversationCooldown":"336h"}`, "", "", nil},
		{"fewer attempts and renegotiations", DefaultPolicy(), `{"maxPhoneAttempts":1,"maxRenegotiations":0}`, "", "", nil},
		{"higher screening thresholds", DefaultPolicy(), `{"minDaysPastDue":90,"minAmount":500000}`, "", "", nil},
		{"deadlines changed freely", DefaultPolicy(), `{"visitDeadline":"240h","phoneVerifyDeadline":"24h","negotiationDeadline":"96h","surveyDeadline":"24h","reviewDeadline":"1h"}`, "", "", nil},
		{"reminders moved, one dropped", DefaultPolicy(), `{"reminders":[{"before":"48h","channel":"sms"}],"grace":"120h","surveyDelay":"24h"}`, "", "", nil},
		{"same dayLength", DefaultPolicy(), `{"dayLength":"24h"}`, "", "", nil},
		{"dayLength in a simulation", simulation(), `{"dayLength":"3s"}`, "", "", func(p Policy) bool { return p.DayLength == Duration(3*time.Second) && p.Simulation }},

		{"window earlier", DefaultPolicy(), `{"contactStartHour":7}`, "contactStartHour", "may only tighten the deployment's policy (deployment: 8, asked: 7)", nil},
		{"window later", DefaultPolicy(), `{"contactEndHour":22}`, "contactEndHour", "may only tighten the deployment's policy (deployment: 21, asked: 22)", nil},
		{"window all day", DefaultPolicy(), `{"contactStartHour":0,"contactEndHour":24}`, "contactEndHour", "may only tighten", nil},
		{"window later than a narrow deployment's", func() Policy { p := DefaultPolicy(); p.ContactEndHour = 18; return p }(), `{"contactEndHour":20}`, "contactEndHour", "(deployment: 18, asked: 20)", nil},
		{"more calls", DefaultPolicy(), `{"maxCalls":8}`, "maxCalls", "(deployment: 7, asked: 8)", nil},
		{"more calls than a strict deployment's", func() Policy { p := DefaultPolicy(); p.MaxCalls = 3; return p }(), `{"maxCalls":5}`, "maxCalls", "(deployment: 3, asked: 5)", nil},
		{"shorter call period", DefaultPolicy(), `{"callPeriod":"144h"}`, "callPeriod", "(deployment: 168h0m0s, asked: 144h0m0s)", nil},
		{"shorter pause", DefaultPolicy(), `{"conversationCooldown":"0s"}`, "conversationCooldown", "may only tighten", nil},
		{"fewer field agents", func() Policy { p := DefaultPolicy(); p.MinFieldAgents = 3; return p }(), `{"minFieldAgents":2}`, "minFieldAgents", "(deployment: 3, asked: 2)", nil},
		{"one field agent", DefaultPolicy(), `{"minFieldAgents":1}`, "minFieldAgents", "may only tighten", nil},
		{"more phone attempts", DefaultPolicy(), `{"maxPhoneAttempts":4}`, "maxPhoneAttempts", "(deployment: 3, asked: 4)", nil},
		{"more renegotiations", DefaultPolicy(), `{"maxRenegotiations":3}`, "maxRenegotiations", "(deployment: 2, asked: 3)", nil},
		{"more reminders", DefaultPolicy(), `{"reminders":[{"before":"72h","channel":"sms"},{"before":"48h","channel":"sms"},{"before":"24h","channel":"sms"}]}`, "reminders", "(deployment: 2 reminders, asked: 3 reminders)", nil},
		{"lower days past due", DefaultPolicy(), `{"minDaysPastDue":1}`, "minDaysPastDue", "(deployment: 30, asked: 1)", nil},
		{"lower amount", DefaultPolicy(), `{"minAmount":0}`, "minAmount", "(deployment: 100000, asked: 0)", nil},
		{"simulation on", DefaultPolicy(), `{"simulation":true}`, "simulation", "is set by the deployment only", nil},
		{"simulation off", simulation(), `{"simulation":false}`, "simulation", "is set by the deployment only", nil},
		{"simulation same value", simulation(), `{"simulation":true}`, "simulation", "is set by the deployment only", nil},
		{"simulation in other case", DefaultPolicy(), `{"SIMULATION":true}`, "simulation", "is set by the deployment only", nil},
		{"dayLength outside a simulation", DefaultPolicy(), `{"dayLength":"1s"}`, "dayLength", "a case day is 24h outside a simulation", nil},
		{"dayLength with simulation", DefaultPolicy(), `{"dayLength":"1s","simulation":true}`, "simulation", "is set by the deployment only", nil},
		{"unknown field", DefaultPolicy(), `{"maxCallz":3}`, "maxCallz", "unknown field", nil},
		{"wrong type", DefaultPolicy(), `{"maxCalls":"3"}`, "maxCalls", "must be an integer", nil},
		{"trailing data", DefaultPolicy(), `{"maxCalls":3} {}`, "payload", "trailing data", nil},
		{"not an object", DefaultPolicy(), `[1]`, "payload", "", nil},
		{"invalid in itself", DefaultPolicy(), `{"maxCalls":0}`, "maxCalls", "must be at least 1", nil},
		{"reminder hour outside the narrower window", DefaultPolicy(), `{"contactStartHour":11}`, "reminderHour", "inside the contact window", nil},
		{"illegal deployment", func() Policy { p := DefaultPolicy(); p.ContactStartHour = 0; return p }(), `{}`, "contactStartHour", "legal limit", nil},
		{"illegal deployment, no overrides", func() Policy { p := DefaultPolicy(); p.DayLength = Duration(time.Second); return p }(), ``, "dayLength", "24h outside a simulation", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.base.Tighten(json.RawMessage(tc.raw))
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if tc.check != nil && !tc.check(got) {
					t.Fatalf("overrides not applied: %+v", got)
				}
				return
			}
			fe := fieldErr(err, tc.field)
			if fe == nil || !strings.Contains(fe.Reason, tc.want) {
				t.Fatalf("got %v, want %s: %s", err, tc.field, tc.want)
			}
			var ve *ValidationError
			if !asValidation(err, &ve) || ve.Action != "policy" {
				t.Fatalf("got %T %v, want a ValidationError of action policy", err, err)
			}
			if !samePolicy(got, tc.base) {
				t.Fatalf("a refused override changed the policy: %+v", got)
			}
		})
	}
}

func samePolicy(a, b Policy) bool {
	return string(MustJSON(a)) == string(MustJSON(b))
}

// A refused override leaves the base's reminders alone (they are copied before decoding).
func TestTightenDoesNotAlias(t *testing.T) {
	base := DefaultPolicy()
	before := string(MustJSON(base))
	if _, err := base.Tighten(json.RawMessage(`{"reminders":[{"before":"1h","channel":"sms"}],"maxCalls":9}`)); err == nil {
		t.Fatal("accepted more calls")
	}
	if _, err := base.Tighten(json.RawMessage(`{"reminders":[{"before":"1h","channel":"sms"}]}`)); err != nil {
		t.Fatal(err)
	}
	if after := string(MustJSON(base)); after != before {
		t.Fatalf("base policy changed:\n%s\n%s", before, after)
	}
}

// Validate keeps the rules a policy needs to run a case (WithOverrides relies on it alone).
func TestValidatePolicy(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Policy)
		field string
	}{
		{"one field agent", func(p *Policy) { p.MinFieldAgents = 1 }, "minFieldAgents"},
		{"no calls", func(p *Policy) { p.MaxCalls = 0 }, "maxCalls"},
		{"continue as new at once", func(p *Policy) { p.ContinueAsNewAfter = MinContinueAsNewAfter - 1 }, "continueAsNewAfter"},
		{"empty window", func(p *Policy) { p.ContactStartHour = 21 }, "contactStartHour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultPolicy()
			tc.edit(&p)
			if err := p.Validate(); fieldErr(err, tc.field) == nil {
				t.Fatalf("got %v, want a problem with %s", err, tc.field)
			}
		})
	}
}

// A case's dayLength is refused by Tighten itself, with its own words.
func TestTightenDayLengthReason(t *testing.T) {
	_, err := DefaultPolicy().Tighten(json.RawMessage(`{"dayLength":"1s"}`))
	if fe := fieldErr(err, "dayLength"); fe == nil || fe.Reason != "a case day is 24h outside a simulation" {
		t.Fatalf("got %v", err)
	}
}

// A declared simulation contacts nobody: it may open the whole day and shorten the day,
// but the process rules hold there too; the same window outside a simulation is illegal.
func TestSimulationMayWidenTheContactRules(t *testing.T) {
	sim, err := DefaultPolicy().WithOverrides([]byte(`{"simulation": true, "contactStartHour": 0, "contactEndHour": 24, "dayLength": "1s"}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Legal(); err != nil {
		t.Errorf("simulation refused: %v", err)
	}
	sim.MinFieldAgents = 1
	if err := sim.Legal(); err == nil || !strings.Contains(err.Error(), "minFieldAgents") {
		t.Errorf("one field agent in a simulation: %v, want refused", err)
	}
	real, err := DefaultPolicy().WithOverrides([]byte(`{"contactStartHour": 0, "contactEndHour": 24}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := real.Legal(); err == nil || !strings.Contains(err.Error(), "contactStartHour") {
		t.Errorf("an all-day window outside a simulation: %v, want refused", err)
	}
}
