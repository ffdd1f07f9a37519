// Package score is the propensity-to-pay score: the features engineered from an account's
// monthly history, a gradient-boosted tree model trained on them, and the measures a model
// is judged by (AUC, Brier score, calibration, the four-fifths ratio). Its inputs are the
// history alone: the types carry no sex, marital status, age or education, so no model can
// use them; those are read only by the fairness report, apart.
package score

import (
	"math"
	"sort"
	"time"
)

// Month is one month of an account's history, money in minor units.
type Month struct {
	Month       time.Time `json:"month"` // the first day of the month
	DaysPastDue int       `json:"daysPastDue"`
	Bill        int64     `json:"bill"`
	Paid        int64     `json:"paid"`
	// CreditLimit is the account's limit that month (0: unknown): utilisation is the bill
	// over it. An extension of DESIGN.md's history columns.
	CreditLimit int64 `json:"creditLimit,omitempty"`
}

// Months is how many of the latest months the features read.
const Months = 6

// FeatureNames names the features, in the order Features returns them.
var FeatureNames = func() []string {
	names := []string{
		"monthsLateLast", "monthsLatePrev", "monthsLateMax", "monthsLateTrend", "lateMonths",
		"billLast", "billMean", "billTrend", "paidLast", "paidMean", "unpaidMonths",
		"payRatioLast", "payRatioMean", "paidInFullMonths", "noBillMonths", "owedVsPaid",
		"creditLimit", "utilisationLast", "utilisationMean", "utilisationMax", "headroomLast",
	}
	for i := range Months {
		names = append(names, "monthsLate"+string(rune('1'+i)))
	}
	for i := range Months {
		names = append(names, "payRatio"+string(rune('1'+i)))
	}
	for i := range Months {
		names = append(names, "paid"+string(rune('1'+i)))
	}
	for i := range Months {
		names = append(names, "utilisation"+string(rune('1'+i)))
	}
	return names
}()

// Features returns the model's inputs for an account from its history (any order; the
// latest Months months are read, missing ones count as empty).
func Features(history []Month) []float64 {
	h := append([]Month(nil), history...)
	sort.Slice(h, func(i, j int) bool { return h[i].Month.Before(h[j].Month) })
	if len(h) > Months {
		h = h[len(h)-Months:]
	}
	for len(h) < Months { // pad the oldest end with empty months
		h = append([]Month{{}}, h...)
	}
	late := make([]float64, Months)
	ratio := make([]float64, Months)
	var billSum, paidSum, ratioSum float64
	var lateMonths, unpaid, full, noBill float64
	maxLate := 0.0
	for i, m := range h {
		late[i] = float64(m.DaysPastDue) / 30
		maxLate = math.Max(maxLate, late[i])
		if m.DaysPastDue > 0 {
			lateMonths++
		}
		billSum += float64(m.Bill)
		paidSum += float64(m.Paid)
		if m.Paid == 0 {
			unpaid++
		}
		if m.Bill <= 0 {
			noBill++
		}
		prevBill := float64(0)
		if i > 0 {
			prevBill = float64(h[i-1].Bill)
		}
		ratio[i] = payRatio(float64(m.Paid), prevBill)
		ratioSum += ratio[i]
		if prevBill > 0 && float64(m.Paid) >= prevBill {
			full++
		}
	}
	last, first := h[Months-1], h[0]
	limit := float64(last.CreditLimit)
	var util []float64
	for _, m := range h {
		if m.CreditLimit > 0 {
			util = append(util, float64(m.Bill)/float64(m.CreditLimit))
		}
	}
	utilLast, utilMean, utilMax := -1.0, -1.0, -1.0 // unknown limit
	if len(util) > 0 {
		utilLast, utilMean, utilMax = util[len(util)-1], 0, util[0]
		for _, u := range util {
			utilMean += u / float64(len(util))
			utilMax = math.Max(utilMax, u)
		}
	}
	f := []float64{
		late[Months-1], late[Months-2], maxLate, late[Months-1] - late[0], lateMonths,
		signedLog(float64(last.Bill)), signedLog(billSum / Months), (float64(last.Bill) - float64(first.Bill)) / (math.Abs(float64(first.Bill)) + 1),
		signedLog(float64(last.Paid)), signedLog(paidSum / Months), unpaid,
		ratio[Months-1], ratioSum / Months, full, noBill, payRatio(paidSum, billSum),
		signedLog(limit), utilLast, utilMean, utilMax, signedLog(limit - float64(last.Bill)),
	}
	f = append(f, late...)
	f = append(f, ratio...)
	for _, m := range h {
		f = append(f, signedLog(float64(m.Paid)))
	}
	for _, m := range h {
		u := -1.0 // unknown limit
		if m.CreditLimit > 0 {
			u = float64(m.Bill) / float64(m.CreditLimit)
		}
		f = append(f, u)
	}
	return f
}

// payRatio is what was paid against what was billed, in [0, 2]; 1 when nothing was billed.
func payRatio(paid, billed float64) float64 {
	if billed <= 0 {
		return 1
	}
	return math.Max(0, math.Min(2, paid/billed))
}

// signedLog compresses amounts: sign(x)·log(1+|x|).
func signedLog(x float64) float64 {
	if x < 0 {
		return -math.Log1p(-x)
	}
	return math.Log1p(x)
}
