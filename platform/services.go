package platform

import (
	"context"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/casework/casework/store"
)

// Services are what a long-running Casework program works with: its logger, the
// PostgreSQL pool (DATABASE_URL) and the Temporal client (the SDK's envconfig), the
// client's metrics going to metrics when it is not nil.
type Services struct {
	Logger *zap.Logger
	DB     *pgxpool.Pool
	TC     client.Client
}

// Connect opens the services. Close closes them.
func Connect(ctx context.Context, metrics client.MetricsHandler) (*Services, error) {
	logger, err := NewLogger()
	if err != nil {
		return nil, err
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
	return &Services{Logger: logger, DB: db, TC: tc}, nil
}

// Close closes the client and the pool and flushes the logger.
func (s *Services) Close() {
	s.TC.Close()
	s.DB.Close()
	_ = s.Logger.Sync() // at exit, with nowhere left to report it (and stderr cannot always sync)
}
