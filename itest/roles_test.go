//go:build integration

package itest

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/casework/casework/contract"
	"github.com/casework/casework/store"
)

// The programs' runtime role (DATABASE_URL) is no superuser, owns neither the audit log nor
// the voided-records list, and can neither change, remove or truncate their rows nor
// switch off their protection (DESIGN.md "Who may do what"). It may add rows.
func TestRuntimeRoleCannotTamperWithTheAuditLog(t *testing.T) {
	need(t)
	ctx := context.Background()
	conn, err := stack.db.Acquire(ctx) // one session throughout: a SET would stay on it
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()

	var me, owner, voidedOwner string
	var super bool
	if err := conn.QueryRow(ctx, `SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&me, &super); err != nil {
		t.Fatal(err)
	}
	if super {
		t.Errorf("the runtime role %s is a superuser", me)
	}
	if err := conn.QueryRow(ctx, `SELECT (SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'audit_log'),
		(SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'voided_records')`).Scan(&owner, &voidedOwner); err != nil {
		t.Fatal(err)
	}
	if owner == me || voidedOwner == me {
		t.Errorf("the runtime role %s owns audit_log (owner %s) or voided_records (owner %s)", me, owner, voidedOwner)
	}

	// Adding rows is allowed.
	caseID := contract.WorkflowID(newAccount(t))
	key := caseID + "/roles"
	if _, err := conn.Exec(ctx, `INSERT INTO audit_log (record_key, case_id, at, kind, actor, accepted, reason) VALUES ($1, $2, now(), 'test', 'itest', true, 'original')`,
		key, caseID); err != nil {
		t.Fatalf("insert into audit_log as %s: %v", me, err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO voided_records (record_key, case_id) VALUES ($1, $2)`, key+"-voided", caseID); err != nil {
		t.Fatalf("insert into voided_records as %s: %v", me, err)
	}
	var before string
	if err := conn.QueryRow(ctx, `SELECT row_to_json(a)::text FROM audit_log a WHERE record_key = $1`, key).Scan(&before); err != nil {
		t.Fatal(err)
	}

	// refused runs the statements in one transaction, rolled back, and wants the last one
	// refused (the ones before it may fail too: each runs under a savepoint).
	refused := func(name string, stmts ...string) {
		t.Helper()
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback(ctx) }()
		var last error
		for _, q := range stmts {
			if _, err := tx.Exec(ctx, `SAVEPOINT attempt`); err != nil {
				t.Fatalf("%s: savepoint: %v", name, err)
			}
			if _, last = tx.Exec(ctx, q); last != nil {
				if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT attempt`); err != nil {
					t.Fatalf("%s: rollback to savepoint: %v", name, err)
				}
			}
		}
		var pg *pgconn.PgError
		switch {
		case last == nil:
			t.Errorf("%s: allowed to %s, want refused", name, me)
		case !errors.As(last, &pg):
			t.Errorf("%s: %v, want a refusal by PostgreSQL", name, last)
		case pg.Code != "42501": // insufficient_privilege (also the append-only trigger's)
			t.Errorf("%s: SQLSTATE %s %s, want 42501 insufficient_privilege", name, pg.Code, pg.Message)
		default:
			t.Logf("%s: refused: %s", name, pg.Message)
		}
	}
	for _, c := range []struct{ name, q string }{
		{"update the audit log", `UPDATE audit_log SET reason = 'edited' WHERE record_key = '` + key + `'`},
		{"delete from the audit log", `DELETE FROM audit_log WHERE record_key = '` + key + `'`},
		{"truncate the audit log", `TRUNCATE audit_log`},
		{"disable its trigger", `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`},
		{"disable all its triggers", `ALTER TABLE audit_log DISABLE TRIGGER ALL`},
		{"drop its trigger", `DROP TRIGGER audit_log_no_change ON audit_log`},
		{"replace its trigger function", `CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$`},
		{"take it over", `ALTER TABLE audit_log OWNER TO ` + pgx.Identifier{me}.Sanitize()},
		{"delete through the audit trail", `DELETE FROM audit_trail WHERE record_key = '` + key + `'`},
		{"update the voided records", `UPDATE voided_records SET case_id = 'x' WHERE record_key = '` + key + `-voided'`},
		{"delete from the voided records", `DELETE FROM voided_records WHERE record_key = '` + key + `-voided'`},
		{"truncate the voided records", `TRUNCATE voided_records`},
		{"create a function", `CREATE FUNCTION public.casework_itest_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`},
		{"create a table", `CREATE TABLE public.casework_itest_shadow (id int)`},
		{"become a superuser", `ALTER ROLE ` + pgx.Identifier{me}.Sanitize() + ` SUPERUSER`},
		{"join the owner's role", `GRANT ` + pgx.Identifier{owner}.Sanitize() + ` TO ` + pgx.Identifier{me}.Sanitize()},
		{"write the migrations' ledger", `INSERT INTO schema_migrations (version, name) VALUES (999999, 'itest')`},
	} {
		refused(c.name, c.q)
	}
	// Switching off triggers for the session is a superuser's: the DELETE after it is
	// still refused, in the same transaction.
	refused("replica mode, then delete", `SET LOCAL session_replication_role = replica`, `DELETE FROM audit_log WHERE record_key = '`+key+`'`)
	refused("replica mode", `SET session_replication_role = replica`)
	// A GRANT of a table privilege by one that only holds SELECT at most warns: what it
	// may then do is still nothing.
	refused("grant itself UPDATE, then update", `GRANT UPDATE, DELETE, TRUNCATE ON audit_log TO PUBLIC`,
		`UPDATE audit_log SET reason = 'edited' WHERE record_key = '`+key+`'`)
	for _, p := range []string{"UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES"} {
		for _, tbl := range []string{"audit_log", "voided_records"} {
			var may bool
			if err := conn.QueryRow(ctx, `SELECT has_table_privilege(current_user, $1, $2)`, tbl, p).Scan(&may); err != nil {
				t.Fatal(err)
			}
			if may {
				t.Errorf("%s has %s on %s", me, p, tbl)
			}
		}
	}

	// The rows are all there, unchanged, and the protection is still on.
	var after string
	if err := conn.QueryRow(ctx, `SELECT row_to_json(a)::text FROM audit_log a WHERE record_key = $1`, key).Scan(&after); err != nil {
		t.Fatalf("the audit row is gone: %v", err)
	}
	if after != before {
		t.Errorf("the audit row changed:\n%s\n%s", before, after)
	}
	var voided, enabled int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM voided_records WHERE record_key = $1 AND case_id = $2`, key+"-voided", caseID).Scan(&voided); err != nil || voided != 1 {
		t.Errorf("voided record: %d rows, %v", voided, err)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND tgenabled = 'O'
		AND tgname IN ('audit_log_no_change', 'audit_log_no_truncate')`).Scan(&enabled); err != nil || enabled != 2 {
		t.Errorf("audit_log's triggers: %d enabled, %v", enabled, err)
	}
	var mode string
	if err := conn.QueryRow(ctx, `SHOW session_replication_role`).Scan(&mode); err != nil || mode != "origin" {
		t.Errorf("session_replication_role %q, %v", mode, err)
	}
}

// The migrations are the owner's: run as the runtime role, or for a runtime role that does
// not exist, they refuse before changing anything.
func TestMigrationsRefuseTheRuntimeRoleOrAMissingOne(t *testing.T) {
	need(t)
	ctx := context.Background()
	if _, err := store.MigrateAs(ctx, stack.db, os.Getenv("CASEWORK_RUNTIME_ROLE")); err == nil || !strings.Contains(err.Error(), "MIGRATION_DATABASE_URL") {
		t.Errorf("migrate as the runtime role: %v, want refused, naming MIGRATION_DATABASE_URL", err)
	}
	if _, err := store.MigrateAs(ctx, stack.owner, "casework_no_such_role"); err == nil ||
		!strings.Contains(err.Error(), `"casework_no_such_role" does not exist`) || !strings.Contains(err.Error(), "CREATE ROLE") {
		t.Errorf("migrate for a missing runtime role: %v, want refused, naming it and how to create it", err)
	}
}
