package book

import (
	"context"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Stats counts what an import did.
type Stats struct {
	Read      int `json:"read"`
	Imported  int `json:"imported"`  // new accounts
	Updated   int `json:"updated"`   // accounts that changed
	Unchanged int `json:"unchanged"` // accounts already as the book says
	// Rejected lists the rejected rows: the first MaxRejectedListed by line.
	Rejected []RowError `json:"rejected"`
	// RejectedTotal counts every rejected row, listed or not.
	RejectedTotal int `json:"rejectedTotal"`
}

// bookColumns are the staging table's columns, in the order a row's values are copied.
var bookColumns = []string{"line", "account_id", "name", "phone", "address", "region", "timezone", "currency", "amount_due", "days_past_due", "status"}

// progressEvery is how many rows pass between two calls of an import's progress.
const progressEvery = 5000

// Import reads a book and upserts its good rows in one transaction: the rows stream
// through COPY into a staging table as they are parsed (the memory an import takes does
// not grow with the book), then set-based statements reject a repeated account id (by
// line, the first one kept), upsert the accounts, record each phone and address once (a
// changed one is added and becomes the account's current one) and count what changed.
// Importing the same book again changes nothing. Progress, if not nil, is called as rows
// are read.
func Import(ctx context.Context, db *pgxpool.Pool, r io.Reader, progress func(read int)) (Stats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	src := &rowSource{rows: make(chan []any, 1024), ctx: ctx}
	var st Stats
	var rejected rejections
	parsed := make(chan error, 1)
	go func() { // the parser feeds COPY; it stops when the import does
		defer close(src.rows)
		parsed <- parseBook(r, false, func(row Row) error {
			st.Read++
			if progress != nil && st.Read%progressEvery == 0 {
				progress(st.Read)
			}
			select {
			case src.rows <- []any{row.Line, row.AccountID, row.Name, row.Phone, row.Address, row.Region, row.Timezone,
				row.Currency, row.AmountDue, row.DaysPastDue, row.Status}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}, func(e RowError) {
			st.Read++
			rejected.add(e)
		})
	}()
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE book_in (line integer, account_id text, name text, phone text, address text,
			region text, timezone text, currency text, amount_due bigint, days_past_due integer, status text) ON COMMIT DROP`); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"book_in"}, bookColumns, src); err != nil {
			return fmt.Errorf("copy: %w", err)
		}
		if err := <-parsed; err != nil { // a bad header, an unreadable file
			return err
		}
		if _, err := tx.Exec(ctx, `ANALYZE book_in`); err != nil {
			return err
		}
		if err := rejected.refuse(ctx, tx, `WITH firsts AS (
				SELECT account_id, min(line) AS first FROM book_in GROUP BY account_id HAVING count(*) > 1
			), again AS (
				DELETE FROM book_in b USING firsts f WHERE b.account_id = f.account_id AND b.line > f.first
				RETURNING b.line, b.account_id, f.first
			)
			SELECT line, 'account_id', account_id || ' appears again (first on line ' || first || ')' FROM again ORDER BY line`); err != nil {
			return err
		}
		return upsertBook(ctx, tx, &st)
	})
	cancel()
	for range src.rows { // the parser may be blocked on a send when the import failed
	}
	if err != nil {
		return st, fmt.Errorf("import: %w", err)
	}
	rejected.into(&st)
	if progress != nil {
		progress(st.Read)
	}
	return st, nil
}

// upsertBook writes the staged rows, each table once: the ids of the rows' phones and
// addresses are looked up or drawn first, so that a new account is written with its
// current phone and address, a changed one updated once, and only new phones and addresses
// inserted. It counts the accounts new, changed and as they were.
func upsertBook(ctx context.Context, tx pgx.Tx, st *Stats) error {
	var staged, phones, addresses, newPhones, newAddresses int
	exec := func(q string, into *int) error {
		tag, err := tx.Exec(ctx, q)
		if err == nil && into != nil {
			*into = int(tag.RowsAffected())
		}
		return err
	}
	accounts := []struct {
		q    string
		into *int
	}{
		// one import at a time: the accounts it finds absent are still absent when it inserts them
		{q: `SELECT pg_advisory_xact_lock(hashtext('casework book import'))`},
		{q: `CREATE TEMP TABLE book_ids ON COMMIT DROP AS
			SELECT b.*, a.account_id IS NOT NULL AS known, p.phone_id IS NULL AS new_phone, ad.address_id IS NULL AS new_address,
				COALESCE(p.phone_id, 'ph-' || nextval('phone_seq')) AS phone_id,
				COALESCE(ad.address_id, 'adr-' || nextval('address_seq')) AS address_id
			FROM book_in b LEFT JOIN accounts a USING (account_id)
			LEFT JOIN phones p ON p.account_id = b.account_id AND p.number = b.phone
			LEFT JOIN addresses ad ON ad.account_id = b.account_id AND ad.address = b.address`, into: &staged},
		{q: `INSERT INTO accounts (account_id, name, region, timezone, currency, amount_due, days_past_due, status, phone_id, address_id)
			SELECT account_id, name, region, timezone, currency, amount_due, days_past_due, status, phone_id, address_id
			FROM book_ids WHERE NOT known`, into: &st.Imported},
		{q: `UPDATE accounts a SET name = b.name, region = b.region, timezone = b.timezone, currency = b.currency,
				amount_due = b.amount_due, days_past_due = b.days_past_due, status = b.status,
				phone_id = b.phone_id, address_id = b.address_id, updated_at = now()
			FROM book_ids b WHERE b.known AND a.account_id = b.account_id
			AND (a.name, a.region, a.timezone, a.currency, a.amount_due, a.days_past_due, a.status, a.phone_id, a.address_id)
				IS DISTINCT FROM (b.name, b.region, b.timezone, b.currency, b.amount_due, b.days_past_due, b.status, b.phone_id, b.address_id)`,
			into: &st.Updated},
	}
	for _, step := range accounts {
		if err := exec(step.q, step.into); err != nil {
			return err
		}
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE new_phone), count(*) FILTER (WHERE new_address) FROM book_ids`).
		Scan(&newPhones, &newAddresses); err != nil {
		return err
	}
	// an agent may record the same number or address meanwhile (the lock is the imports'
	// only): theirs is kept, and the account points at it (below)
	if err := exec(`INSERT INTO phones (phone_id, account_id, number, source) SELECT phone_id, account_id, phone, 'import' FROM book_ids WHERE new_phone
			ON CONFLICT (account_id, number) DO NOTHING`, &phones); err != nil {
		return err
	}
	if err := exec(`INSERT INTO addresses (address_id, account_id, address, source) SELECT address_id, account_id, address, 'import' FROM book_ids WHERE new_address
			ON CONFLICT (account_id, address) DO NOTHING`, &addresses); err != nil {
		return err
	}
	if phones < newPhones || addresses < newAddresses { // an agent's row won: point at it
		if _, err := tx.Exec(ctx, `UPDATE accounts a SET phone_id = p.phone_id, address_id = ad.address_id
			FROM book_ids b JOIN phones p ON p.account_id = b.account_id AND p.number = b.phone
			JOIN addresses ad ON ad.account_id = b.account_id AND ad.address = b.address
			WHERE (b.new_phone OR b.new_address) AND a.account_id = b.account_id
			AND (a.phone_id, a.address_id) IS DISTINCT FROM (p.phone_id, ad.address_id)`); err != nil {
			return err
		}
	}
	st.Unchanged = staged - st.Imported - st.Updated // staged, neither new nor changed
	return nil
}

// rowSource hands the parser's rows to COPY as they come.
type rowSource struct {
	ctx  context.Context
	rows chan []any
	cur  []any
	err  error
}

// Next waits for the parser's next row; false at the end of the book or when the import stops.
func (s *rowSource) Next() bool {
	select {
	case row, ok := <-s.rows:
		s.cur = row
		return ok
	case <-s.ctx.Done():
		s.err = s.ctx.Err()
		return false
	}
}

// Values is the row Next received.
func (s *rowSource) Values() ([]any, error) { return s.cur, nil }

// Err says why the rows stopped early.
func (s *rowSource) Err() error { return s.err }
