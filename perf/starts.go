package perf

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casework/casework/backoffice"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/demo"
	"github.com/casework/casework/workflows"
)

// startConcurrency is how many starts both sides have under way at once.
const startConcurrency = 8

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
	plain := make([]string, n)
	for i := range plain {
		plain[i] = fmt.Sprintf("bench-plain-%s-%04d", stamp, i)
	}
	// the plain loop: the same workflow type, options and input, on the same task queue
	t0 := time.Now()
	err = each(ctx, plain, startConcurrency, func(ctx context.Context, i int, id string) error {
		_, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: id, TaskQueue: contract.TaskQueue, WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL, WorkflowExecutionErrorWhenAlreadyStarted: true,
			TypedSearchAttributes: temporal.NewSearchAttributes(workflows.CaseStageKey.ValueSet(string(contract.StageScreen))),
		}, contract.WorkflowType, contract.CaseInput{AccountID: accounts[i%len(accounts)], Policy: demo.Policy(policy.DayLength.D())})
		return err
	})
	r.PlainLoop = float64(n) / time.Since(t0).Seconds()
	if err != nil {
		return r, fmt.Errorf("bench: plain starts: %w", err)
	}
	t0 = time.Now()
	sr, err := backoffice.Screen(ctx, db, tc, policy, backoffice.Filter{Limit: n}, backoffice.Pace{Concurrency: startConcurrency}, demo.Policy(policy.DayLength.D()), nil)
	r.BackOffice = float64(sr.Started) / time.Since(t0).Seconds()
	if err != nil {
		return r, fmt.Errorf("bench: screening: %w", err)
	}
	if sr.Started != n {
		return r, fmt.Errorf("bench: the screening started %d cases, not %d", sr.Started, n)
	}
	r.Ratio = r.BackOffice / r.PlainLoop
	cases := make([]string, len(accounts))
	for i, a := range accounts {
		cases[i] = contract.WorkflowID(a)
	}
	return r, each(ctx, append(plain, cases...), 16, func(ctx context.Context, _ int, id string) error {
		return tc.TerminateWorkflow(ctx, id, "", "benchmark start rate: never run")
	})
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
