package platform

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// Metrics is the Prometheus registry of a process: the Temporal SDK's worker and client
// metrics, the process's (goroutines, memory), and Casework's own (cases started and closed by outcome, human actions
// accepted and rejected, reminders sent), which the workflow and activities emit through
// the SDK's metrics handler.
type Metrics struct {
	Handler client.MetricsHandler // hand to client.Options.MetricsHandler
	// Registry takes a program's own collectors (the API's request metrics).
	Registry *prom.Registry
	http     http.Handler
	closer   io.Closer
}

// NewMetrics builds the registry. Close flushes and stops it.
func NewMetrics() *Metrics {
	registry := prom.NewRegistry()
	// the process's own: go_goroutines, go_memstats_*, process_resident_memory_bytes, ...
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reporter := tallyprom.NewReporter(tallyprom.Options{Registerer: registry, DefaultTimerType: tallyprom.HistogramTimerType})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &tallyprom.DefaultSanitizerOpts,
	}, time.Second)
	return &Metrics{Handler: sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope)), Registry: registry,
		http: reporter.HTTPHandler(), closer: closer}
}

// Serve serves /metrics, /healthz and /readyz (HandleHealth, with checks) on addr
// (host:port; port 0 picks a free one) until Close, and returns the address it listens on.
func (m *Metrics) Serve(addr string, checks ...Check) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.http)
	HandleHealth(mux, checks...)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = ln.Close() // Serve has closed it already: this only makes sure
		}
	}()
	m.closer = multiCloser{m.closer, srv}
	return ln.Addr().String(), nil
}

// Close stops serving and reporting.
func (m *Metrics) Close() error { return m.closer.Close() }

type multiCloser []io.Closer

func (c multiCloser) Close() error {
	var errs []error
	for _, x := range c {
		errs = append(errs, x.Close())
	}
	return errors.Join(errs...)
}
