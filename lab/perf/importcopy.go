package perf

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casework/casework/book"
	"github.com/casework/casework/store"
)

// ImportResult compares the book import with PostgreSQL's COPY of the same rows: into a
// table of text columns (the file as it is: the least PostgreSQL can do with it), and into
// Casework's own tables (accounts, phones, addresses, empty, with their keys, indexes and
// foreign keys: the least it can do to store them).
type ImportResult struct {
	Rows          int     `json:"rows"`
	ImportSeconds float64 `json:"importSeconds"`
	CopySeconds   float64 `json:"copySeconds"`
	Ratio         float64 `json:"importToCopy"`
	// TablesCopySeconds is the COPY of the parsed rows into the three tables.
	TablesCopySeconds float64 `json:"tablesCopySeconds"`
	TablesRatio       float64 `json:"importToTablesCopy"`
}

// scratch is the schema the comparison works in, dropped after.
const scratch = "casework_bench_import"

// ImportAgainstCopy imports the book file into empty tables of a scratch schema (parsing,
// validating, normalising addresses and phones, upserting), then COPYs the same file into
// a table of text columns, the least PostgreSQL can do with the rows.
func ImportAgainstCopy(ctx context.Context, db *pgxpool.Pool, file string) (ImportResult, error) {
	var r ImportResult
	pool, drop, err := scratchSchema(ctx, db)
	if err != nil {
		return r, err
	}
	defer drop()
	f, err := os.Open(file)
	if err != nil {
		return r, fmt.Errorf("bench import: %w", err)
	}
	defer func() { _ = f.Close() }() // read only
	t0 := time.Now()
	st, err := book.Import(ctx, pool, f, nil)
	if err != nil {
		return r, err
	}
	r.ImportSeconds = time.Since(t0).Seconds()
	r.Rows = st.Imported
	if st.Imported != st.Read {
		return r, fmt.Errorf("bench import: %d of %d rows imported into empty tables", st.Imported, st.Read)
	}

	if _, err := f.Seek(0, 0); err != nil {
		return r, fmt.Errorf("bench import: %w", err)
	}
	header, err := csv.NewReader(f).Read()
	if err != nil {
		return r, fmt.Errorf("bench import: header: %w", err)
	}
	cols := make([]string, len(header))
	for i, h := range header {
		cols[i] = pgx.Identifier{h}.Sanitize() + " text"
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE copied (`+strings.Join(cols, ", ")+`)`); err != nil {
		return r, fmt.Errorf("bench import: %w", err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		return r, fmt.Errorf("bench import: %w", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return r, fmt.Errorf("bench import: %w", err)
	}
	defer conn.Release()
	t0 = time.Now()
	tag, err := conn.Conn().PgConn().CopyFrom(ctx, f, `COPY copied FROM STDIN WITH (FORMAT csv, HEADER true)`)
	if err != nil {
		return r, fmt.Errorf("bench import: copy: %w", err)
	}
	r.CopySeconds = time.Since(t0).Seconds()
	if int(tag.RowsAffected()) != r.Rows {
		return r, fmt.Errorf("bench import: COPY took %d rows, the import %d", tag.RowsAffected(), r.Rows)
	}
	r.Ratio = r.ImportSeconds / r.CopySeconds
	if r.TablesCopySeconds, err = copyIntoTables(ctx, pool, file); err != nil {
		return r, err
	}
	r.TablesRatio = r.ImportSeconds / r.TablesCopySeconds
	return r, nil
}

// copyIntoTables empties the accounts, phones and addresses of the scratch schema and COPYs
// the book's rows (parsed beforehand, not timed) into them with ids drawn here: the floor of
// storing them.
func copyIntoTables(ctx context.Context, pool *pgxpool.Pool, file string) (float64, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, fmt.Errorf("bench import: %w", err)
	}
	defer func() { _ = f.Close() }() // read only
	var accounts, phones, addresses [][]any
	err = book.Parse(f, func(r book.Row) error {
		ph, ad := fmt.Sprintf("ph-c%d", r.Line), fmt.Sprintf("adr-c%d", r.Line)
		accounts = append(accounts, []any{r.AccountID, r.Name, r.Region, r.Timezone, r.Currency, r.AmountDue, r.DaysPastDue, r.Status, ph, ad})
		phones = append(phones, []any{ph, r.AccountID, r.Phone, "import"})
		addresses = append(addresses, []any{ad, r.AccountID, r.Address, "import"})
		return nil
	}, func(book.RowError) {})
	if err != nil {
		return 0, fmt.Errorf("bench import: %w", err)
	}
	if _, err := pool.Exec(ctx, `TRUNCATE accounts, phones, addresses CASCADE`); err != nil {
		return 0, fmt.Errorf("bench import: %w", err)
	}
	t0 := time.Now()
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, c := range []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"accounts", []string{"account_id", "name", "region", "timezone", "currency", "amount_due", "days_past_due", "status", "phone_id", "address_id"}, accounts},
			{"phones", []string{"phone_id", "account_id", "number", "source"}, phones},
			{"addresses", []string{"address_id", "account_id", "address", "source"}, addresses},
		} {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
				return fmt.Errorf("copy into %s: %w", c.table, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("bench import: %w", err)
	}
	return time.Since(t0).Seconds(), nil
}

// scratchSchema is a pool on an empty, migrated scratch schema (made by the owner when
// MIGRATION_DATABASE_URL is set), and the function that drops it.
func scratchSchema(ctx context.Context, db *pgxpool.Pool) (*pgxpool.Pool, func(), error) {
	if u := os.Getenv("MIGRATION_DATABASE_URL"); u != "" { // the scratch schema is made and migrated by the owner
		owner, err := store.Open(ctx, u)
		if err != nil {
			return nil, nil, fmt.Errorf("bench import: %w", err)
		}
		db = owner
	}
	cfg := db.Config().Copy()
	cfg.ConnConfig.RuntimeParams["search_path"] = scratch
	cfg.MaxConns = 4
	if _, err := db.Exec(ctx, `DROP SCHEMA IF EXISTS `+scratch+` CASCADE; CREATE SCHEMA `+scratch); err != nil {
		return nil, nil, fmt.Errorf("bench import: %w", err)
	}
	drop := func() {
		_, _ = db.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+scratch+` CASCADE`) // a scratch schema: the next run drops it anyway
		if os.Getenv("MIGRATION_DATABASE_URL") != "" {
			db.Close()
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		drop()
		return nil, nil, fmt.Errorf("bench import: %w", err)
	}
	if _, err := store.Migrate(ctx, pool); err != nil {
		pool.Close()
		drop()
		return nil, nil, err
	}
	return pool, func() { pool.Close(); drop() }, nil
}
