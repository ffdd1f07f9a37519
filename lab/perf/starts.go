package perf

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casework/casework/backoffice"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/lab/demo"
	"github.com/casework/casework/workflows"
)

// startConcurrency is how many starts both sides have under way at once; the two sides
// take turns, each going first in every other turn, after a warm-up of plain starts.
const (
	startConcurrency = 8
	turns            = 4
	warmUp           = 20
)

// startRates starts n cases by the back office's screening and n workflows of the same
// type, options and input size by a plain loop of client starts, both with the same
// concurrency and no worker running, then terminates them all (their accounts stay
// without a case).
func startRates(ctx context.Context, db *pgxpool.Pool, tc client.Client, policy contract.Policy, n int) (StartRate, error) {
	r := StartRate{Starts: n, Concurrency: startConcurrency}
	accounts, err := backoffice.Selected(ctx, db, policy, backoffice.Filter{Limit: n})
	if err != nil {
		return r, err
	}
	stamp := time.Now().UTC().Format("150405")
	plain := make([]string, warmUp+n)
	for i := range plain {
		plain[i] = fmt.Sprintf("bench-plain-%s-%04d", stamp, i)
	}
	// the plain loop: the same workflow type, options and input, on the same task queue
	plainStart := func(ctx context.Context, i int, id string) error {
		_, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: id, TaskQueue: contract.TaskQueue, WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL, WorkflowExecutionErrorWhenAlreadyStarted: true,
			TypedSearchAttributes: temporal.NewSearchAttributes(workflows.CaseStageKey.ValueSet(string(contract.StageScreen))),
		}, contract.WorkflowType, contract.CaseInput{AccountID: accounts[i%len(accounts)], Policy: demo.Policy(policy.DayLength.D())})
		return err
	}
	var plainTime, officeTime time.Duration
	started, per := 0, n/turns
	if err := each(ctx, plain[:warmUp], startConcurrency, plainStart); err != nil { // not counted
		return r, fmt.Errorf("bench: warm-up starts: %w", err)
	}
	for turn := range turns {
		// the same ids every turn, as the back office starts the same accounts every turn:
		// both sides reuse the ids of workflows closed in the turn before
		part := plain[warmUp : warmUp+per]
		runPlain := func() error {
			t0 := time.Now()
			err := each(ctx, part, startConcurrency, func(ctx context.Context, i int, id string) error { return plainStart(ctx, warmUp+i, id) })
			plainTime += time.Since(t0)
			return err
		}
		runOffice := func() error {
			t0 := time.Now()
			sr, err := backoffice.Screen(ctx, db, tc, policy, backoffice.Filter{Limit: per}, backoffice.Pace{Concurrency: startConcurrency}, demo.Policy(policy.DayLength.D()), nil)
			officeTime += time.Since(t0)
			started += sr.Started
			return err
		}
		first, second := runPlain, runOffice
		if turn%2 == 1 { // each goes first in every other turn
			first, second = runOffice, runPlain
		}
		if err := first(); err != nil {
			return r, fmt.Errorf("bench: start rate: %w", err)
		}
		if err := second(); err != nil {
			return r, fmt.Errorf("bench: start rate: %w", err)
		}
		// the same accounts are screened again in the next turn: close these first
		cases := make([]string, per)
		for i := range per {
			cases[i] = contract.WorkflowID(accounts[i])
		}
		if err := each(ctx, append(slices.Clone(part), cases...), 16, func(ctx context.Context, _ int, id string) error {
			return tc.TerminateWorkflow(ctx, id, "", "benchmark start rate: never run")
		}); err != nil {
			return r, err
		}
	}
	if err := each(ctx, plain[:warmUp], 16, func(ctx context.Context, _ int, id string) error {
		return tc.TerminateWorkflow(ctx, id, "", "benchmark start rate: never run")
	}); err != nil {
		return r, err
	}
	r.PlainLoop = float64(per*turns) / plainTime.Seconds()
	r.BackOffice = float64(started) / officeTime.Seconds()
	if started != per*turns {
		return r, fmt.Errorf("bench: the screening started %d cases, not %d", started, per*turns)
	}
	r.Ratio = r.BackOffice / r.PlainLoop
	return r, nil
}

// each runs f for every id, c at a time, and joins the errors.
func each(ctx context.Context, ids []string, c int, f func(ctx context.Context, i int, id string) error) error {
	sem := make(chan struct{}, c)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for i, id := range ids {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(ctx, i, id); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", id, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
