package demo

import (
	"math"

	"golang.org/x/time/rate"
)

// Pacer spaces starts at most perSecond a second, one at a time (no burst), as the back
// office's screening does (backoffice.Pace); 0 or less is no limit. The benchmark paces
// the cases and the floor's workflows alike.
func Pacer(perSecond float64) *rate.Limiter {
	if perSecond <= 0 || math.IsInf(perSecond, 1) {
		return rate.NewLimiter(rate.Inf, 1)
	}
	return rate.NewLimiter(rate.Limit(perSecond), 1)
}
