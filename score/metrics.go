package score

import (
	"fmt"
	"math"
	"sort"
)

// AUC is the area under the ROC curve of scores against labels (1 positive): the chance
// that a random positive scores above a random negative, ties counting half.
func AUC(scores, labels []float64) (float64, error) {
	if len(scores) != len(labels) {
		return 0, fmt.Errorf("score: AUC of %d scores and %d labels", len(scores), len(labels))
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1..j, averaged over the ties
		for k := i; k < j; k++ {
			if labels[idx[k]] == 1 {
				rankSum += avg
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return 0, fmt.Errorf("score: AUC needs both labels (%g positive, %g negative)", pos, neg)
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg), nil
}

// Brier is the mean squared difference between the probabilities and the labels.
func Brier(probs, labels []float64) float64 {
	var s float64
	for i := range probs {
		d := probs[i] - labels[i]
		s += d * d
	}
	return s / float64(max(1, len(probs)))
}

// Decile is one tenth of the examples, by score: what the model said and what happened.
type Decile struct {
	Decile    int     `json:"decile"` // 1: the lowest scores
	Count     int     `json:"count"`
	MeanScore float64 `json:"meanScore"`
	Observed  float64 `json:"observed"` // the share that paid
}

// Calibration splits the examples into ten groups by probability.
func Calibration(probs, labels []float64) []Decile {
	idx := make([]int, len(probs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return probs[idx[a]] < probs[idx[b]] })
	out := make([]Decile, 0, 10)
	for d := range 10 {
		lo, hi := d*len(idx)/10, (d+1)*len(idx)/10
		if hi <= lo {
			continue
		}
		var s, o float64
		for _, i := range idx[lo:hi] {
			s += probs[i]
			o += labels[i]
		}
		n := float64(hi - lo)
		out = append(out, Decile{Decile: d + 1, Count: hi - lo, MeanScore: s / n, Observed: o / n})
	}
	return out
}

// FourFifths is the adverse-impact check of a selection: each group's selection rate (the
// share of its members in the top `share` of scores) and the lowest rate over the highest.
// Under 0.8 the selection is presumed to have adverse impact (the four-fifths rule).
type FourFifths struct {
	Share float64            `json:"share"`
	Rates map[string]float64 `json:"rates"`
	Ratio float64            `json:"ratio"`
}

// SelectionRatio computes the four-fifths check of selecting the top share by score.
func SelectionRatio(scores []float64, groups []string, share float64) FourFifths {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	top := int(math.Round(share * float64(len(idx))))
	total, chosen := map[string]float64{}, map[string]float64{}
	for rank, i := range idx {
		total[groups[i]]++
		if rank < top {
			chosen[groups[i]]++
		}
	}
	r := FourFifths{Share: share, Rates: map[string]float64{}}
	lo, hi := math.Inf(1), 0.0
	for g, n := range total {
		rate := chosen[g] / n
		r.Rates[g] = rate
		lo, hi = math.Min(lo, rate), math.Max(hi, rate)
	}
	if hi > 0 {
		r.Ratio = lo / hi
	}
	return r
}
