package store

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// tracer makes an OpenTelemetry span of every query, batch and COPY of a pool (through
// the global tracer provider: nothing is recorded until a program sets one up, see
// platform.StartTracing). A span carries the statement's text, never its arguments: the
// values (names, phones, addresses) stay out of traces.
type tracer struct{ t trace.Tracer }

func newTracer() *tracer { return &tracer{t: otel.Tracer("github.com/casework/casework/store")} }

var (
	_ pgx.QueryTracer    = (*tracer)(nil)
	_ pgx.BatchTracer    = (*tracer)(nil)
	_ pgx.CopyFromTracer = (*tracer)(nil)
)

// spanName is "postgresql <first word of the statement>" (SELECT, INSERT, WITH...).
func spanName(sql string) string {
	verb, _, _ := strings.Cut(strings.TrimSpace(sql), " ")
	if len(verb) > 16 {
		verb = verb[:16]
	}
	return "postgresql " + strings.ToUpper(verb)
}

func (t *tracer) start(ctx context.Context, name string, attrs ...attribute.KeyValue) context.Context {
	ctx, _ = t.t.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(append(attrs, attribute.String("db.system.name", "postgresql"))...))
	return ctx
}

func end(ctx context.Context, err error) {
	span := trace.SpanFromContext(ctx)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// TraceQueryStart starts a query's span.
func (t *tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return t.start(ctx, spanName(data.SQL), attribute.String("db.query.text", data.SQL))
}

// TraceQueryEnd ends it.
func (t *tracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	end(ctx, data.Err)
}

// TraceBatchStart starts a batch's span.
func (t *tracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	return t.start(ctx, "postgresql batch", attribute.Int("db.operation.batch.size", data.Batch.Len()))
}

// TraceBatchQuery notes each statement of the batch as an event.
func (t *tracer) TraceBatchQuery(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	trace.SpanFromContext(ctx).AddEvent(spanName(data.SQL), trace.WithAttributes(attribute.String("db.query.text", data.SQL)))
}

// TraceBatchEnd ends the batch's span.
func (t *tracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	end(ctx, data.Err)
}

// TraceCopyFromStart starts a COPY's span.
func (t *tracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromStartData) context.Context {
	return t.start(ctx, "postgresql COPY", attribute.String("db.collection.name", data.TableName.Sanitize()))
}

// TraceCopyFromEnd ends it.
func (t *tracer) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromEndData) {
	end(ctx, data.Err)
}
