// Package direct is the case client that talks to Temporal and PostgreSQL itself: the
// agents' API uses it behind its checks of who may do what, and so do the back office,
// the demo and the benchmarks. It is the only code that starts cases and sends them
// actions.
package direct

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/casework/casework/caseclient"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/platform"
	"github.com/casework/casework/workflows"
)

// Client is the case client over a Temporal client and the database (for inboxes).
type Client struct {
	TC client.Client
	DB *pgxpool.Pool
	// Attempts bounds how often an action or a signal is sent while Temporal or the case's
	// worker is away (DefaultAttempts when zero); the context bounds it too.
	Attempts int
	// Retried counts the sends that were tried again (for the demo's and the benchmarks'
	// reports).
	Retried func()
}

var _ caseclient.Cases = (*Client)(nil)

// DefaultAttempts is how many times a send is tried, a second apart at most.
const DefaultAttempts = 60

// ErrAlreadyOpen is returned when the account already has an open case.
var ErrAlreadyOpen = errors.New("already has an open case")

// Start starts the case of an account, with optional policy overrides (a JSON object) that
// may only tighten the deployment's policy (platform.DeploymentPolicy); the workflow checks
// them again. At most one case per account is open: a second start returns ErrAlreadyOpen.
func (c *Client) Start(ctx context.Context, accountID string, policy json.RawMessage) (client.WorkflowRun, error) {
	return c.StartWith(ctx, contract.CaseInput{AccountID: accountID, Policy: policy})
}

// StartWith starts a case with its whole input: the account, policy overrides and the
// strategy it joins (its arm of the trial, contact path and model version).
func (c *Client) StartWith(ctx context.Context, in contract.CaseInput) (client.WorkflowRun, error) {
	accountID, policy := in.AccountID, in.Policy
	if accountID == "" {
		return nil, errors.New("start: account id is required")
	}
	if in.State != nil {
		return nil, fmt.Errorf("start %s: a start carries no state", accountID)
	}
	sa := []temporal.SearchAttributeUpdate{workflows.CaseStageKey.ValueSet(string(contract.StageScreen))}
	if in.Strategy != nil {
		if err := in.Strategy.Validate(); err != nil {
			return nil, fmt.Errorf("start %s: %w", accountID, err)
		}
		sa = append(sa, workflows.StrategyKey.ValueSet(in.Strategy.Name))
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
		TypedSearchAttributes:                    temporal.NewSearchAttributes(sa...),
	}
	run, err := c.TC.ExecuteWorkflow(ctx, opts, contract.WorkflowType, in)
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
func (c *Client) Status(ctx context.Context, caseID string) (*contract.Status, error) {
	v, err := c.TC.QueryWorkflow(ctx, caseID, "", contract.StatusQuery)
	if err != nil {
		if errors.As(err, new(*serviceerror.NotFound)) {
			return nil, fmt.Errorf("status of %s: %w (%w)", caseID, caseclient.ErrNoCase, err)
		}
		return nil, fmt.Errorf("status of %s: %w", caseID, err)
	}
	var st contract.Status
	if err := v.Get(&st); err != nil {
		return nil, fmt.Errorf("status of %s: %w", caseID, err)
	}
	return &st, nil
}

// Act sends the action to the case as an update and waits for its answer. The update's id
// is actionID (a new one when empty), the same on every attempt: an update that reached
// the case before its answer was lost is not applied twice.
func (c *Client) Act(ctx context.Context, caseID, action, actionID string, payload []byte) (*contract.ActionResult, error) {
	if actionID == "" {
		actionID = uuid.NewString()
	}
	opts := client.UpdateWorkflowOptions{
		UpdateID: actionID, WorkflowID: caseID, UpdateName: action,
		Args: []any{json.RawMessage(payload)}, WaitForStage: client.WorkflowUpdateStageCompleted,
	}
	var res contract.ActionResult
	err := c.retry(ctx, func() error {
		h, err := c.TC.UpdateWorkflow(ctx, opts)
		if err == nil {
			err = h.Get(ctx, &res)
		}
		return err
	})
	if err != nil {
		return nil, answer(caseID, action, err)
	}
	return &res, nil
}

// Signal sends the action to the case as a signal (no answer: the case records a refusal
// in its timeline). A repeated delivery of a report is refused by the case, not applied
// twice.
func (c *Client) Signal(ctx context.Context, caseID, action string, payload []byte) error {
	err := c.retry(ctx, func() error {
		return c.TC.SignalWorkflow(ctx, caseID, "", action, json.RawMessage(payload))
	})
	if err != nil {
		return answer(caseID, action, err)
	}
	return nil
}

// Inbox reads an agent's open tasks, soonest deadline first.
func (c *Client) Inbox(ctx context.Context, agent string) ([]contract.Task, error) {
	rows, err := c.DB.Query(ctx, `SELECT case_id, action, deadline, not_before, not_before_reason, coalesce(address_id, '')
		FROM tasks WHERE status = 'open' AND assignees @> ARRAY[$1] ORDER BY deadline`, agent)
	if err != nil {
		return nil, fmt.Errorf("inbox of %s: %w", agent, err)
	}
	tasks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (contract.Task, error) {
		var t contract.Task
		err := row.Scan(&t.CaseID, &t.Action, &t.Deadline, &t.NotBefore, &t.NotBeforeReason, &t.AddressID)
		t.CaseID = contract.WorkflowIDOfCaseKey(t.CaseID) // a case key names its workflow
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("inbox of %s: %w", agent, err)
	}
	return tasks, nil
}

// retry calls send until it succeeds, fails for good, or the attempts or the context run
// out; waits grow from 100 ms to a second.
func (c *Client) retry(ctx context.Context, send func() error) error {
	attempts := c.Attempts
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := send()
		if err == nil || !Transient(err) || attempt >= attempts || ctx.Err() != nil {
			return err
		}
		if c.Retried != nil {
			c.Retried()
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, time.Second)
	}
}

// Transient tells a failure to reach the case (Temporal or the worker away, a timeout)
// from the case's answer (a refusal, a closed case, a bad request).
func Transient(err error) bool {
	var app *temporal.ApplicationError
	var notFound *serviceerror.NotFound
	var invalid *serviceerror.InvalidArgument
	var failed *serviceerror.FailedPrecondition
	return !errors.As(err, &app) && !errors.As(err, &notFound) && !errors.As(err, &invalid) && !errors.As(err, &failed) &&
		!errors.Is(err, context.Canceled)
}

// answer turns the case's answer into the client's errors: a refusal is a
// *caseclient.Refused with its fields, a case that is gone wraps caseclient.ErrNoCase.
func answer(caseID, action string, err error) error {
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == "ValidationError" {
		var fields []*contract.FieldError
		var recorded bool                   // refused after it entered history: the case recorded it
		_ = app.Details(&fields, &recorded) // a rejection without fields still has its message
		return &caseclient.Refused{ValidationError: &contract.ValidationError{Action: action, Fields: fields}, Message: app.Message(), Recorded: recorded}
	}
	if errors.As(err, new(*serviceerror.NotFound)) {
		return fmt.Errorf("%s %s: %w (%w)", action, caseID, caseclient.ErrNoCase, err)
	}
	return fmt.Errorf("%s %s: %w", action, caseID, err)
}
