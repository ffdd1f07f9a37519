package trial

import (
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// Against values computed elsewhere (R: prop.test without continuity correction, the
// Wilson interval; t.test with var.equal = FALSE).
func TestAgainstKnownValues(t *testing.T) {
	w := Proportion(50, 100)
	if !near(w.Low, 0.4038, 1e-4) || !near(w.High, 0.5962, 1e-4) {
		t.Errorf("Wilson 50/100: %+v, want [0.4038, 0.5962]", w)
	}
	w = Proportion(0, 20)
	if w.Low != 0 || !near(w.High, 0.1611, 1e-4) {
		t.Errorf("Wilson 0/20: %+v, want [0, 0.1611]", w)
	}
	// pooled 0.525, se sqrt(0.525 x 0.475 x 0.02) = 0.070622, z = 2.1240: p = 0.03367
	// (R: prop.test(c(45, 60), c(100, 100), correct = FALSE): X-squared 4.5113, p 0.03367)
	d := Proportions(45, 100, 60, 100)
	if !near(d.Diff, 0.15, 1e-12) || !near(d.P, 0.03367, 1e-4) || !d.Significant {
		t.Errorf("45/100 against 60/100: %+v, want p 0.0337", d)
	}
	if d := Proportions(50, 100, 52, 100); d.Significant || !near(d.P, 0.7773, 1e-3) {
		t.Errorf("50/100 against 52/100: %+v, want p 0.777, not significant", d)
	}
	// Welch: means 3 and 5, variances 2.5: se 1, t = 2, df = 8, p = 0.08052, interval
	// 2 ± 2.3060 (R: t.test(1:5, 3:7))
	a := []float64{1, 2, 3, 4, 5}
	b := []float64{3, 4, 5, 6, 7}
	m := Means(a, b)
	if !near(m.Diff, 2, 1e-12) || !near(m.P, 0.08052, 1e-4) || m.Significant || !near(m.Low, 2-2.3060, 1e-3) {
		t.Errorf("Welch: %+v, want p 0.0805, not significant", m)
	}
	if m := Means(a, []float64{8, 9, 10, 11, 12}); !m.Significant || !near(m.P, 0.0001, 1e-3) {
		t.Errorf("Welch, far apart: %+v (t = 7, df 8: p 0.00011)", m)
	}
	mi := Mean(a) // 3 ± t(0.975, 4) 2.7764 * sqrt(2.5/5)
	if !near(mi.Low, 3-2.7764*math.Sqrt(0.5), 1e-3) {
		t.Errorf("mean interval %+v", mi)
	}
}
