package perf

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// TerminateRunning terminates every running workflow of the namespace: the benchmark's
// namespace is its own, and a run interrupted earlier must not leave cases behind that
// hold the ids of the next run's accounts. It returns how many it terminated.
func TerminateRunning(ctx context.Context, tc client.Client, namespace string) (int, error) {
	n := 0
	for range 1000 {
		resp, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: namespace, Query: `ExecutionStatus = "Running"`, PageSize: 1000,
		})
		if err != nil {
			return n, fmt.Errorf("bench: list running workflows: %w", err)
		}
		var ids []string
		for _, e := range resp.GetExecutions() {
			ids = append(ids, e.GetExecution().GetWorkflowId())
		}
		if len(ids) == 0 {
			return n, nil
		}
		if err := each(ctx, ids, 16, func(ctx context.Context, _ int, id string) error {
			err := tc.TerminateWorkflow(ctx, id, "", "benchmark: left from an earlier run")
			var gone *serviceerror.NotFound
			if errors.As(err, &gone) {
				return nil // closed meanwhile (the list lags behind)
			}
			return err
		}); err != nil {
			return n, err
		}
		n += len(ids)
	}
	return n, fmt.Errorf("bench: workflows still running after %d terminated", n)
}
