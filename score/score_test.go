package score

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// AUC against a small example counted by hand: positives 0.9, 0.4 (tied with a negative),
// 0.8; negatives 0.7, 0.4, 0.1. Pairs (pos > neg): 0.9 beats 3, 0.8 beats 3, 0.4 beats
// 0.1 and ties 0.4 (half): 7.5 of 9.
func TestAUCByHand(t *testing.T) {
	auc, err := AUC([]float64{0.9, 0.4, 0.8, 0.7, 0.4, 0.1}, []float64{1, 1, 1, 0, 0, 0})
	if err != nil || math.Abs(auc-7.5/9) > 1e-12 {
		t.Fatalf("AUC %v (%v), want %v", auc, err, 7.5/9)
	}
	if _, err := AUC([]float64{0.1, 0.2}, []float64{1, 1}); err == nil {
		t.Error("AUC of one label only: no error")
	}
	if b := Brier([]float64{1, 0, 0.5}, []float64{1, 1, 0}); math.Abs(b-(0+1+0.25)/3) > 1e-12 {
		t.Errorf("Brier %v", b)
	}
}

func TestCalibrationAndSelectionRatio(t *testing.T) {
	probs := make([]float64, 100)
	labels := make([]float64, 100)
	for i := range probs {
		probs[i] = float64(i) / 100
		if i%2 == 0 {
			labels[i] = 1
		}
	}
	cal := Calibration(probs, labels)
	if len(cal) != 10 || cal[0].Count != 10 || math.Abs(cal[0].MeanScore-0.045) > 1e-9 || cal[9].Observed != 0.5 {
		t.Errorf("calibration %+v", cal)
	}
	// group a holds the top half of the scores: selecting the top 20% takes only a's
	groups := make([]string, 100)
	for i := range groups {
		groups[i] = map[bool]string{true: "a", false: "b"}[i >= 50]
	}
	r := SelectionRatio(probs, groups, 0.2)
	if r.Rates["a"] != 0.4 || r.Rates["b"] != 0 || r.Ratio != 0 {
		t.Errorf("selection %+v", r)
	}
}

// synthetic makes accounts whose payment depends on their history, and gives each a group
// that is, in the second set, a perfect predictor of the label.
func synthetic(n int, leakyGroup bool) []Example {
	rng := rand.New(rand.NewPCG(1, 2))
	ex := make([]Example, n)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range ex {
		late := rng.IntN(4)
		var h []Month
		for m := range Months {
			h = append(h, Month{Month: start.AddDate(0, m, 0), DaysPastDue: 30 * late, Bill: int64(1000 + rng.IntN(5000)), Paid: int64(rng.IntN(2000)), CreditLimit: 10000})
		}
		paid := rng.Float64() > 0.2+0.2*float64(late)
		group := []string{"female", "male"}[rng.IntN(2)]
		if leakyGroup {
			group = map[bool]string{true: "female", false: "male"}[paid]
		}
		ex[i] = Example{AccountID: fmt.Sprintf("A%05d", i), Features: Features(h), Paid: paid, DaysPastDue: 30 * late, AmountDue: h[len(h)-1].Bill, Group: group}
	}
	return ex
}

// The same data and seed give the same model, whatever the order of the data.
func TestTrainingIsReproducible(t *testing.T) {
	ex := synthetic(600, false)
	p := DefaultParams
	p.Trees = 30
	m1, r1, err := Fit(ex, p)
	if err != nil {
		t.Fatal(err)
	}
	rev := slices.Clone(ex)
	slices.Reverse(rev)
	m2, r2, err := Fit(rev, p)
	if err != nil {
		t.Fatal(err)
	}
	if m1.Digest() != m2.Digest() || r1.DataDigest != r2.DataDigest || r1.Model.AUC != r2.Model.AUC {
		t.Errorf("two trainings on the same data: digests %.12s %.12s, AUC %v %v", m1.Digest(), m2.Digest(), r1.Model.AUC, r2.Model.AUC)
	}
	p.Seed++
	if m3, _, err := Fit(ex, p); err != nil || m3.Digest() == m1.Digest() {
		t.Errorf("another seed, the same model (%v)", err)
	}
	if r1.Model.AUC <= 0.6 || r1.Model.AUC <= r1.Plain.AUC-0.02 {
		t.Errorf("AUC %.3f (plain %.3f) on data whose label follows the history", r1.Model.AUC, r1.Plain.AUC)
	}
}

// The protected attribute never reaches the model: with a group that predicts the label
// perfectly, the model is no better than on the history alone, and its features are the
// same whatever the group.
func TestProtectedAttributesNeverReachTheModel(t *testing.T) {
	for _, name := range FeatureNames {
		for _, protected := range []string{"sex", "gender", "age", "marri", "educat"} {
			if strings.Contains(strings.ToLower(name), protected) {
				t.Errorf("feature %q reads a protected attribute", name)
			}
		}
	}
	p := DefaultParams
	p.Trees = 30
	_, fair, err := Fit(synthetic(800, false), p)
	if err != nil {
		t.Fatal(err)
	}
	_, leaky, err := Fit(synthetic(800, true), p)
	if err != nil {
		t.Fatal(err)
	}
	if leaky.Model.AUC > fair.Model.AUC+0.02 || leaky.Model.AUC > 0.9 {
		t.Errorf("AUC %.3f with a group that predicts the label (%.3f without): the group reached the model", leaky.Model.AUC, fair.Model.AUC)
	}
}

// The held-out split is a stable hash of the account id: the same account is always on the
// same side for a seed, and about the share asked is held out.
func TestHeldOutIsStable(t *testing.T) {
	n := 0
	first := map[string]bool{}
	for i := range 10000 {
		id := fmt.Sprintf("UCI-%d", i)
		first[id] = HeldOut(id, 2026, 0.3)
		if first[id] {
			n++
		}
	}
	for i := 9999; i >= 0; i-- { // asked again, in another order
		if id := fmt.Sprintf("UCI-%d", i); HeldOut(id, 2026, 0.3) != first[id] {
			t.Fatalf("%s changed sides", id)
		}
	}
	if n < 2800 || n > 3200 {
		t.Errorf("%d of 10000 held out, want about 3000", n)
	}
}
