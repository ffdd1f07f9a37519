//go:build integration

package itest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
)

// The production topology serves Temporal over mutual TLS: a client without a certificate
// of the deployment's CA is refused, in the clear or over TLS; the programs' certificate
// (the TEMPORAL_TLS_* settings every program reads through envconfig) is let in.
func TestTemporalRefusesClientsWithoutCertificate(t *testing.T) {
	need(t)
	if os.Getenv("CASEWORK_TOPOLOGY") != "server" {
		t.Skip("the dev server has no TLS: mutual TLS is the production topology's (make test-server)")
	}
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if opts.ConnectionOptions.TLS == nil || len(opts.ConnectionOptions.TLS.Certificates) == 0 {
		t.Fatal("the test environment has no client certificate: TEMPORAL_TLS_* not set")
	}
	ca, err := os.ReadFile(os.Getenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	dial := func(tlsConfig *tls.Config) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := client.DialContext(ctx, client.Options{HostPort: opts.HostPort, Namespace: opts.Namespace,
			ConnectionOptions: client.ConnectionOptions{TLS: tlsConfig}})
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
	for name, cfg := range map[string]*tls.Config{
		"in the clear":            nil,
		"TLS without certificate": {RootCAs: pool, ServerName: os.Getenv("TEMPORAL_TLS_SERVER_NAME"), MinVersion: tls.VersionTLS12},
	} {
		if err := dial(cfg); err == nil {
			t.Errorf("a client %s was let in", name)
		}
	}
	if err := dial(opts.ConnectionOptions.TLS); err != nil {
		t.Errorf("the programs' certificate was refused: %v", err)
	}
}
