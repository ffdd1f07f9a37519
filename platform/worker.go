package platform

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/workflows"
)

// NewCaseWorker returns a worker of the casework task queue with the case workflow and
// the activities registered. Unless opts say otherwise it polls with eight pollers for
// each kind of task: with two (the SDK's default), a worker whose cached cases are busy
// (updates, timers, status queries all come through its sticky queue) stops taking new
// cases from the shared queue.
func NewCaseWorker(tc client.Client, acts *activities.Activities, opts worker.Options) worker.Worker {
	if opts.MaxConcurrentWorkflowTaskPollers == 0 && opts.WorkflowTaskPollerBehavior == nil {
		opts.MaxConcurrentWorkflowTaskPollers = 8
	}
	if opts.MaxConcurrentActivityTaskPollers == 0 && opts.ActivityTaskPollerBehavior == nil {
		opts.MaxConcurrentActivityTaskPollers = 8
	}
	w := worker.New(tc, contract.TaskQueue, opts)
	w.RegisterWorkflow(workflows.CaseWorkflow)
	w.RegisterActivity(acts)
	return w
}
