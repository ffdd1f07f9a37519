// Package backoffice holds what the back office does to cases: start one, screen the book
// and start the selected, and report on closed cases.
package backoffice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/casework/casework/contract"
	"github.com/casework/casework/platform"
	"github.com/casework/casework/workflows"
)

// ErrAlreadyOpen is returned when the account already has an open case.
var ErrAlreadyOpen = errors.New("already has an open case")

// Start starts the case of an account, with optional policy overrides (a JSON object) that
// may only tighten the deployment's policy (platform.DeploymentPolicy); the workflow checks
// them again.
// At most one case per account is open: a second start returns ErrAlreadyOpen.
func Start(ctx context.Context, tc client.Client, accountID string, policy json.RawMessage) (client.WorkflowRun, error) {
	if accountID == "" {
		return nil, errors.New("start: account id is required")
	}
	if len(policy) > 0 {
		deployment, err := platform.DeploymentPolicy()
		if err != nil {
			return nil, fmt.Errorf("start %s: %w", accountID, err)
		}
		if _, err := deployment.Tighten(policy); err != nil { // a case may only tighten it
			return nil, fmt.Errorf("start %s: %w", accountID, err)
		}
	}
	opts := client.StartWorkflowOptions{
		ID:                                       contract.WorkflowID(accountID),
		TaskQueue:                                contract.TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    temporal.NewSearchAttributes(workflows.CaseStageKey.ValueSet(string(contract.StageScreen))),
	}
	run, err := tc.ExecuteWorkflow(ctx, opts, contract.WorkflowType, contract.CaseInput{AccountID: accountID, Policy: policy})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil, fmt.Errorf("account %s %w (%s)", accountID, ErrAlreadyOpen, opts.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("start case of %s: %w", accountID, err)
	}
	return run, nil
}

// Status asks a case for its status (the status query).
func Status(ctx context.Context, tc client.Client, caseID string) (*contract.Status, error) {
	v, err := tc.QueryWorkflow(ctx, caseID, "", contract.StatusQuery)
	if err != nil {
		return nil, fmt.Errorf("status of %s: %w", caseID, err)
	}
	var st contract.Status
	if err := v.Get(&st); err != nil {
		return nil, fmt.Errorf("status of %s: %w", caseID, err)
	}
	return &st, nil
}
