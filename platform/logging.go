// Package platform holds what every Casework program sets up the same way: the zap
// logger (and its adapter for the Temporal SDK), the Temporal client from the environment
// and the PostgreSQL pool.
package platform

import (
	"fmt"
	"os"

	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// NewLogger returns a zap logger: JSON by default, a readable console in development
// (LOG_FORMAT=console); LOG_LEVEL sets the level (info by default).
func NewLogger() (*zap.Logger, error) {
	cfg := zap.NewProductionConfig()
	if os.Getenv("LOG_FORMAT") == "console" {
		cfg = zap.NewDevelopmentConfig()
		cfg.EncoderConfig.EncodeLevel = zapcore.CapitalColorLevelEncoder
	}
	if lvl := os.Getenv("LOG_LEVEL"); lvl != "" {
		l, err := zapcore.ParseLevel(lvl)
		if err != nil {
			return nil, fmt.Errorf("LOG_LEVEL %q: %w", lvl, err)
		}
		cfg.Level = zap.NewAtomicLevelAt(l)
	}
	logger, err := cfg.Build()
	if err != nil {
		return nil, fmt.Errorf("build logger: %w", err)
	}
	return logger, nil
}

// TemporalLogger hands a zap logger to the Temporal SDK.
func TemporalLogger(z *zap.Logger) log.Logger {
	return &temporalLogger{s: z.WithOptions(zap.AddCallerSkip(1)).Sugar()}
}

type temporalLogger struct{ s *zap.SugaredLogger }

func (l *temporalLogger) Debug(msg string, kv ...any) { l.s.Debugw(msg, kv...) }
func (l *temporalLogger) Info(msg string, kv ...any)  { l.s.Infow(msg, kv...) }
func (l *temporalLogger) Warn(msg string, kv ...any)  { l.s.Warnw(msg, kv...) }
func (l *temporalLogger) Error(msg string, kv ...any) { l.s.Errorw(msg, kv...) }

// With returns a logger with the key-values added to every entry.
func (l *temporalLogger) With(kv ...any) log.Logger { return &temporalLogger{s: l.s.With(kv...)} }

// WithCallerSkip returns a logger that reports the caller depth frames further up: the
// SDK wraps the workflow's logger (replay-aware) and asks for this, so that a line names
// the workflow code that logged it, not the SDK's wrapper.
func (l *temporalLogger) WithCallerSkip(depth int) log.Logger {
	return &temporalLogger{s: l.s.WithOptions(zap.AddCallerSkip(depth))}
}

var _ log.WithSkipCallers = (*temporalLogger)(nil)
