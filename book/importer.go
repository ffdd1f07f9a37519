package book

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Stats counts what an import did.
type Stats struct {
	Read      int        `json:"read"`
	Imported  int        `json:"imported"`  // new accounts
	Updated   int        `json:"updated"`   // accounts that changed
	Unchanged int        `json:"unchanged"` // accounts already as the book says
	Rejected  []RowError `json:"rejected"`
}

// batchSize is how many rows go to PostgreSQL in one round trip.
const batchSize = 500

// Import reads a book and upserts its good rows: an account row each, with its phone and
// address recorded once (a changed phone or address is added and becomes the account's
// current one). Progress, if not nil, is called after each batch with the rows read.
func Import(ctx context.Context, db *pgxpool.Pool, r io.Reader, progress func(read int)) (Stats, error) {
	var st Stats
	var rows []Row
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		if err := upsert(ctx, db, rows, &st); err != nil {
			return err
		}
		rows = rows[:0]
		if progress != nil {
			progress(st.Read)
		}
		return nil
	}
	err := Parse(r, func(row Row) error {
		st.Read++
		rows = append(rows, row)
		if len(rows) == batchSize {
			return flush()
		}
		return nil
	}, func(e RowError) {
		st.Read++
		st.Rejected = append(st.Rejected, e)
	})
	if err != nil {
		return st, err
	}
	return st, flush()
}

const upsertAccount = `
INSERT INTO accounts (account_id, name, region, timezone, currency, amount_due, days_past_due, status)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (account_id) DO UPDATE SET name = EXCLUDED.name, region = EXCLUDED.region, timezone = EXCLUDED.timezone,
	currency = EXCLUDED.currency, amount_due = EXCLUDED.amount_due, days_past_due = EXCLUDED.days_past_due,
	status = EXCLUDED.status, updated_at = now()
WHERE (accounts.name, accounts.region, accounts.timezone, accounts.currency, accounts.amount_due, accounts.days_past_due, accounts.status)
	IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.region, EXCLUDED.timezone, EXCLUDED.currency, EXCLUDED.amount_due, EXCLUDED.days_past_due, EXCLUDED.status)
RETURNING (xmax = 0)`

const upsertContacts = `
WITH ph AS (
	INSERT INTO phones (account_id, number, source) VALUES ($1, $2, 'import')
	ON CONFLICT (account_id, number) DO UPDATE SET source = phones.source RETURNING phone_id
), ad AS (
	INSERT INTO addresses (account_id, address, source) VALUES ($1, $3, 'import')
	ON CONFLICT (account_id, address) DO UPDATE SET source = addresses.source RETURNING address_id
)
UPDATE accounts SET phone_id = (SELECT phone_id FROM ph), address_id = (SELECT address_id FROM ad), updated_at = now()
WHERE account_id = $1 AND (phone_id, address_id) IS DISTINCT FROM ((SELECT phone_id FROM ph), (SELECT address_id FROM ad))
RETURNING account_id`

func upsert(ctx context.Context, db *pgxpool.Pool, rows []Row, st *Stats) error {
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, r := range rows {
			b.Queue(upsertAccount, r.AccountID, r.Name, r.Region, r.Timezone, r.Currency, r.AmountDue, r.DaysPastDue, r.Status)
			b.Queue(upsertContacts, r.AccountID, r.Phone, r.Address)
		}
		res := tx.SendBatch(ctx, b)
		for _, r := range rows {
			var inserted bool
			err := res.QueryRow().Scan(&inserted)
			changed := err == nil
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				_ = res.Close() // the Scan's error is the one to report; the transaction rolls back
				return fmt.Errorf("line %d (%s): %w", r.Line, r.AccountID, err)
			}
			var id string
			err = res.QueryRow().Scan(&id)
			contactsChanged := err == nil
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				_ = res.Close() // as above: the Scan's error is the one to report
				return fmt.Errorf("line %d (%s) contacts: %w", r.Line, r.AccountID, err)
			}
			switch {
			case changed && inserted:
				st.Imported++
			case changed || contactsChanged:
				st.Updated++
			default:
				st.Unchanged++
			}
		}
		return res.Close()
	})
	if err != nil {
		return fmt.Errorf("import rows %d-%d: %w", rows[0].Line, rows[len(rows)-1].Line, err)
	}
	return nil
}
