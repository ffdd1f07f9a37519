package backoffice

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"sync"

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

// Filter narrows a screening: of Region only (if set); at most Capacity (or Limit)
// accounts, the first by expected recovery (0: all).
type Filter struct {
	Limit    int
	Capacity int
	Region   string
}

// Selected lists the accounts the screening policy selects that have no case yet: open,
// at least minDaysPastDue overdue, owing at least minAmount; most overdue first.
func Selected(ctx context.Context, db *pgxpool.Pool, p contract.Policy, f Filter) ([]string, error) {
	plain, err := candidates(ctx, db, p, f)
	if err != nil {
		return nil, err
	}
	n := capacity(Filter{Limit: f.Limit}, len(plain))
	ids := make([]string, n)
	for i, a := range plain[:n] {
		ids[i] = a.AccountID
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

// DefaultPace is a screening's pace unless told otherwise: eight starts under way, twenty
// a second at most.
func DefaultPace() Pace { return Pace{Concurrency: 8, PerSecond: 20} }

// Limiter lets starts through one at a time, at most PerSecond a second (no limit when
// PerSecond is 0, negative or not a number).
func (p Pace) Limiter() *rate.Limiter {
	if !(p.PerSecond > 0) {
		return rate.NewLimiter(rate.Inf, 1)
	}
	return rate.NewLimiter(rate.Limit(p.PerSecond), 1)
}

// Screen starts the cases of the selected accounts, the first by expected recovery (Rank),
// at the pace given. An account whose
// case is already open is counted, not started again, so an interrupted screening can
// simply run again.
func Screen(ctx context.Context, db *pgxpool.Pool, tc client.Client, p contract.Policy, f Filter, pace Pace, overrides json.RawMessage, progress func(ScreenResult)) (ScreenResult, error) {
	r, err := Rank(ctx, db, p, f)
	if err != nil {
		return ScreenResult{}, err
	}
	ids := make([]string, len(r.Ranked))
	for i, a := range r.Ranked {
		ids[i] = a.AccountID
	}
	arms, err := Strategies(ctx, db)
	if err != nil {
		return ScreenResult{}, err
	}
	res := ScreenResult{Selected: len(ids)}
	var mu sync.Mutex
	var firstErr error
	work := make(chan string)
	var wg sync.WaitGroup
	limiter := pace.Limiter()
	cases := &direct.Client{TC: tc, DB: db}
	for range max(1, pace.Concurrency) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				if err := limiter.Wait(ctx); err != nil {
					return
				}
				in := contract.CaseInput{AccountID: id, Policy: overrides}
				if arm, ok := ArmOf(arms, id); ok {
					in.Strategy = &contract.StrategyRef{Name: arm.Name, Path: arm.Path, Model: r.Model}
					if len(overrides) == 0 && string(arm.Policy) != "{}" {
						in.Policy = arm.Policy // the arm's overrides, unless the screening gives its own
					}
				}
				_, err := cases.StartWith(ctx, in)
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

// Bucket is the accounts a screening would start of one region and days-past-due bucket.
type Bucket struct {
	Region    string  `json:"region"`
	Bucket    string  `json:"daysPastDue"`
	Accounts  int     `json:"accounts"`
	AmountDue int64   `json:"amountDue"`
	Expected  float64 `json:"expectedRecovery"` // with the champion's scores (0 without a model)
}

// ScreenPreview is what a screening would start, and what it is expected to recover against
// the plain order (most overdue and largest first) starting as many.
type ScreenPreview struct {
	Model         int      `json:"model"` // the champion's version; 0: none, plain order
	Selected      int      `json:"selected"`
	Started       int      `json:"started"`
	Buckets       []Bucket `json:"buckets"`
	Expected      float64  `json:"expectedRecovery"`
	PlainExpected float64  `json:"plainExpectedRecovery"`
}

// Preview ranks what a screening would start, by region and days-past-due bucket (1-30,
// 31-60, 61-90, 90+), with the amounts due and the expected recovery; it starts nothing.
func Preview(ctx context.Context, db *pgxpool.Pool, p contract.Policy, f Filter) (*ScreenPreview, error) {
	r, err := Rank(ctx, db, p, f)
	if err != nil {
		return nil, err
	}
	pv := &ScreenPreview{Model: r.Model, Selected: len(r.Plain), Started: len(r.Ranked)}
	pv.Expected, pv.PlainExpected = Expected(r.Ranked, len(r.Ranked)), Expected(r.Plain, len(r.Ranked))
	index := map[[2]string]int{}
	for _, a := range r.Ranked {
		k := [2]string{a.Region, dpdBucket(a.DaysPastDue)}
		i, ok := index[k]
		if !ok {
			i = len(pv.Buckets)
			index[k] = i
			pv.Buckets = append(pv.Buckets, Bucket{Region: k[0], Bucket: k[1]})
		}
		b := &pv.Buckets[i]
		b.Accounts++
		b.AmountDue += a.AmountDue
		b.Expected += a.Expected
	}
	sort.Slice(pv.Buckets, func(i, j int) bool {
		if pv.Buckets[i].Region != pv.Buckets[j].Region {
			return pv.Buckets[i].Region < pv.Buckets[j].Region
		}
		return bucketOrder[pv.Buckets[i].Bucket] < bucketOrder[pv.Buckets[j].Bucket]
	})
	return pv, nil
}

var bucketOrder = map[string]int{"1-30": 0, "31-60": 1, "61-90": 2, "90+": 3}

func dpdBucket(days int) string {
	switch {
	case days <= 30:
		return "1-30"
	case days <= 60:
		return "31-60"
	case days <= 90:
		return "61-90"
	}
	return "90+"
}
