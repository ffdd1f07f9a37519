package contract

import (
	"errors"
	"testing"
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
