package demo

import (
	"testing"

	"github.com/casework/casework/score"
)

// A debtor acts on their own record: one who paid the next month keeps a plan more often
// and agrees more readily than one who defaulted, in person more than by phone; the draws
// are the same every run.
func TestDebtorsActOnTheirOwnRecord(t *testing.T) {
	late := []score.Month{{DaysPastDue: 90}, {DaysPastDue: 60}}
	payer := DebtorOf(UCIClient{Paid: true, History: []score.Month{{}, {}}})
	defaulter := DebtorOf(UCIClient{Paid: false, History: late})
	if payer.Keep <= defaulter.Keep || payer.AgreeByPhone() <= defaulter.AgreeByPhone() {
		t.Errorf("payer %+v, defaulter %+v: the payer should keep and agree more", payer, defaulter)
	}
	for _, d := range []Debtor{payer, defaulter} {
		if d.AgreeInPerson() <= d.AgreeByPhone() || d.Keep < 0.05 || d.Keep > 1 {
			t.Errorf("%+v: agree in person %.2f, by phone %.2f", d, d.AgreeInPerson(), d.AgreeByPhone())
		}
	}
	first, again, next := draw("case-1", "agree", 1), draw("case-1", "agree", 1), draw("case-1", "agree", 2)
	if first != again || first == next {
		t.Error("draws are not reproducible, or not distinct")
	}
	n := 0
	for i := range 10000 {
		if draw("case-x", "keep", i) < 0.3 {
			n++
		}
	}
	if n < 2800 || n > 3200 {
		t.Errorf("%d of 10000 draws under 0.3", n)
	}
}
