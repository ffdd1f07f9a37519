package platform

import (
	"context"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/casework/casework/store"
)

// Services are what a long-running Casework program works with: its logger, the
// PostgreSQL pool (DATABASE_URL) and the Temporal client (the SDK's envconfig), the
// client's metrics going to metrics when it is not nil.
type Services struct {
	Logger      *zap.Logger
	DB          *pgxpool.Pool
	TC          client.Client
	stopTracing func(context.Context) error
}

// Connect opens the services of the program named service (its name in traces), tracing
// when the environment asks (StartTracing). Close closes them.
func Connect(ctx context.Context, service string, metrics client.MetricsHandler) (*Services, error) {
	logger, err := NewLogger()
	if err != nil {
		return nil, err
	}
	stop, err := StartTracing(ctx, service)
	if err != nil {
		return nil, err
	}
	if TracingEnabled() {
		logger.Info("tracing", zap.String("exporter", "otlp/http"), zap.String("service", service))
	}
	db, err := store.Open(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return nil, err
	}
	tc, err := DialTemporalWithMetrics(logger, metrics)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Services{Logger: logger, DB: db, TC: tc, stopTracing: stop}, nil
}

// Close closes the client and the pool, flushes the traces, and flushes the logger.
func (s *Services) Close() {
	s.TC.Close()
	s.DB.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.stopTracing(ctx); err != nil {
		s.Logger.Warn("traces not flushed", zap.Error(err))
	}
	_ = s.Logger.Sync() // at exit, with nowhere left to report it (and stderr cannot always sync)
}
