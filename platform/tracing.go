package platform

import (
	"context"
	"fmt"
	"os"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// TracingEnabled says whether the programs trace: when OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) names a collector, unless OTEL_TRACES_EXPORTER=none.
func TracingEnabled() bool {
	if os.Getenv("OTEL_TRACES_EXPORTER") == "none" {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// StartTracing sets up OpenTelemetry tracing for the process when TracingEnabled: spans
// exported over OTLP/HTTP (the exporter reads the standard OTEL_EXPORTER_OTLP_* settings),
// batched, named service (OTEL_SERVICE_NAME overrides), propagated as W3C trace context.
// The API's requests (otelhttp), the Temporal client and worker (the SDK's tracing
// interceptor: starts, updates, signals, workflow runs, activities and local activities)
// and every PostgreSQL query (the pool's tracer) then make one trace per action. Stop
// flushes what is buffered; without tracing it does nothing.
func StartTracing(ctx context.Context, service string) (stop func(context.Context) error, err error) {
	if !TracingEnabled() {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(service)))
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	if name := os.Getenv("OTEL_SERVICE_NAME"); name != "" {
		if res, err = resource.Merge(res, resource.NewSchemaless(semconv.ServiceName(name))); err != nil {
			return nil, fmt.Errorf("tracing: resource: %w", err)
		}
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return tp.Shutdown, nil
}

// tracingInterceptors are the Temporal client's (and its workers') interceptors: the SDK's
// OpenTelemetry tracing when TracingEnabled, through the global tracer provider.
func tracingInterceptors() ([]interceptor.ClientInterceptor, error) {
	if !TracingEnabled() {
		return nil, nil
	}
	// the W3C trace context alone goes into the cases' headers (kept in the history, in the
	// clear): no baggage
	i, err := opentelemetry.NewTracingInterceptor(opentelemetry.TracerOptions{
		TextMapPropagator: propagation.TraceContext{}, DisableBaggage: true})
	if err != nil {
		return nil, fmt.Errorf("tracing interceptor: %w", err)
	}
	return []interceptor.ClientInterceptor{i}, nil
}
