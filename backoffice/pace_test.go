package backoffice

import (
	"context"
	"math"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// A pace lets one start through at a time, PerSecond a second; without a pace (0, less,
// not a number) it never waits.
func TestPaceLimiterSpacesStarts(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		perSecond       float64
		atLeast, before time.Duration
	}{
		{100, 35 * time.Millisecond, time.Minute}, // five starts: four gaps of 10 ms
		{0, 0, 50 * time.Millisecond},
		{-1, 0, 50 * time.Millisecond},
		{math.NaN(), 0, 50 * time.Millisecond},
	} {
		l := Pace{PerSecond: tc.perSecond}.Limiter()
		if l.Burst() != 1 {
			t.Errorf("pace %g: burst %d, want 1 (one start at a time)", tc.perSecond, l.Burst())
		}
		if tc.atLeast == 0 && l.Limit() != rate.Inf {
			t.Errorf("pace %g: limit %v, want none", tc.perSecond, l.Limit())
		}
		t0 := time.Now()
		for range 5 {
			if err := l.Wait(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if took := time.Since(t0); took < tc.atLeast || took >= tc.before {
			t.Errorf("pace %g: five starts in %s, want at least %s and under %s", tc.perSecond, took, tc.atLeast, tc.before)
		}
	}
	if DefaultPace().PerSecond != 20 || DefaultPace().Concurrency != 8 {
		t.Errorf("default pace %+v: the README and bin/starter's help say 8 at once, 20 a second", DefaultPace())
	}
}
