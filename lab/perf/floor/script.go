package floor

import (
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
)

func gap(from, to time.Time) time.Duration {
	if from.IsZero() || to.Before(from) {
		return 0
	}
	return to.Sub(from)
}

// History is what ScriptOf reads: a workflow history, event by event (the SDK's
// client.HistoryEventIterator).
type History interface {
	// HasNext reports whether another event follows.
	HasNext() bool
	// Next reads the next event, oldest first.
	Next() (*historypb.HistoryEvent, error)
}

// ScriptOf reads the shape of a recorded run: its activities, local activity markers,
// timers (fired ones with their durations, canceled ones as deadlines), accepted updates,
// signals and search-attribute upserts, in order, each human input with the time the
// person took (from the case falling quiet to the input reaching it). It also returns the
// run's event count.
func ScriptOf(h History) (Script, int, error) {
	var s Script
	timers := map[string]int{} // timer id → index of its op
	events := 0
	var prev, beforeTask, taskScheduled time.Time // the previous event; the last before the latest workflow task
	for h.HasNext() {
		e, err := h.Next()
		if err != nil {
			return s, events, fmt.Errorf("floor: read history: %w", err)
		}
		events++
		at := e.GetEventTime().AsTime()
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
			beforeTask, taskScheduled = prev, at
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			s.Ops = append(s.Ops, Op{Kind: Activity})
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if e.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity" {
				s.Ops = append(s.Ops, Op{Kind: LocalActivity})
			}
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			a := e.GetTimerStartedEventAttributes()
			timers[a.GetTimerId()] = len(s.Ops)
			s.Ops = append(s.Ops, Op{Kind: CanceledTimer, D: a.GetStartToFireTimeout().AsDuration()})
		case enumspb.EVENT_TYPE_TIMER_FIRED:
			if i, ok := timers[e.GetTimerFiredEventAttributes().GetTimerId()]; ok {
				s.Ops[i].Kind = Timer
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			// the person's time: from the case falling quiet to the update's workflow task
			s.Ops = append(s.Ops, Op{Kind: Update, Gap: gap(beforeTask, taskScheduled)})
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			s.Ops = append(s.Ops, Op{Kind: Upsert})
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			s.Ops = append(s.Ops, Op{Kind: Signal, Gap: gap(prev, at)})
		}
		prev = at
	}
	return s, events, nil
}
