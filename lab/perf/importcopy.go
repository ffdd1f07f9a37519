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

// ImportResult compares the book import with PostgreSQL's COPY of the same file.
type ImportResult struct {
	Rows          int     `json:"rows"`
	ImportSeconds float64 `json:"importSeconds"`
	CopySeconds   float64 `json:"copySeconds"`
	Ratio         float64 `json:"importToCopy"`
}

// scratch is the schema the comparison works in, dropped after.
const scratch = "casework_bench_import"

// ImportAgainstCopy imports the book file into empty tables of a scratch schema (parsing,
// validating, normalising addresses and phones, upserting), then COPYs the same file into
// a table of text columns, the least PostgreSQL can do with the rows.
func ImportAgainstCopy(ctx context.Context, db *pgxpool.Pool, file string) (ImportResult, error) {
	var r ImportResult
	if u := os.Getenv("MIGRATION_DATABASE_URL"); u != "" { // the scratch schema is made and migrated by the owner
		owner, err := store.Open(ctx, u)
		if err != nil {
			return r, fmt.Errorf("bench import: %w", err)
		}
		defer owner.Close()
		db = owner
	}
	cfg := db.Config().Copy()
	cfg.ConnConfig.RuntimeParams["search_path"] = scratch
	cfg.MaxConns = 4
	if _, err := db.Exec(ctx, `DROP SCHEMA IF EXISTS `+scratch+` CASCADE; CREATE SCHEMA `+scratch); err != nil {
		return r, fmt.Errorf("bench import: %w", err)
	}
	defer func() { _, _ = db.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+scratch+` CASCADE`) }()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return r, fmt.Errorf("bench import: %w", err)
	}
	defer pool.Close()
	if _, err := store.Migrate(ctx, pool); err != nil {
		return r, err
	}
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
	return r, nil
}
