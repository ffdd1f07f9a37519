// Package store opens Casework's PostgreSQL database and applies its versioned migrations.
//
// The database has two roles (DESIGN.md "Who may do what"): the owner, which runs the
// migrations and owns every table, and the runtime role of the programs (casework_app
// unless told otherwise), which is no superuser and may read and write rows but not change,
// remove or truncate those of the audit log and of the voided-records list. Migrate grants
// the runtime role its privileges (grants.sql) after the migrations, every time.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// grantsSQL is the runtime role's privileges, applied after the migrations.
//
//go:embed grants.sql
var grantsSQL string

// DefaultRuntimeRole is the runtime role's name when none is given (the programs' callers
// read CASEWORK_RUNTIME_ROLE).
const DefaultRuntimeRole = "casework_app"

// ErrUnreachable is PostgreSQL not answering at all (refused, timed out): trying again
// later may work, unlike a wrong URL or password.
var ErrUnreachable = errors.New("unreachable")

// Open connects a pool to the database at url.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	if url == "" {
		return nil, fmt.Errorf("DATABASE_URL is empty: set it to a PostgreSQL URL such as postgres://user@localhost:5432/casework")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	cfg.ConnConfig.Tracer = newTracer() // spans of the queries, when a program traces
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = 16 // pgx's default (4 on two cores) queues a busy worker's writes
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) { // the server answered: a wrong password, no such database
			return nil, fmt.Errorf("PostgreSQL at %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
		}
		return nil, fmt.Errorf("ping PostgreSQL at %s:%d: %w: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, ErrUnreachable, err)
	}
	return pool, nil
}

// Migration is one versioned schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var out []Migration
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its version number: %w", base, err)
		}
		b, err := migrations.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", base, err)
		}
		out = append(out, Migration{Version: v, Name: base, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// migrateLock is the advisory lock key that serialises concurrent migrators.
const migrateLock = 7_202_611

// Migrate is MigrateAs with the default runtime role.
func Migrate(ctx context.Context, pool *pgxpool.Pool) ([]int, error) {
	return MigrateAs(ctx, pool, DefaultRuntimeRole)
}

// MigrateWithOwner migrates as the owner at ownerURL (MIGRATION_DATABASE_URL) when it is
// set, else through pool: for programs that hold the runtime role's pool and migrate
// before they start. An empty runtimeRole is the default one.
func MigrateWithOwner(ctx context.Context, ownerURL string, pool *pgxpool.Pool, runtimeRole string) ([]int, error) {
	if ownerURL == "" {
		return MigrateAs(ctx, pool, runtimeRole)
	}
	owner, err := Open(ctx, ownerURL)
	if err != nil {
		return nil, fmt.Errorf("migrate: the owner's connection (MIGRATION_DATABASE_URL): %w", err)
	}
	defer owner.Close()
	return MigrateAs(ctx, owner, runtimeRole)
}

// MigrateAs applies the migrations not yet applied, each in its own transaction, then
// grants runtimeRole (the default one when empty) its privileges afresh (grants.sql), and
// returns the versions it applied. The pool must connect as the database's owner, not as
// the runtime role, which must exist. Concurrent callers wait for each other.
func MigrateAs(ctx context.Context, pool *pgxpool.Pool, runtimeRole string) ([]int, error) {
	if runtimeRole == "" {
		runtimeRole = DefaultRuntimeRole
	}
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: acquire connection: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLock); err != nil {
		return nil, fmt.Errorf("migrate: lock: %w", err)
	}
	defer func() { _, _ = conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, migrateLock) }()
	if err := checkRoles(ctx, conn.Conn(), runtimeRole); err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var applied []int
	for _, m := range ms {
		var done bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.Version).Scan(&done); err != nil {
			return applied, fmt.Errorf("migrate: check %s: %w", m.Name, err)
		}
		if done {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migrate: apply %s: %w", m.Name, err)
		}
		applied = append(applied, m.Version)
	}
	if err := grant(ctx, conn.Conn(), runtimeRole); err != nil {
		return applied, err
	}
	return applied, nil
}

// checkRoles refuses to migrate as the runtime role, or for a runtime role that is missing
// or could lift its own limits (a superuser, or one that may create roles).
func checkRoles(ctx context.Context, conn *pgx.Conn, runtimeRole string) error {
	var me string
	var exists, super, createRole bool
	err := conn.QueryRow(ctx, `SELECT current_user, r.rolname IS NOT NULL, coalesce(r.rolsuper, false), coalesce(r.rolcreaterole, false)
		FROM (SELECT 1) one LEFT JOIN pg_roles r ON r.rolname = $1`, runtimeRole).Scan(&me, &exists, &super, &createRole)
	if err != nil {
		return fmt.Errorf("migrate: check the runtime role: %w", err)
	}
	id := pgx.Identifier{runtimeRole}.Sanitize()
	switch {
	case !exists:
		return fmt.Errorf("migrate: the runtime role %q does not exist: create it (as a superuser, or a role with CREATEROLE): "+
			"CREATE ROLE %s LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '...' (scripts/stack.sh up does, for the development cluster), "+
			"or name the programs' role in CASEWORK_RUNTIME_ROLE", runtimeRole, id)
	case me == runtimeRole:
		return fmt.Errorf("migrate: connected as the runtime role %q: the migrations are run by the database's owner "+
			"(set MIGRATION_DATABASE_URL to the owner's URL)", runtimeRole)
	case super || createRole:
		return fmt.Errorf("migrate: the runtime role %q is a superuser or may create roles, and could lift the audit log's protection: "+
			"ALTER ROLE %s NOSUPERUSER NOCREATEROLE", runtimeRole, id)
	}
	return nil
}

// grant applies grants.sql for the runtime role, then checks that it took: the runtime
// role reads every table and uses every sequence, cannot change, remove or truncate rows
// of the audit log and of the voided-records list, creates nothing in the schema, and is
// none of the tables' owners (nor a member of one). GRANT by a role that does not own a
// table only warns: the check turns that into an error.
func grant(ctx context.Context, conn *pgx.Conn, runtimeRole string) error {
	var problems []string
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('casework.runtime_role', $1, true)`, runtimeRole); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, grantsSQL); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, grantsCheck, runtimeRole)
		if err != nil {
			return err
		}
		if problems, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return err
		}
		if len(problems) > 0 {
			return fmt.Errorf("the runtime role %q: %s (are the tables owned by the migrating role, and is it not the runtime role?)",
				runtimeRole, strings.Join(problems, "; "))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("migrate: grants: %w", err)
	}
	return nil
}

// grantsCheck lists what is wrong with the runtime role's ($1) privileges, if anything.
const grantsCheck = `WITH rel AS (
	SELECT c.oid, c.relname, c.relkind, c.relowner FROM pg_class c
	WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S'))
SELECT format('owns %s or is a member of its owner', relname) FROM rel WHERE pg_has_role($1::name, relowner, 'MEMBER')
UNION ALL
SELECT format('cannot read %s', relname) FROM rel WHERE relkind <> 'S' AND NOT has_table_privilege($1::name, oid, 'SELECT')
UNION ALL
SELECT format('cannot use sequence %s', relname) FROM rel
	WHERE CASE WHEN relkind = 'S' THEN NOT has_sequence_privilege($1::name, oid, 'USAGE') ELSE false END
UNION ALL
SELECT format('may %s %s', p, relname) FROM rel, unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p
	WHERE relname IN ('audit_log', 'voided_records') AND has_table_privilege($1::name, oid, p)
UNION ALL
SELECT format('may %s %s', p, relname) FROM rel, unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p
	WHERE relname = 'schema_migrations' AND has_table_privilege($1::name, oid, p)
UNION ALL
SELECT format('may create objects in schema %s', current_schema()) WHERE has_schema_privilege($1::name, current_schema(), 'CREATE')`
