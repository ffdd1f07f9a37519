package platform

import (
	"errors"
	"fmt"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/casework/casework/codec"
)

// ErrUnreachable is Temporal not answering when a program connects: trying again later
// may work, unlike wrong settings (which fail before any connection is tried).
var ErrUnreachable = errors.New("unreachable")

// DialTemporal connects to Temporal as the environment says, through the SDK's envconfig:
// TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE
// and the TOML config file (TEMPORAL_CONFIG_FILE). Defaults: localhost:7233, namespace
// default.
func DialTemporal(logger *zap.Logger) (client.Client, error) {
	return DialTemporalWithMetrics(logger, nil)
}

// DialTemporalWithMetrics is DialTemporal with the SDK's metrics going to metrics.
func DialTemporalWithMetrics(logger *zap.Logger, metrics client.MetricsHandler) (client.Client, error) {
	dc, err := DataConverter(logger)
	if err != nil {
		return nil, err
	}
	return DialTemporalWith(logger, metrics, dc)
}

// DialTemporalWith connects with the data converter dc: the benchmark's client with the
// codec off (converter.GetDefaultDataConverter()) is its only other use.
func DialTemporalWith(logger *zap.Logger, metrics client.MetricsHandler, dc converter.DataConverter) (client.Client, error) {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return nil, fmt.Errorf("temporal client settings: %w", err)
	}
	opts.Logger = TemporalLogger(logger)
	opts.MetricsHandler = metrics
	opts.DataConverter = dc
	opts.FailureConverter = FailureConverter(dc)
	tracing, err := tracingInterceptors()
	if err != nil {
		return nil, err
	}
	opts.Interceptors = append(opts.Interceptors, tracing...) // its workers take them too
	c, err := client.Dial(opts)
	if err != nil {
		addr := opts.HostPort
		if addr == "" {
			addr = client.DefaultHostPort
		}
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %q): %w: %w", addr, opts.Namespace, ErrUnreachable, err)
	}
	return c, nil
}

// EnvCodecOff names the variable that, set to 1, turns the payload codec off: for the
// benchmark that measures its cost only. A program run so says so in its log.
const EnvCodecOff = "CASEWORK_CODEC_OFF"

// DataConverter is the data converter of every Casework program: the SDK's JSON with
// every payload encrypted by the AES-256-GCM codec, keys from CASEWORK_CODEC_KEYS or
// CASEWORK_CODEC_KEYS_FILE (see package codec). Without keys a program does not start.
func DataConverter(logger *zap.Logger) (converter.DataConverter, error) {
	if os.Getenv(EnvCodecOff) == "1" {
		logger.Warn("payload codec OFF (" + EnvCodecOff + "=1): payloads go to Temporal in the clear; for measurements only")
		return converter.GetDefaultDataConverter(), nil
	}
	keys, err := codec.LoadKeys()
	if err != nil {
		return nil, fmt.Errorf("payload encryption: %w (make run writes a development key to .dev/codec-keys; see the README's Security section)", err)
	}
	return codec.NewDataConverter(keys), nil
}

// FailureConverter keeps failures' messages and stack traces in their encoded attributes,
// encrypted by dc like every payload: a failure's message can quote what a person wrote.
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true})
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
