//go:build integration

package itest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"
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

// lostTasks makes the worker lose the workflow tasks of the cases listed: after a case has
// written its records (the Persist local activity), while losses are left for it, the task
// panics before it completes, as if its worker died right after the write. The server
// then tries the task again; from the second attempt on, the tries are transient (not in
// the history until one completes).
type lostTasks struct {
	interceptor.WorkerInterceptorBase
	cases sync.Map // workflow id -> *taskLoss
}

// taskLoss is what lostTasks does to one case.
type taskLoss struct {
	skip atomic.Int32 // writes to let through first
	left atomic.Int32 // losses left
	// before, when set, runs in the lost attempt after its write, before the loss (at the
	// workflow's time then).
	before func(now time.Time)
}

func (l *lostTasks) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &lostTaskInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, l: l}
}

type lostTaskInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	l *lostTasks
}

func (i *lostTaskInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&lostTaskOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}, l: i.l})
}

type lostTaskOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
	l *lostTasks
}

func (o *lostTaskOutbound) ExecuteLocalActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	f := o.Next.ExecuteLocalActivity(ctx, activityType, args...)
	v, ok := o.l.cases.Load(workflow.GetInfo(ctx).WorkflowExecution.ID)
	if !ok || activityType != "Persist" || workflow.IsReplaying(ctx) {
		return f
	}
	loss := v.(*taskLoss)
	if err := f.Get(ctx, nil); err != nil || loss.skip.Add(-1) >= 0 {
		return f
	}
	if loss.left.Add(-1) >= 0 {
		if loss.before != nil {
			loss.before(workflow.Now(ctx))
		}
		panic("simulated worker death: the records were written, the workflow task is lost")
	}
	return f
}
