package platform

import (
	"fmt"
	"os"
	"strconv"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/workflows"
)

// NewCaseWorker returns a worker of the casework task queue with the case workflow and
// the activities registered, with WorkerOptions.
func NewCaseWorker(tc client.Client, acts *activities.Activities, opts worker.Options) worker.Worker {
	w := worker.New(tc, contract.TaskQueue, WorkerOptions(opts))
	w.RegisterWorkflow(workflows.CaseWorkflow)
	w.RegisterActivity(acts)
	return w
}

// WorkerOptions are Casework's worker options: unless opts say otherwise, eight pollers
// for each kind of task. With two (the SDK's default), a worker whose cached cases are
// busy (updates, timers, status queries all come through its sticky queue) stops taking
// new cases from the shared queue.
func WorkerOptions(opts worker.Options) worker.Options {
	if opts.MaxConcurrentWorkflowTaskPollers == 0 && opts.WorkflowTaskPollerBehavior == nil {
		opts.MaxConcurrentWorkflowTaskPollers = 8
	}
	if opts.MaxConcurrentActivityTaskPollers == 0 && opts.ActivityTaskPollerBehavior == nil {
		opts.MaxConcurrentActivityTaskPollers = 8
	}
	return opts
}

// SetStickyCache sets how many workflows the process's workers keep cached (their state in
// memory, so the next task of a case needs no replay) from CASEWORK_STICKY_CACHE; unset,
// the SDK's default (10,000) stays. A case evicted from the cache is replayed from its
// history on its next task: memory traded against replay time.
func SetStickyCache() error {
	v := os.Getenv("CASEWORK_STICKY_CACHE")
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return fmt.Errorf("CASEWORK_STICKY_CACHE: want a positive number of cases, got %q", v)
	}
	worker.SetStickyWorkflowCacheSize(n)
	return nil
}
