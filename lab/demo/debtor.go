package demo

import (
	"hash/fnv"
	"math"
	"strconv"

	"github.com/casework/casework/contract"
)

// Earned is the trial's scenario: the simulated debtor acts on their own data, not on a
// script, so the trial's result is earned.
const Earned Scenario = "earned"

// Debtor is how a simulated debtor of the trial behaves, from their UCI data: Keep is the
// chance they pay an installment as agreed (high for those who paid the next month, lower
// the more months they were late); the chance they agree to a plan is higher face to face
// (after a visit) than on the phone. The mechanics are the demo's assumptions; who keeps
// and who breaks comes from each debtor's own record.
type Debtor struct {
	Keep float64
}

// DebtorOf derives a debtor's behaviour from their UCI record.
func DebtorOf(c UCIClient) Debtor {
	keep := 0.35
	if c.Paid {
		keep = 0.88
	}
	worst := 0
	for _, m := range c.History {
		worst = max(worst, m.DaysPastDue/30)
	}
	return Debtor{Keep: math.Max(0.05, keep-0.05*float64(worst))}
}

// AgreeByPhone is the chance a negotiation by phone ends in a plan.
func (d Debtor) AgreeByPhone() float64 { return 0.2 + 0.6*d.Keep }

// AgreeInPerson is the chance a negotiation after a visit ends in a plan.
func (d Debtor) AgreeInPerson() float64 { return math.Min(0.97, 0.45+0.5*d.Keep) }

// draw is a reproducible uniform number in [0, 1) for a case and an event: the same trial
// run twice makes the same choices.
func draw(caseID, event string, n int) float64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(caseID + "/" + event + "/" + strconv.Itoa(n))) // hash.Hash never fails
	return float64(h.Sum64()%1_000_000) / 1_000_000
}

// willingness is what the field agents see of a debtor.
func (d Debtor) willingness() string {
	switch {
	case d.Keep >= 0.8:
		return contract.WillingnessHigh
	case d.Keep >= 0.5:
		return contract.WillingnessMedium
	case d.Keep >= 0.25:
		return contract.WillingnessLow
	}
	return contract.WillingnessNone
}
