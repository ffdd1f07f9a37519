package contract

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Shape rules of each payload: what can be checked from the payload alone. Rules that
// depend on the case (the agent is assigned, the address is the verified one, the plan adds
// up to the amount due) are checked by the workflow's validators.

const (
	maxIDLen   = 128
	maxNoteLen = 2000
)

func (p *problems) id(field, v string) {
	switch {
	case strings.TrimSpace(v) == "":
		p.add(field, "is required")
	case len(v) > maxIDLen:
		p.add(field, "is longer than %d characters", maxIDLen)
	case strings.ContainsAny(v, " \t\r\n"):
		p.add(field, "must not contain spaces")
	}
}

func (p *problems) ids(field string, vs []string, min int) {
	if len(vs) < min {
		p.add(field, "needs at least %d, got %d", min, len(vs))
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
	if len(v) > maxNoteLen {
		p.add(field, "is longer than %d characters", maxNoteLen)
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
	p.ids("agentIds", v.AgentIDs, 2)
	if !v.BadgesShown {
		p.add("badgesShown", "must be true: every agent at a visit shows a work badge")
	}
	p.time("visitedAt", v.VisitedAt)
	p.id("addressId", v.AddressID)
	if v.MonthlyCapacity < 0 {
		p.add("monthlyCapacity", "must not be negative")
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
			p.add("installments", "at most %d, got %d", MaxInstallments, n)
		}
		var prev time.Time
		for i, in := range v.Installments {
			field := "installments[" + strconv.Itoa(i) + "]"
			d, err := ParseDate(field+".dueDate", in.DueDate)
			if err != nil {
				p.addErr(err)
			} else if !prev.IsZero() && !d.After(prev) {
				p.add(field+".dueDate", "must be after the previous installment's")
			} else {
				prev = d
			}
			if in.Amount <= 0 {
				p.add(field+".amount", "must be positive")
			}
		}
	} else if len(v.Installments) > 0 {
		p.add("installments", "are only for outcome %s", NegotiationPlanAgreed)
	}
	p.text("note", v.Note)
	return p.err(ActionNegotiationResult)
}

// Validate checks the payload's shape.
func (v *PaymentReceived) Validate() error {
	var p problems
	p.id("paymentId", v.PaymentID)
	if v.Amount <= 0 {
		p.add("amount", "must be positive (minor units)")
	}
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
	p.ids("agentIds", v.AgentIDs, 1)
	return p.err(ActionReassign)
}
