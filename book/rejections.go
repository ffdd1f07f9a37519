package book

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// MaxRejectedListed bounds the rejected rows an import lists in its Stats: the first ones
// by line. The others are counted (Stats.RejectedTotal), so a book whose every row is bad
// takes no more memory to say so than a good one.
const MaxRejectedListed = 1000

// rejections collects an import's rejected rows: each one counted, the first
// MaxRejectedListed by line kept.
type rejections struct {
	kept  []RowError
	total int
}

func (r *rejections) add(e RowError) {
	r.total++
	r.kept = append(r.kept, e)
	if len(r.kept) >= 2*MaxRejectedListed {
		r.trim()
	}
}

// trim keeps the first MaxRejectedListed by line.
func (r *rejections) trim() {
	slices.SortStableFunc(r.kept, func(a, b RowError) int { return a.Line - b.Line })
	if len(r.kept) > MaxRejectedListed {
		r.kept = slices.Clip(r.kept[:MaxRejectedListed])
	}
}

// into sets the stats' rejected rows and their count.
func (r *rejections) into(st *Stats) {
	r.trim()
	st.Rejected, st.RejectedTotal = r.kept, r.total
}

// refuse runs a query of staged rows that cannot be imported (line, field, reason) and
// adds each one, as it reads them.
func (r *rejections) refuse(ctx context.Context, tx pgx.Tx, q string) error {
	rows, err := tx.Query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e RowError
		if err := rows.Scan(&e.Line, &e.Field, &e.Reason); err != nil {
			return fmt.Errorf("read the refused rows: %w", err)
		}
		r.add(e)
	}
	return rows.Err()
}
