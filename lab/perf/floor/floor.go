// Package floor holds the Temporal floor of the benchmark: a workflow of the same shape as
// a recorded case (the same activities, local activities, timers, updates and signals, in
// the same order) whose activities and handlers do nothing. Running it on the same server
// as the cases tells what Temporal alone costs for that shape, so the case's own overhead
// (PostgreSQL, payloads, validation, search attributes) is the difference. Told to, it also
// upserts a search attribute where the case did (Script.SearchAttributes).
package floor

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// TaskQueue is the floor's own task queue: its worker never takes a case.
const TaskQueue = "casework-floor"

// WorkflowType, UpdateName and SignalName name the floor workflow and its human inputs.
const (
	WorkflowType = "FloorWorkflow"
	UpdateName   = "step"
	SignalName   = "step-signal"
)

// Kind is one step of a case's shape.
type Kind string

// The steps a script holds.
const (
	Activity      Kind = "activity" // a regular activity
	LocalActivity Kind = "local"    // a local activity (a marker event)
	Timer         Kind = "timer"    // a timer that fires after D
	CanceledTimer Kind = "canceled" // a timer (a deadline) canceled by the next human input
	Update        Kind = "update"   // a human input sent as an update
	Signal        Kind = "signal"   // a human input sent as a signal
	// Upsert is a search-attribute upsert: made only by a script with SearchAttributes set.
	Upsert Kind = "upsert"
)

// StageKey is the search attribute a floor with SearchAttributes upserts, one of the
// case's (registered in Casework's namespaces): the visibility write each upsert costs the
// server is the same whichever keyword it sets.
var StageKey = temporal.NewSearchAttributeKeyKeyword("CaseStage")

// Op is one step.
type Op struct {
	Kind Kind          `json:"k"`
	D    time.Duration `json:"d,omitempty"`   // a timer's duration
	Gap  time.Duration `json:"gap,omitempty"` // a human input's: how long the person took
}

// Script is the shape of one recorded case.
type Script struct {
	Ops []Op `json:"ops"`
	// SearchAttributes makes the floor upsert a search attribute where the case did (and
	// start with one), so that it also pays the visibility writes of the search attributes
	// DESIGN.md has every case keep current; unset, it skips them.
	SearchAttributes bool `json:"sa,omitempty"`
}

// Count counts the script's steps of a kind.
func (s Script) Count(k Kind) int {
	n := 0
	for _, op := range s.Ops {
		if op.Kind == k {
			n++
		}
	}
	return n
}

// Inputs are the human inputs a driver sends, in order: Update or Signal, with the time
// the person took.
func (s Script) Inputs() []Op {
	var in []Op
	for _, op := range s.Ops {
		if op.Kind == Update || op.Kind == Signal {
			in = append(in, op)
		}
	}
	return in
}

// Activities are the floor's activities: they do nothing.
type Activities struct{}

// Nothing does nothing.
func (Activities) Nothing(context.Context) error { return nil }

// Workflow runs the script: each activity a no-op, each timer as long as the case's, each
// human input awaited, each upsert made when the script says so. The update handler does
// nothing but wait: for its turn, then for the workflow to fall quiet again (at the next
// input, or the end), so that its driver, like a person, sees the result before it takes
// its time over the next input.
func Workflow(ctx workflow.Context, s Script) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	local := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 5 * time.Second})
	var a Activities
	awaiting, received := -1, -1 // the human input the script is at; the last one handled
	finished := false
	if err := workflow.SetUpdateHandler(ctx, UpdateName, func(ctx workflow.Context, k int) error {
		if err := workflow.Await(ctx, func() bool { return awaiting == k }); err != nil {
			return err
		}
		received = k
		return workflow.Await(ctx, func() bool { return awaiting > k || finished })
	}); err != nil {
		return 0, fmt.Errorf("floor: %w", err)
	}
	signals := workflow.GetSignalChannel(ctx, SignalName)
	var deadlines []workflow.CancelFunc
	input, upserts := 0, 0
	for _, op := range s.Ops {
		switch op.Kind {
		case Activity:
			if err := workflow.ExecuteActivity(ctx, a.Nothing).Get(ctx, nil); err != nil {
				return 0, fmt.Errorf("floor: %w", err)
			}
		case LocalActivity:
			if err := workflow.ExecuteLocalActivity(local, a.Nothing).Get(ctx, nil); err != nil {
				return 0, fmt.Errorf("floor: %w", err)
			}
		case Timer:
			if err := workflow.Sleep(ctx, op.D); err != nil {
				return 0, fmt.Errorf("floor: %w", err)
			}
		case CanceledTimer:
			tctx, cancel := workflow.WithCancel(ctx)
			workflow.NewTimer(tctx, max(op.D, time.Hour))
			deadlines = append(deadlines, cancel)
		case Update:
			awaiting = input
			if err := workflow.Await(ctx, func() bool { return received == input }); err != nil {
				return 0, fmt.Errorf("floor: %w", err)
			}
			input++
		case Signal:
			var k int
			signals.Receive(ctx, &k)
			input++
		case Upsert:
			if s.SearchAttributes {
				upserts++
				stage := StageKey.ValueSet(fmt.Sprintf("floor-%d", upserts))
				if err := workflow.UpsertTypedSearchAttributes(ctx, stage); err != nil {
					return 0, fmt.Errorf("floor: %w", err)
				}
			}
		}
		if op.Kind == Update || op.Kind == Signal {
			for _, cancel := range deadlines {
				cancel()
			}
			deadlines = nil
		}
	}
	for _, cancel := range deadlines {
		cancel()
	}
	finished = true
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return 0, fmt.Errorf("floor: %w", err)
	}
	return input, nil
}
