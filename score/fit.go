package score

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"time"
)

// Example is one account to learn from: its features, what happened, the plain rule's
// inputs and, apart from the features, its group for the fairness report.
type Example struct {
	AccountID   string
	Features    []float64
	Paid        bool
	DaysPastDue int    // the latest month's (the plain rule's input)
	AmountDue   int64  // the latest bill (the plain rule's input)
	Group       string // sex, for the four-fifths ratio only; never a feature
}

// Figures are how well a score ranks the held-out accounts.
type Figures struct {
	AUC         float64     `json:"auc"`
	OverdueAUC  float64     `json:"overdueAuc"` // among the accounts late in the latest month
	Brier       float64     `json:"brier"`
	Calibration []Decile    `json:"calibration"`
	Fairness    *FourFifths `json:"fairness,omitempty"`
}

// Report is what a training run says about its model.
type Report struct {
	Examples    int     `json:"examples"`
	Train       int     `json:"train"`
	Test        int     `json:"test"`
	Overdue     int     `json:"overdueTest"`
	PaidShare   float64 `json:"paidShare"`
	Seed        uint64  `json:"seed"`
	DataDigest  string  `json:"dataDigest"`
	ModelDigest string  `json:"modelDigest"`
	Model       Figures `json:"model"`
	Plain       Figures `json:"plainRule"`
	Seconds     float64 `json:"seconds"`
}

// TopShare is the share of accounts the fairness check selects: the top-ranked third.
const TopShare = 0.3

// HeldOut says whether an account is in the held-out share for the seed: a stable hash of
// the account id, so the split does not depend on the order of the data.
func HeldOut(accountID string, seed uint64, share float64) bool {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	_, _ = h.Write(b[:])              // hash.Hash never fails
	_, _ = h.Write([]byte(accountID)) // hash.Hash never fails
	return float64(h.Sum64()%10000) < share*10000
}

// Fit trains a model on the examples not held out and measures it, and the plain rule, on
// the held-out ones. The same examples and params give the same model (and digest).
func Fit(examples []Example, p Params) (*Model, *Report, error) {
	t0 := time.Now()
	ex := append([]Example(nil), examples...)
	sort.Slice(ex, func(i, j int) bool { return ex[i].AccountID < ex[j].AccountID })
	var trainX [][]float64
	var trainY []float64
	var test []Example
	data := sha256.New()
	var paid float64
	for _, e := range ex {
		if len(e.Features) != len(FeatureNames) {
			return nil, nil, fmt.Errorf("score: %s has %d features, want %d", e.AccountID, len(e.Features), len(FeatureNames))
		}
		fmt.Fprintf(data, "%s,%t,%d,%d,%v\n", e.AccountID, e.Paid, e.DaysPastDue, e.AmountDue, e.Features)
		if e.Paid {
			paid++
		}
		if HeldOut(e.AccountID, p.Seed, p.HoldOut) {
			test = append(test, e)
			continue
		}
		trainX = append(trainX, e.Features)
		trainY = append(trainY, label(e.Paid))
	}
	if len(test) < 20 || len(trainX) < 20 {
		return nil, nil, fmt.Errorf("score: %d examples to train on and %d to test: too few", len(trainX), len(test))
	}
	m, err := Train(trainX, trainY, p)
	if err != nil {
		return nil, nil, err
	}
	plain := plainRule(ex, p)
	r := &Report{Examples: len(ex), Train: len(trainX), Test: len(test), PaidShare: paid / float64(len(ex)), Seed: p.Seed,
		DataDigest: hex.EncodeToString(data.Sum(nil)), ModelDigest: m.Digest()}
	if r.Model, err = measure(test, m.ScoreExample); err != nil {
		return nil, nil, err
	}
	if r.Plain, err = measure(test, plain); err != nil {
		return nil, nil, err
	}
	for _, e := range test {
		if e.DaysPastDue > 0 {
			r.Overdue++
		}
	}
	r.Seconds = time.Since(t0).Seconds()
	return m, r, nil
}

// ScoreExample scores an example (its features).
func (m *Model) ScoreExample(e Example) float64 { return m.Score(e.Features) }

func label(paid bool) float64 {
	if paid {
		return 1
	}
	return 0
}

// plainRule is the days-past-due-and-amount rule as a probability: the training accounts'
// share that paid at the same months late, a smaller amount ranking first among equals.
func plainRule(ex []Example, p Params) func(Example) float64 {
	paid, n := map[int]float64{}, map[int]float64{}
	for _, e := range ex {
		if !HeldOut(e.AccountID, p.Seed, p.HoldOut) {
			k := e.DaysPastDue / 30
			n[k]++
			paid[k] += label(e.Paid)
		}
	}
	return func(e Example) float64 {
		k := e.DaysPastDue / 30
		rate := 0.5
		if n[k] > 0 {
			rate = paid[k] / n[k]
		}
		return math.Max(0, rate-float64(max(0, e.AmountDue))/1e15) // ties broken by the amount
	}
}

// measure computes the figures of a score on the held-out examples.
func measure(test []Example, score func(Example) float64) (Figures, error) {
	var s, y, os, oy []float64
	groups := make([]string, 0, len(test))
	for _, e := range test {
		v := score(e)
		s, y = append(s, v), append(y, label(e.Paid))
		groups = append(groups, e.Group)
		if e.DaysPastDue > 0 {
			os, oy = append(os, v), append(oy, label(e.Paid))
		}
	}
	auc, err := AUC(s, y)
	if err != nil {
		return Figures{}, err
	}
	f := Figures{AUC: auc, Brier: Brier(s, y), Calibration: Calibration(s, y)}
	if len(os) > 0 {
		if f.OverdueAUC, err = AUC(os, oy); err != nil {
			f.OverdueAUC = 0 // one label only among them: no ranking to judge
		}
	}
	fair := SelectionRatio(s, groups, TopShare)
	f.Fairness = &fair
	return f, nil
}
