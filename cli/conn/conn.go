// Package conn gives the operations programs' commands their connections: PostgreSQL
// (DATABASE_URL) and Temporal (TEMPORAL_*), opened as a command needs them and closed
// after; a service that does not answer exits 5 (unavailable).
package conn

import (
	"context"
	"errors"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/casework/casework/cli"
	"github.com/casework/casework/platform"
	"github.com/casework/casework/store"
)

// Needs says what a command connects to.
type Needs struct{ DB, Temporal bool }

// What commands need.
var (
	None     = Needs{}
	Database = Needs{DB: true}
	Temporal = Needs{Temporal: true}
	Both     = Needs{DB: true, Temporal: true}
)

// Conns is what a command works with: the database and Temporal, as it needs them.
type Conns struct {
	DB *pgxpool.Pool
	TC client.Client
}

// Command gives c a run that opens the connections n names, and closes them after.
func Command(c *cobra.Command, n Needs, run func(ctx context.Context, cmd *cobra.Command, conns *Conns, args []string) error) *cobra.Command {
	c.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		var conns Conns
		var err error
		if n.DB {
			if conns.DB, err = store.Open(ctx, os.Getenv("DATABASE_URL")); err != nil {
				return unavailable(err)
			}
			defer conns.DB.Close()
		}
		if n.Temporal {
			if conns.TC, err = platform.DialTemporalQuiet(); err != nil {
				return unavailable(err)
			}
			defer conns.TC.Close()
		}
		return run(ctx, cmd, &conns, args)
	}
	return c
}

// Env is the environment the operations programs read, for their help.
var Env = []cli.EnvVar{
	{Name: "DATABASE_URL", Help: "PostgreSQL as the runtime role, e.g. postgres://casework_app@localhost:5432/casework"},
	{Name: "MIGRATION_DATABASE_URL", Help: "PostgreSQL as the schema's owner, for migrate (default DATABASE_URL)"},
	{Name: "TEMPORAL_ADDRESS", Help: "the Temporal frontend, host:port (default 127.0.0.1:7233)"},
	{Name: "TEMPORAL_NAMESPACE", Help: "the Temporal namespace (default default)"},
	{Name: "TEMPORAL_API_KEY", Help: "a Temporal Cloud API key, when used"},
	{Name: "TEMPORAL_TLS_*", Help: "CLIENT_CERT_PATH, CLIENT_KEY_PATH, SERVER_CA_CERT_PATH, SERVER_NAME: mutual TLS to Temporal"},
	{Name: "CASEWORK_CODEC_KEYS_FILE", Help: "the payload codec's keys (id:base64 per line, the first encrypts)"},
	{Name: "CASEWORK_POLICY", Help: "the deployment's contact policy as JSON (tightened only by cases)"},
	{Name: "LOG_LEVEL, LOG_FORMAT", Help: "debug|info|warn|error; json or console"},
}

// unavailable marks a connection that failed for want of an answer (exit 5); wrong
// settings (an empty or malformed URL, a refused password, a missing key) stay failures.
func unavailable(err error) error {
	if errors.Is(err, store.ErrUnreachable) || errors.Is(err, platform.ErrUnreachable) {
		return cli.Unavailable(err)
	}
	return err
}
