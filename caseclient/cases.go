// Package caseclient is the one client of cases that every tool uses: read a case's
// status, send it a human action with the caller's action id (sent again with the same
// id, a retry is applied once), read an agent's inbox. Cases is what they share; Remote
// goes through the agents' HTTP API with a person's token (bin/agent); the sub-package
// direct talks to Temporal and PostgreSQL (the API itself, the back office, the demo, the
// benchmarks) and also starts cases.
package caseclient

import (
	"context"
	"errors"

	"github.com/casework/casework/contract"
)

// Cases is what a tool does to cases.
type Cases interface {
	// Status is the case's whole state (the status query).
	Status(ctx context.Context, caseID string) (*contract.Status, error)
	// Act sends one human action (the payload is its JSON) and waits for the case's
	// answer. actionID identifies the action: sent again with the same id, it is applied
	// once. A refusal is a *Refused; a case that does not exist (or is not the caller's)
	// wraps ErrNoCase, and so does one that has ended (through the API: a *Refused naming
	// the field "case", "is closed").
	Act(ctx context.Context, caseID, action, actionID string, payload []byte) (*contract.ActionResult, error)
	// Inbox is the agent's open tasks, soonest deadline first.
	Inbox(ctx context.Context, agentID string) ([]contract.Task, error)
}

// ErrNoCase is a case that does not exist, has ended, or is not the caller's.
var ErrNoCase = errors.New("no such open case")

// Refused is an action refused by the contract or by the case: the reason for each field.
type Refused struct {
	*contract.ValidationError
	// Message is the refusal as the case (or the API) worded it.
	Message string
	// Recorded: the case recorded the refusal in its audit log (it had entered history).
	Recorded bool
}

func (r *Refused) Error() string {
	if r.Message != "" {
		return r.Message
	}
	return r.ValidationError.Error()
}

func (r *Refused) Unwrap() error { return r.ValidationError }
