package perf

import (
	"context"
	"fmt"
	"slices"
	"sync"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/casework/casework/lab/perf/floor"
)

// CaseShape is what a closed case's histories hold, over all its runs.
type CaseShape struct {
	Script floor.Script
	Events int // over all runs
	Runs   int
	MaxRun int // events of its longest run
}

// ShapeOf reads every run of a workflow (following continue-as-new back to the first) and
// returns its shape.
func ShapeOf(ctx context.Context, tc client.Client, workflowID string) (CaseShape, error) {
	var shape CaseShape
	var scripts []floor.Script
	runID := ""
	for {
		it := tc.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		h := &firstEvent{it: it}
		s, n, err := floor.ScriptOf(h)
		if err != nil {
			return shape, fmt.Errorf("history of %s: %w", workflowID, err)
		}
		scripts = append(scripts, s)
		shape.Events += n
		shape.Runs++
		shape.MaxRun = max(shape.MaxRun, n)
		runID = h.previousRun
		if runID == "" {
			break
		}
	}
	slices.Reverse(scripts)
	for _, s := range scripts {
		shape.Script.Ops = append(shape.Script.Ops, s.Ops...)
	}
	return shape, nil
}

// firstEvent passes a history through and keeps the run it continued from.
type firstEvent struct {
	it          client.HistoryEventIterator
	seen        bool
	previousRun string
}

func (f *firstEvent) HasNext() bool { return f.it.HasNext() }

func (f *firstEvent) Next() (*historypb.HistoryEvent, error) {
	e, err := f.it.Next()
	if err == nil && !f.seen {
		f.seen = true
		f.previousRun = e.GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
	}
	return e, err
}

// Shapes reads the shapes of many workflows, a few at a time.
func Shapes(ctx context.Context, tc client.Client, ids []string) ([]CaseShape, error) {
	out := make([]CaseShape, len(ids))
	errs := make([]error, len(ids))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i], errs[i] = ShapeOf(ctx, tc, id)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
