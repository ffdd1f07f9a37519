// Package trial holds the statistics of a champion/challenger trial: confidence intervals
// of a rate and of a mean, and the tests that say whether two arms differ (gonum's
// distributions for the p-values).
package trial

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Z95 is the normal quantile of a two-sided 95% interval.
const Z95 = 1.959963984540054

// Interval is an estimate with its 95% confidence interval.
type Interval struct {
	Value float64 `json:"value"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
	N     int     `json:"n"`
}

// Proportion is the Wilson score interval of successes out of n (sound for small n and
// rates near 0 or 1).
func Proportion(successes, n int) Interval {
	if n == 0 {
		return Interval{}
	}
	p := float64(successes) / float64(n)
	z2 := Z95 * Z95
	nf := float64(n)
	centre := (p + z2/(2*nf)) / (1 + z2/nf)
	half := Z95 * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf)) / (1 + z2/nf)
	return Interval{Value: p, Low: math.Max(0, centre-half), High: math.Min(1, centre+half), N: n}
}

// Mean is the mean of values with a 95% interval from Student's t.
func Mean(values []float64) Interval {
	n := len(values)
	if n == 0 {
		return Interval{}
	}
	m, v := meanVar(values)
	if n == 1 {
		return Interval{Value: m, Low: m, High: m, N: 1}
	}
	half := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(0.975) * math.Sqrt(v/float64(n))
	return Interval{Value: m, Low: m - half, High: m + half, N: n}
}

func meanVar(values []float64) (mean, variance float64) {
	for _, x := range values {
		mean += x
	}
	mean /= float64(len(values))
	for _, x := range values {
		variance += (x - mean) * (x - mean)
	}
	if len(values) > 1 {
		variance /= float64(len(values) - 1)
	}
	return mean, variance
}

// Difference is arm B's figure less arm A's, its 95% interval and the two-sided p-value of
// "no difference".
type Difference struct {
	Diff        float64 `json:"diff"`
	Low         float64 `json:"low"`
	High        float64 `json:"high"`
	P           float64 `json:"p"`
	Significant bool    `json:"significant"` // p < 0.05
}

// Proportions compares two rates: the two-proportion z-test (pooled) for the p-value, the
// unpooled normal interval for the difference.
func Proportions(sA, nA, sB, nB int) Difference {
	if nA == 0 || nB == 0 {
		return Difference{P: 1}
	}
	pA, pB := float64(sA)/float64(nA), float64(sB)/float64(nB)
	pooled := float64(sA+sB) / float64(nA+nB)
	se0 := math.Sqrt(pooled * (1 - pooled) * (1/float64(nA) + 1/float64(nB)))
	se := math.Sqrt(pA*(1-pA)/float64(nA) + pB*(1-pB)/float64(nB))
	d := Difference{Diff: pB - pA, Low: pB - pA - Z95*se, High: pB - pA + Z95*se, P: 1}
	if se0 > 0 {
		d.P = 2 * distuv.UnitNormal.Survival(math.Abs(pB-pA)/se0)
	}
	d.Significant = d.P < 0.05
	return d
}

// Means compares two means: Welch's t-test (unequal variances) and its interval.
func Means(a, b []float64) Difference {
	if len(a) < 2 || len(b) < 2 {
		return Difference{P: 1}
	}
	mA, vA := meanVar(a)
	mB, vB := meanVar(b)
	sA, sB := vA/float64(len(a)), vB/float64(len(b))
	se := math.Sqrt(sA + sB)
	d := Difference{Diff: mB - mA, Low: mB - mA, High: mB - mA, P: 1}
	if se == 0 {
		if mA != mB {
			d.P = 0
		}
		d.Significant = d.P < 0.05
		return d
	}
	df := (sA + sB) * (sA + sB) / (sA*sA/float64(len(a)-1) + sB*sB/float64(len(b)-1))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	half := t.Quantile(0.975) * se
	d.Low, d.High = d.Diff-half, d.Diff+half
	d.P = 2 * t.Survival(math.Abs(d.Diff)/se)
	d.Significant = d.P < 0.05
	return d
}
