//go:build integration

package itest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
)

// lostResults makes the worker lose the result of the first attempt of every activity of
// the cases listed: the activity did its work (committed to PostgreSQL, sent the message),
// then "crashed" before Temporal heard of it, so Temporal retries it.
type lostResults struct {
	interceptor.WorkerInterceptorBase
	cases sync.Map // workflow id -> true
	lost  atomic.Int64
}

func (l *lostResults) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &lostResultActivity{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, l: l}
}

type lostResultActivity struct {
	interceptor.ActivityInboundInterceptorBase
	l *lostResults
}

func (a *lostResultActivity) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	res, err := a.Next.ExecuteActivity(ctx, in)
	info := activity.GetInfo(ctx)
	if _, ok := a.l.cases.Load(info.WorkflowExecution.ID); ok && err == nil && info.Attempt == 1 {
		a.l.lost.Add(1)
		return nil, errors.New("simulated crash: the work was done but its result was lost")
	}
	return res, err
}
