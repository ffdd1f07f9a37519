package httpapi

import (
	"fmt"
	"strconv"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
)

// Metrics are the API's request metrics for Prometheus: requests by route and status, and
// their latency, by route. A route is the pattern the request matched (such as
// "POST /v1/cases/{case}/actions/{action}"), never its path: a caller cannot make new series.
type Metrics struct {
	requests *prom.CounterVec
	latency  *prom.HistogramVec
}

// NewMetrics registers the API's metrics with reg.
func NewMetrics(reg prom.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prom.NewCounterVec(prom.CounterOpts{
			Name: "casework_api_requests_total",
			Help: "The agents' API and console requests, by route pattern and HTTP status.",
		}, []string{"route", "code"}),
		latency: prom.NewHistogramVec(prom.HistogramOpts{
			Name:    "casework_api_request_duration_seconds",
			Help:    "The time the API took to answer, by route pattern.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
	}
	for _, c := range []prom.Collector{m.requests, m.latency} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("api metrics: %w", err)
		}
	}
	return m, nil
}

// observe counts one answered request.
func (m *Metrics) observe(route string, code int, took time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched" // a path no route serves: one series for all of them
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(route).Observe(took.Seconds())
}
