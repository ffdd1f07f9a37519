package backoffice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	"golang.org/x/time/rate"

	"github.com/casework/casework/caseclient/direct"
	"github.com/casework/casework/contract"
)

// ScreenResult counts what a screening did.
type ScreenResult struct {
	Selected    int `json:"selected"`
	Started     int `json:"started"`
	AlreadyOpen int `json:"alreadyOpen"`
}

// Filter narrows a screening: at most Limit accounts (0: all), of Region only (if set).
type Filter struct {
	Limit  int
	Region string
}

// Selected lists the accounts the screening policy selects that have no case yet: open,
// at least minDaysPastDue overdue, owing at least minAmount; most overdue first.
func Selected(ctx context.Context, db *pgxpool.Pool, p contract.Policy, f Filter) ([]string, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 1 << 30
	}
	rows, err := db.Query(ctx, `
		SELECT a.account_id FROM accounts a
		WHERE a.status = 'open' AND a.days_past_due >= $1 AND a.amount_due >= $2
		  AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.account_id = a.account_id)
		  AND ($4 = '' OR a.region = $4)
		ORDER BY a.days_past_due DESC, a.amount_due DESC, a.account_id
		LIMIT $3`, p.MinDaysPastDue, p.MinAmount, limit, f.Region)
	if err != nil {
		return nil, fmt.Errorf("screen: select accounts: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("screen: select accounts: %w", err)
	}
	return ids, nil
}

// Pace bounds how a screening starts cases: at most Concurrency starts under way, and at
// most PerSecond started a second (0: no limit), so that a large book does not flood the
// Temporal server.
type Pace struct {
	Concurrency int
	PerSecond   float64
}

// Screen starts the cases of the selected accounts at the pace given. An account whose
// case is already open is counted, not started again, so an interrupted screening can
// simply run again.
func Screen(ctx context.Context, db *pgxpool.Pool, tc client.Client, p contract.Policy, f Filter, pace Pace, overrides json.RawMessage, progress func(ScreenResult)) (ScreenResult, error) {
	ids, err := Selected(ctx, db, p, f)
	if err != nil {
		return ScreenResult{}, err
	}
	res := ScreenResult{Selected: len(ids)}
	var mu sync.Mutex
	var firstErr error
	work := make(chan string)
	var wg sync.WaitGroup
	limit := rate.Inf
	if pace.PerSecond > 0 {
		limit = rate.Limit(pace.PerSecond)
	}
	limiter := rate.NewLimiter(limit, 1)
	cases := &direct.Client{TC: tc, DB: db}
	for range max(1, pace.Concurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				if err := limiter.Wait(ctx); err != nil {
					return
				}
				_, err := cases.Start(ctx, id, overrides)
				mu.Lock()
				switch {
				case err == nil:
					res.Started++
				case errors.Is(err, direct.ErrAlreadyOpen):
					res.AlreadyOpen++
				case firstErr == nil:
					firstErr = err
				}
				if progress != nil {
					progress(res)
				}
				mu.Unlock()
			}
		}()
	}
	for _, id := range ids {
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed || ctx.Err() != nil {
			break
		}
		work <- id
	}
	close(work)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return res, firstErr
}

// Bucket is the selected accounts of one region and days-past-due bucket.
type Bucket struct {
	Region    string `json:"region"`
	Bucket    string `json:"daysPastDue"`
	Accounts  int    `json:"accounts"`
	AmountDue int64  `json:"amountDue"`
}

// Preview counts what a screening would start, by region and days-past-due bucket (1-30,
// 31-60, 61-90, 90+), with the amounts due; it starts nothing.
func Preview(ctx context.Context, db *pgxpool.Pool, p contract.Policy, f Filter) ([]Bucket, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 1 << 30
	}
	rows, err := db.Query(ctx, `
		WITH selected AS (
			SELECT a.region, a.days_past_due, a.amount_due FROM accounts a
			WHERE a.status = 'open' AND a.days_past_due >= $1 AND a.amount_due >= $2
			  AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.account_id = a.account_id)
			  AND ($4 = '' OR a.region = $4)
			ORDER BY a.days_past_due DESC, a.amount_due DESC, a.account_id
			LIMIT $3)
		SELECT region, CASE WHEN days_past_due <= 30 THEN '1-30' WHEN days_past_due <= 60 THEN '31-60'
			WHEN days_past_due <= 90 THEN '61-90' ELSE '90+' END AS bucket, count(*), sum(amount_due)
		FROM selected GROUP BY 1, 2 ORDER BY 1, min(days_past_due)`, p.MinDaysPastDue, p.MinAmount, limit, f.Region)
	if err != nil {
		return nil, fmt.Errorf("screen preview: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Bucket, error) {
		var b Bucket
		return b, r.Scan(&b.Region, &b.Bucket, &b.Accounts, &b.AmountDue)
	})
	if err != nil {
		return nil, fmt.Errorf("screen preview: %w", err)
	}
	return out, nil
}
