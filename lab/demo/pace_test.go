package demo

import (
	"context"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// A pacer lets one start through at a time, perSecond a second; without a pace it never
// waits.
func TestPacerSpacesStarts(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		perSecond float64
		atLeast   time.Duration
	}{
		{100, 40 * time.Millisecond}, // five starts: four gaps of 10 ms
		{0, 0},
	} {
		p := Pacer(tc.perSecond)
		t0 := time.Now()
		for range 5 {
			if err := p.Wait(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if took := time.Since(t0); took < tc.atLeast {
			t.Errorf("pace %g: five starts in %s, want at least %s", tc.perSecond, took, tc.atLeast)
		}
		if p.Burst() != 1 {
			t.Errorf("pace %g: burst %d, want 1 (one start at a time)", tc.perSecond, p.Burst())
		}
	}
	if l := Pacer(0).Limit(); l != rate.Inf {
		t.Errorf("no pace: limit %v, want none", l)
	}
}
