package contract

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDecode: every action's payload decoding and validation. Whatever the bytes, Decode
// either returns a payload that passes its rules or a ValidationError naming fields; it
// never panics. The seed corpus runs in `make test`.
func FuzzDecode(f *testing.F) {
	seeds := map[string]string{
		ActionPhoneVerified:     `{"agentId":"p1","calledAt":"2026-03-02T02:00:00Z","outcome":"address-changed","addressId":"adr-2"}`,
		ActionVisitReport:       `{"agentIds":["f1","f2"],"badgesShown":true,"visitedAt":"2026-03-02T02:00:00Z","addressId":"a","debtorMet":true,"monthlyCapacity":5,"willingness":"low"}`,
		ActionNegotiationResult: `{"agentId":"p1","outcome":"plan-agreed","legalConsequencesExplained":true,"installments":[{"dueDate":"2026-04-01","amount":1},{"dueDate":"2026-05-01","amount":2}]}`,
		ActionPaymentReceived:   `{"paymentId":"x","amount":1,"paidAt":"2026-03-02T02:00:00+08:00","channel":"bank"}`,
		ActionAnomaly:           `{"kind":"contact-changed","reportedBy":"p1","phoneId":"ph-1"}`,
		ActionSurveyResult:      `{"agentId":"p1","reached":true,"satisfaction":5,"complaint":false}`,
		ActionPause:             `{"by":"s1","reason":"r"}`,
		ActionReassign:          `{"by":"s1","role":"field","agentIds":["f1","f2"]}`,
	}
	for i, name := range Actions {
		if s, ok := seeds[name]; ok {
			f.Add(uint8(i), s)
		}
		f.Add(uint8(i), `{}`)
		f.Add(uint8(i), `{"unknown":1}`)
		f.Add(uint8(i), `null`)
		f.Add(uint8(i), `[1,2]`)
		f.Add(uint8(i), `{"agentId":"a b","calledAt":"x"} trailing`)
	}
	f.Fuzz(func(t *testing.T, which uint8, raw string) {
		name := Actions[int(which)%len(Actions)]
		v, err := Decode(name, []byte(raw))
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) == 0 || ve.Action != name {
				t.Fatalf("%s: error %v is not a ValidationError naming fields", name, err)
			}
			for _, f := range ve.Fields {
				if f.Field == "" || f.Reason == "" {
					t.Fatalf("%s: field error without field or reason: %+v", name, f)
				}
			}
			return
		}
		if err := ValidatePayload(name, v); err != nil {
			t.Fatalf("%s: decoded payload fails its own rules: %v", name, err)
		}
	})
}

// FuzzPolicyOverrides: policy overrides either give a valid policy or an error.
func FuzzPolicyOverrides(f *testing.F) {
	f.Add(`{"dayLength":"3s"}`)
	f.Add(`{"contactStartHour":22,"contactEndHour":8}`)
	f.Add(`{"reminders":[{"before":"72h","channel":"fax"}]}`)
	f.Add(`{"maxCalls":0}`)
	f.Add(`{"dayLength":5}`)
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := DefaultPolicy().WithOverrides([]byte(raw))
		if err == nil {
			if verr := p.Validate(); verr != nil {
				t.Fatalf("accepted an invalid policy: %v", verr)
			}
		}
	})
}

// FuzzValidText: whatever the string and bound, ValidText never panics, and what it
// accepts is valid UTF-8, at most max bytes, and free of control characters but newline
// and tab. What it refuses, it refuses as a FieldError of the field.
func FuzzValidText(f *testing.F) {
	f.Add("a note\nwith two lines\tand a tab", 2000)
	f.Add("abcde\x00", 2000)
	f.Add("\x1b[2J", 2000)
	f.Add("ok\xff", 2000)
	f.Add("a\r\nb", 2000)
	f.Add("a\u0085b\u2028c", 2000)
	f.Add("欠款人同意分期", 20)
	f.Add("\uFFFD\xef\xbf", 10)
	f.Fuzz(func(t *testing.T, v string, max int) {
		if max < 0 {
			max = -(max + 1)
		}
		err := ValidText("note", v, max)
		if err != nil {
			fe, ok := err.(*FieldError)
			if !ok || fe.Field != "note" || fe.Reason == "" {
				t.Fatalf("error %T %v is not a FieldError of note", err, err)
			}
			return
		}
		if len(v) > max {
			t.Fatalf("accepted %d bytes over a bound of %d", len(v), max)
		}
		if !utf8.ValidString(v) {
			t.Fatalf("accepted invalid UTF-8 %q", v)
		}
		for i, r := range v {
			if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) {
				t.Fatalf("accepted control character %U at byte %d of %q", r, i, v)
			}
		}
	})
}

// FuzzTighten: whatever the overrides and whichever of two deployments, Tighten never
// panics; a policy it accepts keeps the legal limits and is no wider than the deployment's.
func FuzzTighten(f *testing.F) {
	for _, s := range []string{
		`{"contactStartHour":9,"contactEndHour":20}`,
		`{"contactStartHour":0,"contactEndHour":24}`,
		`{"maxCalls":8}`,
		`{"maxCalls":3,"callPeriod":"336h"}`,
		`{"conversationCooldown":"0s"}`,
		`{"minFieldAgents":1}`,
		`{"simulation":true,"dayLength":"1s"}`,
		`{"dayLength":"3s"}`,
		`{"reminders":[{"before":"1h","channel":"sms"},{"before":"2h","channel":"sms"},{"before":"3h","channel":"phone"}]}`,
		`{"minAmount":-1,"minDaysPastDue":0}`,
		`{"Simulation":true}`,
		`{"unknown":1}`,
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, sim bool) {
		base := DefaultPolicy()
		if sim {
			base.Simulation, base.DayLength = true, Duration(time.Second)
		}
		p, err := base.Tighten(json.RawMessage(raw))
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Action != "policy" || len(ve.Fields) == 0 {
				t.Fatalf("error %T %v is not a ValidationError of the policy", err, err)
			}
			return
		}
		if lerr := p.Legal(); lerr != nil {
			t.Fatalf("accepted a policy that breaks a legal limit: %v\n%s", lerr, raw)
		}
		switch {
		case p.ContactStartHour < base.ContactStartHour, p.ContactEndHour > base.ContactEndHour:
			t.Fatalf("wider window %d-%d: %s", p.ContactStartHour, p.ContactEndHour, raw)
		case p.MaxCalls > base.MaxCalls, p.CallPeriod < base.CallPeriod, p.ConversationCooldown < base.ConversationCooldown:
			t.Fatalf("more calls (%d per %s, pause %s): %s", p.MaxCalls, p.CallPeriod.D(), p.ConversationCooldown.D(), raw)
		case p.MinFieldAgents < base.MinFieldAgents:
			t.Fatalf("fewer field agents %d: %s", p.MinFieldAgents, raw)
		case p.MaxPhoneAttempts > base.MaxPhoneAttempts, p.MaxRenegotiations > base.MaxRenegotiations:
			t.Fatalf("more attempts %d or renegotiations %d: %s", p.MaxPhoneAttempts, p.MaxRenegotiations, raw)
		case len(p.Reminders) > len(base.Reminders):
			t.Fatalf("more reminders %d: %s", len(p.Reminders), raw)
		case p.MinDaysPastDue < base.MinDaysPastDue, p.MinAmount < base.MinAmount:
			t.Fatalf("lower screening thresholds %d days, %d: %s", p.MinDaysPastDue, p.MinAmount, raw)
		case p.Simulation != base.Simulation:
			t.Fatalf("simulation changed by a case: %s", raw)
		case !base.Simulation && p.DayLength != base.DayLength:
			t.Fatalf("dayLength %s outside a simulation: %s", p.DayLength.D(), raw)
		}
	})
}
