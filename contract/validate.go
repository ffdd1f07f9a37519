package contract

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Shape rules of each payload: what can be checked from the payload alone. Rules that
// depend on the case (the agent is assigned, the address is the verified one, the plan adds
// up to the amount due) are checked by the workflow's validators.

const (
	maxIDLen   = 128
	maxNoteLen = 2000
)

// MaxAgentIDs is the most agents one action may name (a visit's agents, a reassignment).
const MaxAgentIDs = 10

// MaxAmount is the largest amount of money accepted anywhere, in minor units (1e15: ten
// trillion in a currency of cents). It is far above any consumer debt and far below int64
// overflow (about 9.2e18), so that sums of MaxInstallments amounts, or of a case's
// payments, cannot overflow. Callers that add money use SumAmounts all the same.
const MaxAmount int64 = 1_000_000_000_000_000

// SumAmounts adds amounts of money; ok is false if the sum overflows int64 (the sum
// returned is then meaningless).
func SumAmounts(xs ...int64) (sum int64, ok bool) {
	for _, x := range xs {
		if (x > 0 && sum > math.MaxInt64-x) || (x < 0 && sum < math.MinInt64-x) {
			return 0, false
		}
		sum += x
	}
	return sum, true
}

// ValidText checks a free-text field (a note, comments, a reason): valid UTF-8, at most max
// bytes, and no control characters (C0, DEL, C1) but newline and tab; a carriage return is
// refused too, so a client sends lines ending in "\n" only. It returns a *FieldError
// naming the field, or nil.
func ValidText(field, v string, max int) error {
	if len(v) > max {
		return Invalid(field, "is longer than %d bytes (got %d)", max, len(v))
	}
	for i, r := range v {
		switch {
		case r == utf8.RuneError && !validRuneAt(v, i):
			return Invalid(field, "is not valid UTF-8 (byte %d)", i)
		case r == '\n' || r == '\t':
		case unicode.IsControl(r):
			return Invalid(field, "contains a control character (%U) at byte %d", r, i)
		}
	}
	return nil
}

// validRuneAt reports whether a U+FFFD decoded at byte i of v is really there (three bytes
// EF BF BD) rather than the decoder's mark of an invalid byte.
func validRuneAt(v string, i int) bool {
	_, size := utf8.DecodeRuneInString(v[i:])
	return size == 3
}

// validID checks an id: required, at most maxIDLen bytes of valid UTF-8, printable, no
// spaces of any kind.
func validID(field, v string) error {
	switch {
	case strings.TrimSpace(v) == "":
		return Invalid(field, "is required")
	case len(v) > maxIDLen:
		return Invalid(field, "is longer than %d bytes (got %d)", maxIDLen, len(v))
	}
	for i, r := range v {
		switch {
		case r == utf8.RuneError && !validRuneAt(v, i):
			return Invalid(field, "is not valid UTF-8 (byte %d)", i)
		case unicode.IsSpace(r):
			return Invalid(field, "must not contain spaces")
		case unicode.IsControl(r):
			return Invalid(field, "contains a control character (%U) at byte %d", r, i)
		case !unicode.IsPrint(r):
			return Invalid(field, "contains a non-printable character (%U) at byte %d", r, i)
		}
	}
	return nil
}

func (p *problems) id(field, v string) {
	p.addErr(validID(field, v))
}

func (p *problems) ids(field string, vs []string, min, max int) {
	if len(vs) < min {
		p.add(field, "needs at least %d, got %d", min, len(vs))
		return
	}
	if len(vs) > max {
		p.add(field, "at most %d, got %d", max, len(vs))
		return
	}
	seen := map[string]bool{}
	for _, v := range vs {
		if seen[v] {
			p.add(field, "lists %q twice", v)
			return
		}
		seen[v] = true
		p.id(field, v)
	}
}

func (p *problems) text(field, v string) {
	p.addErr(ValidText(field, v, maxNoteLen))
}

// amount checks an amount of money that must be positive.
func (p *problems) amount(field string, v int64, positive string) {
	switch {
	case v <= 0:
		p.add(field, "%s", positive)
	case v > MaxAmount:
		p.add(field, "must be at most %d (minor units), got %d", MaxAmount, v)
	}
}

func (p *problems) oneOf(field, v string, allowed []string) {
	if !slices.Contains(allowed, v) {
		if v == "" {
			p.add(field, "is required (one of %s)", strings.Join(allowed, ", "))
			return
		}
		p.add(field, "must be one of %s, not %q", strings.Join(allowed, ", "), v)
	}
}

func (p *problems) time(field, v string) {
	if _, err := ParseTime(field, v); err != nil {
		p.addErr(err)
	}
}

// ParseTime parses an RFC 3339 time of the named field.
func ParseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, Invalid(field, "is required (an RFC 3339 time)")
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, Invalid(field, "must be an RFC 3339 time such as 2026-01-02T15:04:05+08:00, not %q", v)
	}
	return t, nil
}

// ParseDate parses a YYYY-MM-DD date of the named field.
func ParseDate(field, v string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, Invalid(field, "must be a date YYYY-MM-DD, not %q", v)
	}
	return t, nil
}

// Validate checks the payload's shape.
func (v *PhoneVerified) Validate() error {
	var p problems
	p.id("agentId", v.AgentID)
	p.time("calledAt", v.CalledAt)
	p.oneOf("outcome", v.Outcome, PhoneOutcomes)
	if v.Outcome == PhoneAddressChanged {
		p.id("addressId", v.AddressID)
	} else if v.AddressID != "" {
		p.add("addressId", "is only for outcome %s", PhoneAddressChanged)
	}
	p.text("note", v.Note)
	return p.err(ActionPhoneVerified)
}

// Validate checks the payload's shape.
func (v *VisitReport) Validate() error {
	var p problems
	p.ids("agentIds", v.AgentIDs, 2, MaxAgentIDs)
	if !v.BadgesShown {
		p.add("badgesShown", "must be true: every agent at a visit shows a work badge")
	}
	p.time("visitedAt", v.VisitedAt)
	p.id("addressId", v.AddressID)
	switch {
	case v.MonthlyCapacity < 0:
		p.add("monthlyCapacity", "must not be negative")
	case v.MonthlyCapacity > MaxAmount:
		p.add("monthlyCapacity", "must be at most %d (minor units), got %d", MaxAmount, v.MonthlyCapacity)
	}
	p.oneOf("willingness", v.Willingness, WillingnessLevels)
	p.text("livingConditions", v.LivingConditions)
	p.text("employment", v.Employment)
	p.text("note", v.Note)
	return p.err(ActionVisitReport)
}

// MaxInstallments is the longest plan accepted.
const MaxInstallments = 60

// Validate checks the payload's shape.
func (v *NegotiationResult) Validate() error {
	var p problems
	p.id("agentId", v.AgentID)
	p.oneOf("outcome", v.Outcome, NegotiationOutcomes)
	if !v.LegalConsequencesExplained {
		p.add("legalConsequencesExplained", "must be true: the legal consequences are explained truthfully at every negotiation")
	}
	if v.Outcome == NegotiationPlanAgreed {
		switch n := len(v.Installments); {
		case n == 0:
			p.add("installments", "are required for %s", NegotiationPlanAgreed)
		case n > MaxInstallments:
			// One problem for the list, not one per installment of an unbounded list.
			p.add("installments", "at most %d, got %d", MaxInstallments, n)
		default:
			p.installments(v.Installments)
		}
	} else if len(v.Installments) > 0 {
		p.add("installments", "are only for outcome %s", NegotiationPlanAgreed)
	}
	p.text("note", v.Note)
	return p.err(ActionNegotiationResult)
}

// installments checks a plan's installments: dates in order, amounts positive and bounded,
// and a total that neither overflows nor passes MaxAmount.
func (p *problems) installments(ins []PlanInstallment) {
	var prev time.Time
	amounts := make([]int64, len(ins))
	for i, in := range ins {
		field := "installments[" + strconv.Itoa(i) + "]"
		d, err := ParseDate(field+".dueDate", in.DueDate)
		if err != nil {
			p.addErr(err)
		} else if !prev.IsZero() && !d.After(prev) {
			p.add(field+".dueDate", "must be after the previous installment's")
		} else {
			prev = d
		}
		p.amount(field+".amount", in.Amount, "must be positive")
		amounts[i] = in.Amount
	}
	if total, ok := SumAmounts(amounts...); !ok {
		p.add("installments", "add up to more than an amount can hold (overflow)")
	} else if total > MaxAmount {
		p.add("installments", "add up to %d, more than %d (minor units)", total, MaxAmount)
	}
}

// Validate checks the payload's shape.
func (v *PaymentReceived) Validate() error {
	var p problems
	p.id("paymentId", v.PaymentID)
	p.amount("amount", v.Amount, "must be positive (minor units)")
	p.time("paidAt", v.PaidAt)
	p.id("channel", v.Channel)
	return p.err(ActionPaymentReceived)
}

// Validate checks the payload's shape.
func (v *AnomalyReport) Validate() error {
	var p problems
	p.oneOf("kind", v.Kind, ReportedAnomalyKinds)
	p.id("reportedBy", v.ReportedBy)
	if v.PhoneID != "" {
		p.id("phoneId", v.PhoneID)
	}
	if v.AddressID != "" {
		p.id("addressId", v.AddressID)
	}
	if v.Kind == AnomalyContactChanged && v.PhoneID == "" && v.AddressID == "" {
		p.add("phoneId", "or addressId is required for %s: record the new contact first and send its id", AnomalyContactChanged)
	}
	p.text("note", v.Note)
	return p.err(ActionAnomaly)
}

// Validate checks the payload's shape.
func (v *SurveyResult) Validate() error {
	var p problems
	p.id("agentId", v.AgentID)
	switch {
	case v.Reached && (v.Satisfaction < 1 || v.Satisfaction > 5):
		p.add("satisfaction", "must be 1 to 5 when the debtor was reached, not %d", v.Satisfaction)
	case !v.Reached && v.Satisfaction != 0:
		p.add("satisfaction", "must be absent when the debtor was not reached")
	}
	p.text("comments", v.Comments)
	return p.err(ActionSurveyResult)
}

// Validate checks the payload's shape.
func (v *SupervisorAction) Validate() error {
	var p problems
	p.id("by", v.By)
	if strings.TrimSpace(v.Reason) == "" {
		p.add("reason", "is required")
	}
	p.text("reason", v.Reason)
	return p.err("supervisor action")
}

// Validate checks the payload's shape.
func (v *Reassign) Validate() error {
	var p problems
	p.id("by", v.By)
	p.oneOf("role", v.Role, []string{RolePhone, RoleField})
	p.ids("agentIds", v.AgentIDs, 1, MaxAgentIDs)
	return p.err(ActionReassign)
}
