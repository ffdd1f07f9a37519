package score

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// Params are a model's training settings.
type Params struct {
	Trees        int     `json:"trees"`
	Depth        int     `json:"depth"`
	LearningRate float64 `json:"learningRate"`
	MinLeaf      int     `json:"minLeaf"` // examples a leaf holds at least
	Lambda       float64 `json:"lambda"`  // L2 regularisation of leaf values
	Bins         int     `json:"bins"`    // candidate thresholds per feature, at most 255
	HoldOut      float64 `json:"holdOut"` // the share held out for the figures
	Seed         uint64  `json:"seed"`    // decides the held-out split
}

// DefaultParams are the settings `bin/starter train` uses.
var DefaultParams = Params{Trees: 200, Depth: 4, LearningRate: 0.08, MinLeaf: 40, Lambda: 1, Bins: 64, HoldOut: 0.3, Seed: 2026}

// Node is one node of a tree: a split (Feature, Threshold: x <= Threshold goes Left) or,
// when Leaf, a value added to the score's log-odds.
type Node struct {
	Leaf      bool    `json:"leaf,omitempty"`
	Value     float64 `json:"value,omitempty"`
	Feature   int     `json:"feature,omitempty"`
	Threshold float64 `json:"threshold,omitempty"`
	Left      int     `json:"left,omitempty"`
	Right     int     `json:"right,omitempty"`
}

// Model is a trained propensity-to-pay model: gradient-boosted regression trees on the
// log-odds of paying.
type Model struct {
	Features []string `json:"features"`
	Params   Params   `json:"params"`
	Base     float64  `json:"base"` // the log-odds every score starts from
	Trees    [][]Node `json:"trees"`
}

// Score is the probability that the account pays, in [0, 1].
func (m *Model) Score(features []float64) float64 {
	z := m.Base
	for _, t := range m.Trees {
		i := 0
		for !t[i].Leaf {
			if features[t[i].Feature] <= t[i].Threshold {
				i = t[i].Left
			} else {
				i = t[i].Right
			}
		}
		z += t[i].Value
	}
	return 1 / (1 + math.Exp(-z))
}

// Digest is the model's fingerprint: the same data and seed give the same digest.
func (m *Model) Digest() string {
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("score: marshal model: %v", err)) // plain data: cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Train fits a model to the examples (features x, label y: 1 paid, 0 did not). It is
// deterministic: the same examples in the same order give the same model.
func Train(x [][]float64, y []float64, p Params) (*Model, error) {
	if len(x) == 0 || len(x) != len(y) {
		return nil, fmt.Errorf("score: train on %d examples and %d labels", len(x), len(y))
	}
	nf := len(x[0])
	if nf != len(FeatureNames) {
		return nil, fmt.Errorf("score: %d features, want %d", nf, len(FeatureNames))
	}
	if p.Bins < 2 || p.Bins > 255 || p.Depth < 1 || p.Trees < 1 || p.MinLeaf < 1 {
		return nil, fmt.Errorf("score: params %+v out of range", p)
	}
	edges := make([][]float64, nf)
	bins := make([][]uint8, nf) // by feature, then example: cache-friendly histograms
	for f := range nf {
		edges[f] = cutPoints(x, f, p.Bins)
		bins[f] = make([]uint8, len(x))
		for i := range x {
			bins[f][i] = uint8(sort.SearchFloat64s(edges[f], x[i][f]))
		}
	}
	var pos float64
	for _, v := range y {
		pos += v
	}
	mean := math.Min(math.Max(pos/float64(len(y)), 1e-6), 1-1e-6)
	m := &Model{Features: FeatureNames, Params: p, Base: math.Log(mean / (1 - mean))}
	z := make([]float64, len(x))
	for i := range z {
		z[i] = m.Base
	}
	g, h := make([]float64, len(x)), make([]float64, len(x))
	all := make([]int, len(x))
	for i := range all {
		all[i] = i
	}
	for range p.Trees {
		for i := range x {
			pr := 1 / (1 + math.Exp(-z[i]))
			g[i], h[i] = pr-y[i], math.Max(pr*(1-pr), 1e-12)
		}
		b := &builder{bins: bins, edges: edges, g: g, h: h, p: p, leaf: make([]float64, len(x))}
		b.grow(all, 0)
		for _, i := range all {
			z[i] += b.value(i)
		}
		m.Trees = append(m.Trees, b.nodes)
	}
	return m, nil
}

// cutPoints are up to n-1 thresholds of a feature at its quantiles: value <= edge[k] falls
// in bin k.
func cutPoints(x [][]float64, f, n int) []float64 {
	vals := make([]float64, len(x))
	for i := range x {
		vals[i] = x[i][f]
	}
	sort.Float64s(vals)
	var edges []float64
	for k := 1; k < n; k++ {
		v := vals[k*len(vals)/n]
		if len(edges) == 0 || v > edges[len(edges)-1] {
			edges = append(edges, v)
		}
	}
	if len(edges) > 0 && edges[len(edges)-1] >= vals[len(vals)-1] {
		edges = edges[:len(edges)-1] // nothing above the last edge: no split there
	}
	return edges
}

// builder grows one tree on the gradients.
type builder struct {
	bins  [][]uint8
	edges [][]float64
	g, h  []float64
	p     Params
	nodes []Node
	leaf  []float64 // example → its leaf's value (this tree)
}

func (b *builder) value(i int) float64 { return b.leaf[i] }

// grow adds the node of the examples idx at depth and returns its index.
func (b *builder) grow(idx []int, depth int) int {
	var G, H float64
	for _, i := range idx {
		G, H = G+b.g[i], H+b.h[i]
	}
	me := len(b.nodes)
	b.nodes = append(b.nodes, Node{})
	best := struct {
		gain    float64
		feature int
		bin     int
	}{gain: 1e-9, feature: -1}
	if depth < b.p.Depth && len(idx) >= 2*b.p.MinLeaf {
		parent := G * G / (H + b.p.Lambda)
		var gs, hs [256]float64
		var cs [256]int
		for f := range b.bins {
			nb := len(b.edges[f]) + 1
			if nb < 2 {
				continue
			}
			clear(gs[:nb])
			clear(hs[:nb])
			clear(cs[:nb])
			col := b.bins[f]
			for _, i := range idx {
				k := col[i]
				gs[k] += b.g[i]
				hs[k] += b.h[i]
				cs[k]++
			}
			var gl, hl float64
			cl := 0
			for k := 0; k < nb-1; k++ {
				gl, hl, cl = gl+gs[k], hl+hs[k], cl+cs[k]
				if cl < b.p.MinLeaf || len(idx)-cl < b.p.MinLeaf {
					continue
				}
				gr, hr := G-gl, H-hl
				gain := gl*gl/(hl+b.p.Lambda) + gr*gr/(hr+b.p.Lambda) - parent
				if gain > best.gain {
					best.gain, best.feature, best.bin = gain, f, k
				}
			}
		}
	}
	if best.feature < 0 {
		v := -G / (H + b.p.Lambda) * b.p.LearningRate
		b.nodes[me] = Node{Leaf: true, Value: v}
		for _, i := range idx {
			b.leaf[i] = v
		}
		return me
	}
	var left, right []int
	col := b.bins[best.feature]
	for _, i := range idx {
		if int(col[i]) <= best.bin {
			left = append(left, i)
		} else {
			right = append(right, i)
		}
	}
	l := b.grow(left, depth+1)
	r := b.grow(right, depth+1)
	b.nodes[me] = Node{Feature: best.feature, Threshold: b.edges[best.feature][best.bin], Left: l, Right: r}
	return me
}
