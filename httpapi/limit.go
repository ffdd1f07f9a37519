package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// Rate is a token bucket: PerSecond requests a second on average, Burst at once.
type Rate struct {
	PerSecond float64
	Burst     float64
}

// DefaultRate is each token's limit: enough for a person and their tool's retries, far
// below what would let one stolen token read the whole book quickly.
var DefaultRate = Rate{PerSecond: 5, Burst: 20}

type bucket struct {
	tokens float64
	at     time.Time
}

// limiter keeps one bucket per agent.
type limiter struct {
	rate    Rate
	mu      sync.Mutex
	buckets map[string]*bucket
}

func newLimiter(r Rate) *limiter { return &limiter{rate: r, buckets: map[string]*bucket{}} }

// allow takes one request from the agent's bucket, or says how long to wait.
func (l *limiter) allow(agent string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[agent]
	if b == nil {
		b = &bucket{tokens: l.rate.Burst, at: now}
		l.buckets[agent] = b
	}
	b.tokens = min(l.rate.Burst, b.tokens+now.Sub(b.at).Seconds()*l.rate.PerSecond)
	b.at = now
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / l.rate.PerSecond * float64(time.Second)), false
	}
	b.tokens--
	return 0, true
}

// blocked says, without taking a request, whether the key's bucket is empty and for how
// long (failed sign-ins: checked before the next attempt, counted only when it fails).
func (l *limiter) blocked(key string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		return 0, false
	}
	tokens := min(l.rate.Burst, b.tokens+now.Sub(b.at).Seconds()*l.rate.PerSecond)
	if tokens < 1 {
		return time.Duration((1 - tokens) / l.rate.PerSecond * float64(time.Second)), true
	}
	return 0, false
}

// limitBody refuses bodies over MaxBody (413 from the handler that reads it).
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		next.ServeHTTP(w, r)
	})
}

// agentKey carries the authenticated agent to the access log.
type agentHolder struct{ id string }

type agentKeyT struct{}

var agentKey agentKeyT

func setAgent(r *http.Request, id string) {
	if h, ok := r.Context().Value(agentKey).(*agentHolder); ok {
		h.id = id
	}
}

type recorder struct {
	http.ResponseWriter
	code  int
	bytes int
}

func (r *recorder) WriteHeader(code int) { r.code = code; r.ResponseWriter.WriteHeader(code) }
func (r *recorder) Write(b []byte) (int, error) {
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

// accessLog logs every request: method, route pattern, path, status, bytes, duration and
// the authenticated agent; and counts it in the metrics (Metrics, when set). Never the Authorization header, a cookie, a query value or a
// body: no secret and no personal data reaches the log.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		who := &agentHolder{}
		rec := &recorder{ResponseWriter: w, code: http.StatusOK}
		r = r.WithContext(contextWith(r, who))
		next.ServeHTTP(rec, r)
		s.Metrics.observe(r.Pattern, rec.code, time.Since(start))
		span := trace.SpanFromContext(r.Context())
		if r.Pattern != "" {
			span.SetName(r.Pattern)
			span.SetAttributes(attribute.String("http.route", r.Pattern))
		}
		s.Logger.Info("http",
			zap.String("method", r.Method), zap.String("route", r.Pattern), zap.String("path", r.URL.Path),
			zap.Int("status", rec.code), zap.Int("bytes", rec.bytes), zap.Duration("took", time.Since(start)),
			zap.String("agent", who.id), traceID(r.Context()))
	})
}

func newRef() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

func contextWith(r *http.Request, h *agentHolder) context.Context {
	return context.WithValue(r.Context(), agentKey, h)
}

// FailedAuthRate bounds requests with a bad token from one client address: a burst of 10,
// then one every 2 seconds, so that tokens cannot be guessed (each is 192 random bits
// anyway) and bad requests cannot hammer the database.
var FailedAuthRate = Rate{PerSecond: 0.5, Burst: 10}

// clientAddress is the request's remote host (no proxy headers are trusted).
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// traceID is the log field of the request's trace id (empty when nothing traces): a log
// line leads to its trace.
func traceID(ctx context.Context) zap.Field {
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		return zap.String("traceId", sc.TraceID().String())
	}
	return zap.Skip()
}
