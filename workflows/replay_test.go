package workflows

import (
	"os"
	"path/filepath"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
)

// Every history recorded from the real server (testdata/histories, see
// scripts/record-histories.sh) replays on today's workflow code without a
// non-determinism error: cases started by an earlier version go on safely.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/histories/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("found %d recorded histories, want at least 3: run scripts/record-histories.sh", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			replay(t, f)
		})
	}
}

// replay replays a recorded history under its own workflow ID (the workflow checks that
// its input's account is its ID's), read from the recorded input.
func replay(t *testing.T, file string) {
	t.Helper()
	hist := readHistory(t, file)
	var in contract.CaseInput
	start := hist.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
	if err := converter.GetDefaultDataConverter().FromPayloads(start.GetInput(), &in); err != nil {
		t.Fatalf("%s: read the start input: %v", file, err)
	}
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflow(CaseWorkflow)
	err := r.ReplayWorkflowHistoryWithOptions(nil, hist, worker.ReplayWorkflowHistoryOptions{
		OriginalExecution: workflow.Execution{ID: contract.WorkflowID(in.AccountID), RunID: "replay"},
	})
	if err != nil {
		t.Fatalf("replay %s: %v", file, err)
	}
}

func readHistory(t *testing.T, file string) *historypb.History {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hist, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return hist
}

// The plan confirmation came with version 1 of the workflow (GetVersion
// "plan-confirmation"): the histories recorded before it reached repayment without it and
// still replay (above); a history recorded after it carries the version marker and the
// confirmation, so new cases take the new path.
func TestPlanConfirmationIsVersioned(t *testing.T) {
	old := versionsIn(t, "testdata/histories/plan-completed-by-updates.json")
	if old.reminders == 0 || old.changes["plan-confirmation"] || old.confirmations != 0 {
		t.Fatalf("the old history should reach repayment without the plan confirmation: %+v", old)
	}
	now := versionsIn(t, "testdata/histories/v1-plan-confirmation.json")
	if !now.changes["plan-confirmation"] || now.confirmations != 1 {
		t.Fatalf("the new history should carry the version marker and one confirmation: %+v", now)
	}
}

type historyFacts struct {
	changes                  map[string]bool // GetVersion change ids
	reminders, confirmations int             // SendReminder activities, of which confirmations
}

func versionsIn(t *testing.T, file string) historyFacts {
	t.Helper()
	hist := readHistory(t, file)
	facts := historyFacts{changes: map[string]bool{}}
	dc := converter.GetDefaultDataConverter()
	for _, ev := range hist.GetEvents() {
		if m := ev.GetMarkerRecordedEventAttributes(); m != nil && m.GetMarkerName() == "Version" {
			var id string
			if err := dc.FromPayloads(m.GetDetails()["change-id"], &id); err == nil {
				facts.changes[id] = true
			}
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == "SendReminder" {
			facts.reminders++
			var req activities.ReminderRequest
			if err := dc.FromPayloads(a.GetInput(), &req); err == nil && req.Kind == "confirmation" {
				facts.confirmations++
			}
		}
	}
	return facts
}
