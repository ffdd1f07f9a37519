package contract

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// fieldErr returns the problem of the named field in err, or nil.
func fieldErr(err error, field string) *FieldError {
	var ve *ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			if f.Field == field {
				return f
			}
		}
		return nil
	}
	var fe *FieldError
	if errors.As(err, &fe) && fe.Field == field {
		return fe
	}
	return nil
}

func TestValidText(t *testing.T) {
	for _, tc := range []struct {
		name, v string
		want    string // substring of the reason; "" = accepted
	}{
		{"plain", "debtor at work, call after six", ""},
		{"empty", "", ""},
		{"newline and tab", "line one\n\tline two\n", ""},
		{"non-Latin", "欠款人同意分期 — ok ✓", ""},
		{"real U+FFFD", "a\uFFFDb", ""},
		{"exactly max", strings.Repeat("a", maxNoteLen), ""},
		{"NUL", "abcde\x00", "contains a control character (U+0000) at byte 5"},
		{"escape", "\x1b[31mred", "contains a control character (U+001B) at byte 0"},
		{"carriage return", "a\r\nb", "contains a control character (U+000D) at byte 1"},
		{"DEL", "a\x7f", "contains a control character (U+007F) at byte 1"},
		{"C1 control", "a\u0085b", "contains a control character (U+0085) at byte 1"},
		{"invalid UTF-8", "ok\xff", "is not valid UTF-8 (byte 2)"},
		{"truncated UTF-8", "\xe6\xac", "is not valid UTF-8 (byte 0)"},
		{"one byte too long", strings.Repeat("a", maxNoteLen+1), "is longer than 2000 bytes (got 2001)"},
		{"too long in bytes, not runes", strings.Repeat("欠", 700), "is longer than 2000 bytes (got 2100)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidText("note", tc.v, maxNoteLen)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			fe := fieldErr(err, "note")
			if fe == nil || !strings.Contains(fe.Reason, tc.want) {
				t.Fatalf("got %v, want field note: %s", err, tc.want)
			}
		})
	}
}

// Every free-text field of every payload follows ValidText.
func TestPayloadTextFields(t *testing.T) {
	const bad = `"a\u0000b"`
	for _, tc := range []struct{ action, payload, field string }{
		{ActionPhoneVerified, `{"agentId":"p1","calledAt":"2026-03-02T02:00:00Z","outcome":"confirmed","note":` + bad + `}`, "note"},
		{ActionVisitReport, `{"agentIds":["f1","f2"],"badgesShown":true,"visitedAt":"2026-03-02T02:00:00Z","addressId":"a","monthlyCapacity":5,"willingness":"low","livingConditions":` + bad + `}`, "livingConditions"},
		{ActionVisitReport, `{"agentIds":["f1","f2"],"badgesShown":true,"visitedAt":"2026-03-02T02:00:00Z","addressId":"a","monthlyCapacity":5,"willingness":"low","employment":` + bad + `}`, "employment"},
		{ActionVisitReport, `{"agentIds":["f1","f2"],"badgesShown":true,"visitedAt":"2026-03-02T02:00:00Z","addressId":"a","monthlyCapacity":5,"willingness":"low","note":` + bad + `}`, "note"},
		{ActionNegotiationResult, `{"agentId":"p1","outcome":"refused","legalConsequencesExplained":true,"note":` + bad + `}`, "note"},
		{ActionAnomaly, `{"kind":"complaint","reportedBy":"p1","note":` + bad + `}`, "note"},
		{ActionSurveyResult, `{"agentId":"p1","reached":false,"complaint":false,"comments":` + bad + `}`, "comments"},
		{ActionPause, `{"by":"s1","reason":` + bad + `}`, "reason"},
		{ActionPhoneVerified, `{"agentId":"p\u001b1","calledAt":"2026-03-02T02:00:00Z","outcome":"confirmed"}`, "agentId"},
		{ActionPhoneVerified, `{"agentId":"p\u200b1","calledAt":"2026-03-02T02:00:00Z","outcome":"confirmed"}`, "agentId"},
		{ActionPhoneVerified, `{"agentId":"p\u00a01","calledAt":"2026-03-02T02:00:00Z","outcome":"confirmed"}`, "agentId"},
		{ActionPaymentReceived, "{\"paymentId\":\"x\xff\",\"amount\":1,\"paidAt\":\"2026-03-02T02:00:00Z\",\"channel\":\"bank\"}", "payload"},
		{ActionSurveyResult, "{\"agentId\":\"p1\",\"reached\":false,\"complaint\":false,\"comments\":\"ok\xe6\xac\"}", "payload"},
		{ActionReassign, `{"by":"s1","role":"field","agentIds":["f1","f 2"]}`, "agentIds"},
	} {
		t.Run(tc.action+"/"+tc.field, func(t *testing.T) {
			_, err := Decode(tc.action, []byte(tc.payload))
			if fieldErr(err, tc.field) == nil {
				t.Fatalf("got %v, want a problem with %s", err, tc.field)
			}
		})
	}
}

func TestIDs(t *testing.T) {
	for _, tc := range []struct {
		name, v string
		want    string
	}{
		{"plain", "field-north-1", ""},
		{"non-Latin", "外勤-1", ""},
		{"max", strings.Repeat("a", maxIDLen), ""},
		{"empty", "", "is required"},
		{"blank", " \t", "is required"},
		{"too long", strings.Repeat("a", maxIDLen+1), "is longer than 128 bytes"},
		{"space", "a b", "must not contain spaces"},
		{"tab", "a\tb", "must not contain spaces"},
		{"no-break space", "a\u00a0b", "must not contain spaces"},
		{"NUL", "a\x00b", "contains a control character (U+0000) at byte 1"},
		{"zero-width space", "a\u200bb", "contains a non-printable character (U+200B) at byte 1"},
		{"right-to-left override", "a\u202eb", "contains a non-printable character (U+202E) at byte 1"},
		{"invalid UTF-8", "a\xc0", "is not valid UTF-8 (byte 1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validID("agentId", tc.v)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if fe := fieldErr(err, "agentId"); fe == nil || !strings.Contains(fe.Reason, tc.want) {
				t.Fatalf("got %v, want agentId: %s", err, tc.want)
			}
		})
	}
}

func agentList(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "field-" + string(rune('a'+i))
	}
	return out
}

func TestAgentIDsBounded(t *testing.T) {
	visit := func(n int) error {
		return (&VisitReport{AgentIDs: agentList(n), BadgesShown: true, VisitedAt: "2026-03-02T02:00:00Z", AddressID: "a", Willingness: WillingnessLow}).Validate()
	}
	reassign := func(n int) error {
		return (&Reassign{By: "s1", Role: RoleField, AgentIDs: agentList(n)}).Validate()
	}
	for _, tc := range []struct {
		name string
		f    func(int) error
		n    int
		want string
	}{
		{"visit 2", visit, 2, ""},
		{"visit 10", visit, MaxAgentIDs, ""},
		{"visit 1", visit, 1, "needs at least 2, got 1"},
		{"visit 11", visit, MaxAgentIDs + 1, "at most 10, got 11"},
		{"reassign 1", reassign, 1, ""},
		{"reassign 10", reassign, MaxAgentIDs, ""},
		{"reassign 11", reassign, MaxAgentIDs + 1, "at most 10, got 11"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.f(tc.n)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if fe := fieldErr(err, "agentIds"); fe == nil || fe.Reason != tc.want {
				t.Fatalf("got %v, want agentIds: %s", err, tc.want)
			}
		})
	}
}

func plan(amounts ...int64) *NegotiationResult {
	v := &NegotiationResult{AgentID: "p1", Outcome: NegotiationPlanAgreed, LegalConsequencesExplained: true}
	for i, a := range amounts {
		v.Installments = append(v.Installments, PlanInstallment{DueDate: "2026-" + twoDigits(1+i/28) + "-" + twoDigits(1+i%28), Amount: a})
	}
	return v
}

func twoDigits(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

func TestMoneyBounded(t *testing.T) {
	many := make([]int64, MaxInstallments)
	for i := range many {
		many[i] = MaxAmount / MaxInstallments
	}
	for _, tc := range []struct {
		name  string
		err   error
		field string // "" = accepted
		want  string
	}{
		{"installment at MaxAmount", plan(MaxAmount).Validate(), "", ""},
		{"60 installments adding up to MaxAmount", plan(many...).Validate(), "", ""},
		{"installment over MaxAmount", plan(MaxAmount + 1).Validate(), "installments[0].amount", "must be at most 1000000000000000"},
		{"installment zero", plan(0).Validate(), "installments[0].amount", "must be positive"},
		{"installments overflow", plan(math.MaxInt64, math.MaxInt64).Validate(), "installments", "overflow"},
		{"installments over MaxAmount in all", plan(MaxAmount, 1).Validate(), "installments", "more than 1000000000000000"},
		{"61 installments", plan(append(many, 1)...).Validate(), "installments", "at most 60, got 61"},
		{"payment at MaxAmount", (&PaymentReceived{PaymentID: "x", Amount: MaxAmount, PaidAt: "2026-03-02T02:00:00Z", Channel: "bank"}).Validate(), "", ""},
		{"payment over MaxAmount", (&PaymentReceived{PaymentID: "x", Amount: MaxAmount + 1, PaidAt: "2026-03-02T02:00:00Z", Channel: "bank"}).Validate(), "amount", "must be at most"},
		{"payment zero", (&PaymentReceived{PaymentID: "x", PaidAt: "2026-03-02T02:00:00Z", Channel: "bank"}).Validate(), "amount", "must be positive (minor units)"},
		{"capacity over MaxAmount", (&VisitReport{AgentIDs: agentList(2), BadgesShown: true, VisitedAt: "2026-03-02T02:00:00Z", AddressID: "a", Willingness: WillingnessLow, MonthlyCapacity: MaxAmount + 1}).Validate(), "monthlyCapacity", "must be at most"},
		{"capacity negative", (&VisitReport{AgentIDs: agentList(2), BadgesShown: true, VisitedAt: "2026-03-02T02:00:00Z", AddressID: "a", Willingness: WillingnessLow, MonthlyCapacity: -1}).Validate(), "monthlyCapacity", "must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.field == "" {
				if tc.err != nil {
					t.Fatalf("refused: %v", tc.err)
				}
				return
			}
			if fe := fieldErr(tc.err, tc.field); fe == nil || !strings.Contains(fe.Reason, tc.want) {
				t.Fatalf("got %v, want %s: %s", tc.err, tc.field, tc.want)
			}
		})
	}
}

func TestSumAmounts(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []int64
		sum  int64
		ok   bool
	}{
		{"none", nil, 0, true},
		{"some", []int64{1, 2, 3}, 6, true},
		{"to the top", []int64{math.MaxInt64 - 1, 1}, math.MaxInt64, true},
		{"over the top", []int64{math.MaxInt64, 1}, 0, false},
		{"under the bottom", []int64{math.MinInt64, -1}, 0, false},
		{"down and up", []int64{math.MinInt64, math.MaxInt64}, -1, true},
		{"60 of MaxAmount", func() []int64 {
			xs := make([]int64, MaxInstallments)
			for i := range xs {
				xs[i] = MaxAmount
			}
			return xs
		}(), MaxInstallments * MaxAmount, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sum, ok := SumAmounts(tc.xs...)
			if ok != tc.ok || (ok && sum != tc.sum) {
				t.Fatalf("SumAmounts = %d, %v; want %d, %v", sum, ok, tc.sum, tc.ok)
			}
		})
	}
}
