package platform

import (
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.uber.org/zap"
)

// DialTemporal connects to Temporal as the environment says, through the SDK's envconfig:
// TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE
// and the TOML config file (TEMPORAL_CONFIG_FILE). Defaults: localhost:7233, namespace
// default.
func DialTemporal(logger *zap.Logger) (client.Client, error) {
	return DialTemporalWithMetrics(logger, nil)
}

// DialTemporalWithMetrics is DialTemporal with the SDK's metrics going to metrics.
func DialTemporalWithMetrics(logger *zap.Logger, metrics client.MetricsHandler) (client.Client, error) {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return nil, fmt.Errorf("temporal client settings: %w", err)
	}
	opts.Logger = TemporalLogger(logger)
	opts.MetricsHandler = metrics
	c, err := client.Dial(opts)
	if err != nil {
		addr := opts.HostPort
		if addr == "" {
			addr = client.DefaultHostPort
		}
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %q): %w", addr, opts.Namespace, err)
	}
	return c, nil
}

// DialTemporalQuiet connects a command-line tool to Temporal: like DialTemporal, logging
// only the SDK's warnings and errors.
func DialTemporalQuiet() (client.Client, error) {
	logger, err := NewLogger()
	if err != nil {
		return nil, err
	}
	return DialTemporal(logger.WithOptions(zap.IncreaseLevel(zap.WarnLevel)))
}
