package perf

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/casework/casework/backoffice"
	"github.com/casework/casework/book"
	"github.com/casework/casework/caseclient/direct"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/lab/demo"
)

// ParkedConfig says what the scale run parks.
type ParkedConfig struct {
	Cases        int // cases parked at the phone agents' wait
	TunedCache   int // the second worker's sticky cache size
	Wake         int // parked cases woken by an update, one at a time
	StartsAtOnce int // screening concurrency
	UCIFile      string
	Dir          string
	Worker       []string // the case worker's program and arguments
	Out          io.Writer
}

// WorkerAtRest is a worker's footprint with the cases parked.
type WorkerAtRest struct {
	StickyCache  int     `json:"stickyCacheSize"`
	Cached       int     `json:"casesCached"`
	RSSMiB       float64 `json:"rssMiB"`
	Goroutines   int     `json:"goroutines"`
	KiBPerCached float64 `json:"kibPerCachedCase"`
}

// ParkedResult is the scale run's figures.
type ParkedResult struct {
	Cases         int          `json:"casesParked"`
	StartSeconds  float64      `json:"secondsToStartAndPark"`
	StartsPerSec  float64      `json:"parkedPerSecond"`
	Idle          WorkerAtRest `json:"workerWithNothingCached"`
	Default       WorkerAtRest `json:"defaultCache"`
	Tuned         WorkerAtRest `json:"tunedCache"`
	Woken         int          `json:"woken"`
	WakeUncached  Quantiles    `json:"wakeUncached"`
	WakeCached    Quantiles    `json:"wakeCached"`
	EventsPerCase float64      `json:"eventsPerParkedCase"`
}

// Parked parks many cases at a human wait (the phone agents' address check, with 24-hour
// case days) and measures the worker at rest with the SDK's default sticky cache and with
// a tuned one, and how long a parked case not in the cache takes to answer an update (a
// supervisor's pause: the worker replays its history first) against one in the cache (the
// resume right after).
func Parked(ctx context.Context, db *pgxpool.Pool, tc client.Client, cfg ParkedConfig) (*ParkedResult, error) {
	out := cfg.Out
	res := &ParkedResult{}
	if err := demo.Prepare(ctx, db, cfg.UCIFile, cfg.Dir, out); err != nil {
		return nil, err
	}
	policy := contract.DefaultPolicy()
	accounts, err := backoffice.Selected(ctx, db, policy, backoffice.Filter{Limit: cfg.Cases})
	if err != nil {
		return nil, err
	}
	if len(accounts) < cfg.Cases {
		n, err := replicate(ctx, db, filepath.Join(cfg.Dir, "demo-book.csv"), cfg.Dir, policy, cfg.Cases-len(accounts))
		if err != nil {
			return nil, err
		}
		say(out, "the book has %d accounts the screening selects: added %d replicas of them\n", len(accounts), n)
		if accounts, err = backoffice.Selected(ctx, db, policy, backoffice.Filter{Limit: cfg.Cases}); err != nil {
			return nil, err
		}
	}
	if len(accounts) < cfg.Cases {
		return nil, fmt.Errorf("bench: only %d accounts without a case are left, %d needed: start from a fresh bench database (make bench-parked resets it)", len(accounts), cfg.Cases)
	}
	ids := make([]string, len(accounts))
	for i, a := range accounts {
		ids[i] = contract.WorkflowID(a)
	}
	logFile := filepath.Join(cfg.Dir, "bench-parked-worker.log")
	w, err := StartProc(ctx, "case worker", logFile, nil, cfg.Worker[0], cfg.Worker[1:]...)
	if err != nil {
		return nil, err
	}
	defer func() {
		if w != nil {
			w.Kill()
		}
	}()
	if res.Idle, err = atRest(ctx, w, 0); err != nil {
		return nil, err
	}
	say(out, "\nparking %d cases at the phone agents' wait (real 24-hour days), %d starts at once\n", cfg.Cases, cfg.StartsAtOnce)
	t0 := time.Now()
	last := time.Now()
	sr, err := backoffice.Screen(ctx, db, tc, policy, backoffice.Filter{Limit: cfg.Cases}, backoffice.Pace{Concurrency: cfg.StartsAtOnce}, nil,
		func(r backoffice.ScreenResult) {
			if time.Since(last) > 15*time.Second {
				last = time.Now()
				say(out, "   %4.0fs  %d started\n", time.Since(t0).Seconds(), r.Started)
			}
		})
	if err != nil {
		return nil, err
	}
	if sr.Started != cfg.Cases {
		return nil, fmt.Errorf("bench: started %d cases, not %d", sr.Started, cfg.Cases)
	}
	for {
		var parked int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM cases WHERE case_id = ANY($1) AND pending_action = $2`, ids, contract.ActionPhoneVerified).Scan(&parked); err != nil {
			return nil, fmt.Errorf("bench: count parked: %w", err)
		}
		if parked == len(ids) {
			break
		}
		if time.Since(last) > 15*time.Second {
			last = time.Now()
			say(out, "   %4.0fs  %d parked\n", time.Since(t0).Seconds(), parked)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	res.Cases = len(ids)
	res.StartSeconds = time.Since(t0).Seconds()
	res.StartsPerSec = float64(len(ids)) / res.StartSeconds
	say(out, "   %d cases parked in %.0f s (%.1f a second)\n", len(ids), res.StartSeconds, res.StartsPerSec)
	if res.Default, err = atRest(ctx, w, 10000); err != nil {
		return nil, err
	}
	res.Default.KiBPerCached = perCached(res.Default, res.Idle)
	say(out, "   worker at rest, default cache: %d cached, %.0f MiB, %d goroutines\n", res.Default.Cached, res.Default.RSSMiB, res.Default.Goroutines)
	if err := w.Stop(); err != nil {
		return nil, err
	}
	w = nil

	say(out, "\na new worker with a sticky cache of %d: waking %d parked cases, one at a time, by a supervisor's pause (not cached) and resume (cached)\n", cfg.TunedCache, cfg.Wake)
	w, err = StartProc(ctx, "case worker", logFile, []string{fmt.Sprintf("CASEWORK_STICKY_CACHE=%d", cfg.TunedCache)}, cfg.Worker[0], cfg.Worker[1:]...)
	if err != nil {
		return nil, err
	}
	var supervisor string
	if err := db.QueryRow(ctx, `SELECT agent_id FROM agents WHERE role = 'supervisor' AND active ORDER BY agent_id LIMIT 1`).Scan(&supervisor); err != nil {
		return nil, fmt.Errorf("bench: a supervisor: %w", err)
	}
	var uncached, cached []time.Duration
	step := max(1, len(ids)/max(1, cfg.Wake))
	for i := 0; i < len(ids) && res.Woken < cfg.Wake; i += step {
		for _, a := range []struct {
			action string
			into   *[]time.Duration
		}{{contract.ActionPause, &uncached}, {contract.ActionResume, &cached}} {
			t := time.Now()
			if err := update(ctx, tc, ids[i], a.action, contract.SupervisorAction{By: supervisor, Reason: "benchmark: wake a parked case"}); err != nil {
				return nil, err
			}
			*a.into = append(*a.into, time.Since(t))
		}
		res.Woken++
	}
	res.WakeUncached, res.WakeCached = quantiles(uncached), quantiles(cached)
	say(out, "   wake, not cached: p50 %.0f ms, p95 %.0f ms; cached: p50 %.0f ms, p95 %.0f ms\n",
		res.WakeUncached.P50, res.WakeUncached.P95, res.WakeCached.P50, res.WakeCached.P95)
	if res.Tuned, err = atRest(ctx, w, cfg.TunedCache); err != nil {
		return nil, err
	}
	res.Tuned.KiBPerCached = perCached(res.Tuned, res.Idle)
	say(out, "   worker at rest, cache of %d: %d cached, %.0f MiB, %d goroutines\n", cfg.TunedCache, res.Tuned.Cached, res.Tuned.RSSMiB, res.Tuned.Goroutines)
	if err := w.Stop(); err != nil {
		return nil, err
	}
	w = nil
	var events int64
	for _, id := range ids[:min(len(ids), 50)] {
		d, err := tc.DescribeWorkflow(ctx, id, "")
		if err != nil {
			return nil, fmt.Errorf("bench: describe %s: %w", id, err)
		}
		events += d.RawResponse.GetWorkflowExecutionInfo().GetHistoryLength()
	}
	res.EventsPerCase = float64(events) / float64(min(len(ids), 50))
	return res, nil
}

// atRest waits for the worker to settle (GC) and reads its footprint and cache.
func atRest(ctx context.Context, w *Proc, cacheSize int) (WorkerAtRest, error) {
	select {
	case <-ctx.Done():
		return WorkerAtRest{}, ctx.Err()
	case <-time.After(10 * time.Second):
	}
	s, err := w.Sample(ctx)
	if err != nil {
		return WorkerAtRest{}, err
	}
	cached, err := scrape(ctx, w.MetricsAddr, "temporal_sticky_cache_size")
	if err != nil {
		cached = 0 // reported once the first workflow is cached
	}
	return WorkerAtRest{StickyCache: cacheSize, Cached: int(cached), RSSMiB: mib(s.RSSBytes), Goroutines: s.Goroutines}, nil
}

func perCached(w, idle WorkerAtRest) float64 {
	if w.Cached == 0 {
		return 0
	}
	return (w.RSSMiB - idle.RSSMiB) * 1024 / float64(w.Cached)
}

// update sends one action through the case client and waits for its result.
func update(ctx context.Context, tc client.Client, id, action string, payload any) error {
	if _, err := (&direct.Client{TC: tc}).Act(ctx, id, action, "", contract.MustJSON(payload)); err != nil {
		return fmt.Errorf("bench: %s %s: %w", action, id, err)
	}
	return nil
}

// replicate adds need accounts to the book for the scale run: copies of the demo book's
// accounts that the screening selects (the real overdue book has about 5,000 of 30,000),
// with ids suffixed -r1, -r2, ... and otherwise the same (synthetic) data, imported
// through the book import like any other rows.
func replicate(ctx context.Context, db *pgxpool.Pool, bookFile, dir string, p contract.Policy, need int) (int, error) {
	in, err := os.Open(bookFile)
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	defer func() { _ = in.Close() }() // read only
	recs, err := csv.NewReader(in).ReadAll()
	if err != nil || len(recs) < 2 {
		return 0, fmt.Errorf("bench: read %s: %v", bookFile, err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range []string{"account_id", "status", "days_past_due", "amount_due"} {
		if _, ok := col[h]; !ok {
			return 0, fmt.Errorf("bench: %s has no %s column", bookFile, h)
		}
	}
	var selected [][]string
	for _, r := range recs[1:] {
		dpd, err1 := strconv.Atoi(r[col["days_past_due"]])
		amount, err2 := strconv.ParseInt(r[col["amount_due"]], 10, 64)
		if err1 == nil && err2 == nil && r[col["status"]] == "open" && dpd >= p.MinDaysPastDue && amount >= p.MinAmount {
			selected = append(selected, r)
		}
	}
	if len(selected) == 0 {
		return 0, fmt.Errorf("bench: no account of %s is selected by the screening", bookFile)
	}
	file := filepath.Join(dir, "bench-replicas.csv")
	out, err := os.Create(file)
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	w := csv.NewWriter(out)
	_ = w.Write(recs[0]) // a csv.Writer's error sticks: w.Error() below
	n := 0
	for k := 1; n < need; k++ {
		for _, r := range selected {
			if n == need {
				break
			}
			c := slices.Clone(r)
			c[col["account_id"]] = fmt.Sprintf("%s-r%d", r[col["account_id"]], k)
			_ = w.Write(c) // as above: w.Error() below
			n++
		}
	}
	w.Flush()
	if err := errors.Join(w.Error(), out.Close()); err != nil {
		return 0, fmt.Errorf("bench: write %s: %w", file, err)
	}
	f, err := os.Open(file)
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	defer func() { _ = f.Close() }() // read only
	st, err := book.Import(ctx, db, f, nil)
	if err != nil {
		return 0, err
	}
	if st.RejectedTotal > 0 {
		return 0, fmt.Errorf("bench: %d replica rows rejected, the first: %v", st.RejectedTotal, st.Rejected[0])
	}
	return st.Imported + st.Unchanged + st.Updated, nil
}
