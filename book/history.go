package book

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The accounts' monthly history (DESIGN.md "Strategy"): one row per account and month,
// money in minor units. The score learns from it.

// HistoryColumns are a history file's columns; credit_limit is optional (an extension of
// DESIGN.md: a bill's share of the limit is a strong sign).
var HistoryColumns = []string{"account_id", "month", "days_past_due", "bill_amount", "paid_amount"}

// HistoryRow is one month of one account.
type HistoryRow struct {
	Line        int
	AccountID   string
	Month       time.Time // first of the month
	DaysPastDue int
	Bill, Paid  int64
	CreditLimit *int64
}

// parseHistory reads a history file, calling good for each valid row and bad for each
// invalid one (by line, field and reason). A file whose header lacks a column is an error.
func parseHistory(r io.Reader, good func(HistoryRow), bad func(RowError)) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("history: read the header: %w", err)
	}
	idx := map[string]int{}
	for i, h := range header {
		idx[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, c := range HistoryColumns {
		if _, ok := idx[c]; !ok {
			return fmt.Errorf("history: the header has no %s column (want %s[,credit_limit])", c, strings.Join(HistoryColumns, ","))
		}
	}
	limitCol, hasLimit := idx["credit_limit"]
	return eachRecord(cr, "history", bad, func(line int, rec []string) error {
		row, e := historyRow(line, rec, idx, limitCol, hasLimit)
		if e != nil {
			bad(*e)
			return nil
		}
		good(row)
		return nil
	})
}

func historyRow(line int, rec []string, idx map[string]int, limitCol int, hasLimit bool) (HistoryRow, *RowError) {
	field := func(name string) string {
		if i := idx[name]; i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	fail := func(f, format string, args ...any) (HistoryRow, *RowError) {
		return HistoryRow{}, &RowError{Line: line, Field: f, Reason: fmt.Sprintf(format, args...)}
	}
	row := HistoryRow{Line: line, AccountID: field("account_id")}
	if row.AccountID == "" || len(row.AccountID) > 64 {
		return fail("account_id", "is required (at most 64 characters)")
	}
	m := field("month")
	month, err := time.Parse("2006-01", m)
	if err != nil {
		if month, err = time.Parse(time.DateOnly, m); err != nil || month.Day() != 1 {
			return fail("month", "%q: want YYYY-MM (or the first day of the month)", m)
		}
	}
	if month.Year() < 1900 || month.Year() > 2200 {
		return fail("month", "%q: out of range", m)
	}
	row.Month = month
	dpd, err := strconv.Atoi(field("days_past_due"))
	if err != nil || dpd < 0 || dpd > 100_000 {
		return fail("days_past_due", "%q: want a whole number of days, 0 or more", field("days_past_due"))
	}
	row.DaysPastDue = dpd
	if row.Bill, err = strconv.ParseInt(field("bill_amount"), 10, 64); err != nil || row.Bill > 1e15 || row.Bill < -1e15 {
		return fail("bill_amount", "%q: want a whole amount in minor units", field("bill_amount"))
	}
	if row.Paid, err = strconv.ParseInt(field("paid_amount"), 10, 64); err != nil || row.Paid < 0 || row.Paid > 1e15 {
		return fail("paid_amount", "%q: want a whole amount in minor units, 0 or more", field("paid_amount"))
	}
	if hasLimit && limitCol < len(rec) && strings.TrimSpace(rec[limitCol]) != "" {
		v, err := strconv.ParseInt(strings.TrimSpace(rec[limitCol]), 10, 64)
		if err != nil || v < 0 || v > 1e15 {
			return fail("credit_limit", "%q: want a whole amount in minor units, 0 or more", rec[limitCol])
		}
		row.CreditLimit = &v
	}
	return row, nil
}

// ImportHistory reads a history file and upserts its good rows at once (COPY into a staging
// table, then one statement): rows of an account not in the book, and a month given twice,
// are rejected by line; importing the same file again changes nothing. Progress, if not
// nil, is called as rows are read.
func ImportHistory(ctx context.Context, db *pgxpool.Pool, r io.Reader, progress func(read int)) (Stats, error) {
	var st Stats
	var rejected rejections
	var rows [][]any
	err := parseHistory(r, func(h HistoryRow) {
		st.Read++
		rows = append(rows, []any{h.Line, h.AccountID, h.Month, h.DaysPastDue, h.Bill, h.Paid, h.CreditLimit})
		if progress != nil && st.Read%5000 == 0 {
			progress(st.Read)
		}
	}, func(e RowError) {
		st.Read++
		rejected.add(e)
	})
	if err != nil {
		return st, err
	}
	err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE history_in (line integer, account_id text, month date, days_past_due integer,
			bill_amount bigint, paid_amount bigint, credit_limit bigint) ON COMMIT DROP`); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"history_in"},
			[]string{"line", "account_id", "month", "days_past_due", "bill_amount", "paid_amount", "credit_limit"}, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		err := rejected.refuse(ctx, tx, `SELECT line, 'account_id', 'no account ' || account_id || ' in the book' FROM history_in h
			WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.account_id = h.account_id)
			UNION ALL
			SELECT line, 'month', 'given twice for ' || account_id || ' (first on line ' || first || ')' FROM (
				SELECT line, account_id, min(line) OVER (PARTITION BY account_id, month) AS first FROM history_in) d
			WHERE line <> first AND EXISTS (SELECT 1 FROM accounts a WHERE a.account_id = d.account_id)
			ORDER BY 1`)
		if err != nil {
			return err
		}
		var inserted, updated int
		err = tx.QueryRow(ctx, `WITH up AS (
			INSERT INTO account_history (account_id, month, days_past_due, bill_amount, paid_amount, credit_limit)
			SELECT DISTINCT ON (account_id, month) account_id, month, days_past_due, bill_amount, paid_amount, credit_limit
			FROM history_in h WHERE EXISTS (SELECT 1 FROM accounts a WHERE a.account_id = h.account_id)
			ORDER BY account_id, month, line
			ON CONFLICT (account_id, month) DO UPDATE SET days_past_due = EXCLUDED.days_past_due, bill_amount = EXCLUDED.bill_amount,
				paid_amount = EXCLUDED.paid_amount, credit_limit = EXCLUDED.credit_limit, imported_at = now()
			WHERE (account_history.days_past_due, account_history.bill_amount, account_history.paid_amount, account_history.credit_limit)
				IS DISTINCT FROM (EXCLUDED.days_past_due, EXCLUDED.bill_amount, EXCLUDED.paid_amount, EXCLUDED.credit_limit)
			RETURNING (xmax = 0) AS inserted)
			SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up`).Scan(&inserted, &updated)
		st.Imported, st.Updated = inserted, updated
		return err
	})
	if err != nil {
		return st, fmt.Errorf("history: %w", err)
	}
	rejected.into(&st)
	st.Unchanged = st.Read - st.RejectedTotal - st.Imported - st.Updated
	if progress != nil {
		progress(st.Read)
	}
	return st, nil
}

// ImportOutcomes reads an outcomes file (account_id, paid: true or false) and records
// each account's outcome, the label the score learns from; bad rows by line.
func ImportOutcomes(ctx context.Context, db *pgxpool.Pool, r io.Reader, source string) (Stats, error) {
	return importPairs(ctx, db, r, "paid", func(v string) (any, error) { return strconv.ParseBool(v) },
		`INSERT INTO account_outcomes (account_id, paid, source) SELECT i.account_id, i.value::boolean, $1 FROM pairs_in i
			JOIN accounts a USING (account_id)
		ON CONFLICT (account_id) DO UPDATE SET paid = EXCLUDED.paid, source = EXCLUDED.source, recorded_at = now()
			WHERE account_outcomes.paid IS DISTINCT FROM EXCLUDED.paid
		RETURNING (xmax = 0)`, source)
}

// ImportAttributes reads the accounts' sex (account_id, sex: male, female, other or
// unknown), kept apart and read only by the fairness report: never a feature.
func ImportAttributes(ctx context.Context, db *pgxpool.Pool, r io.Reader) (Stats, error) {
	return importPairs(ctx, db, r, "sex", func(v string) (any, error) {
		switch v {
		case "male", "female", "other", "unknown", "":
			if v == "" {
				v = "unknown"
			}
			return v, nil
		}
		return nil, errors.New("want male, female, other or unknown")
	}, `INSERT INTO fairness_attributes (account_id, sex) SELECT i.account_id, i.value FROM pairs_in i
			JOIN accounts a USING (account_id)
		ON CONFLICT (account_id) DO UPDATE SET sex = EXCLUDED.sex WHERE fairness_attributes.sex IS DISTINCT FROM EXCLUDED.sex
		RETURNING (xmax = 0)`)
}

// importPairs imports a two-column file (account_id, column) through a staging table.
func importPairs(ctx context.Context, db *pgxpool.Pool, r io.Reader, column string, parse func(string) (any, error), upsert string, args ...any) (Stats, error) {
	var st Stats
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return st, fmt.Errorf("%s: read the header: %w", column, err)
	}
	idx := map[string]int{}
	for i, h := range header {
		idx[strings.TrimSpace(h)] = i
	}
	ai, ok1 := idx["account_id"]
	vi, ok2 := idx[column]
	if !ok1 || !ok2 {
		return st, fmt.Errorf("%s: the header must have account_id and %s", column, column)
	}
	var rows [][]any
	var rejected rejections
	reject := func(e RowError) {
		st.Read++
		rejected.add(e)
	}
	err = eachRecord(cr, column, reject, func(line int, rec []string) error {
		if ai >= len(rec) || vi >= len(rec) {
			reject(RowError{Line: line, Field: "row", Reason: fmt.Sprintf("not a row of account_id,%s", column)})
			return nil
		}
		id, raw := strings.TrimSpace(rec[ai]), strings.TrimSpace(rec[vi])
		v, perr := parse(raw)
		switch {
		case id == "" || len(id) > 64:
			reject(RowError{Line: line, Field: "account_id", Reason: "is required (at most 64 characters)"})
		case perr != nil:
			reject(RowError{Line: line, Field: column, Reason: fmt.Sprintf("%q: %v", raw, perr)})
		default:
			st.Read++
			rows = append(rows, []any{line, id, fmt.Sprint(v)})
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE pairs_in (line integer, account_id text, value text) ON COMMIT DROP`); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"pairs_in"}, []string{"line", "account_id", "value"}, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		if err := rejected.refuse(ctx, tx, `SELECT line, 'account_id', 'no account ' || account_id || ' in the book' FROM pairs_in i
			WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.account_id = i.account_id) ORDER BY line`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM pairs_in a USING pairs_in b WHERE a.account_id = b.account_id AND a.line < b.line`); err != nil {
			return err // the last line of an account wins
		}
		res, err := tx.Query(ctx, upsert, args...)
		if err != nil {
			return err
		}
		flags, err := pgx.CollectRows(res, pgx.RowTo[bool])
		for _, inserted := range flags {
			if inserted {
				st.Imported++
			} else {
				st.Updated++
			}
		}
		return err
	})
	if err != nil {
		return st, fmt.Errorf("%s: %w", column, err)
	}
	rejected.into(&st)
	st.Unchanged = st.Read - st.RejectedTotal - st.Imported - st.Updated
	return st, nil
}
