package workflows

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/codec"
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
	if err := testConverter(t).FromPayloads(start.GetInput(), &in); err != nil {
		t.Fatalf("%s: read the start input: %v", file, err)
	}
	r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{DataConverter: testConverter(t)})
	if err != nil {
		t.Fatal(err)
	}
	r.RegisterWorkflow(CaseWorkflow)
	err = r.ReplayWorkflowHistoryWithOptions(nil, hist, worker.ReplayWorkflowHistoryOptions{
		OriginalExecution: workflow.Execution{ID: contract.WorkflowID(in.AccountID), RunID: "replay"},
	})
	if err != nil {
		t.Fatalf("replay %s: %v", file, err)
	}
}

// testConverter decodes the recorded histories: those recorded since the payload codec
// were encrypted with the test-only key kept beside them (older ones pass through).
func testConverter(t *testing.T) converter.DataConverter {
	t.Helper()
	b, err := os.ReadFile("testdata/histories/test-codec-keys")
	if err != nil {
		t.Fatal(err)
	}
	k, err := codec.ParseKeys(string(b)) // comment lines are skipped
	if err != nil {
		t.Fatal(err)
	}
	return codec.NewDataConverter(k)
}

func readHistory(t *testing.T, file string) *historypb.History {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }() // read only
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

// The trust boundary came with version 1 of "trust-boundary" (ids checked against
// PostgreSQL in a local activity, contacts during a hold recorded): the histories recorded
// since carry its marker, and their payloads are encrypted (the test-only key decodes
// them); the older ones replay without either (above).
func TestTrustBoundaryHistoriesAreVersionedAndEncrypted(t *testing.T) {
	files, err := filepath.Glob("testdata/histories/*-trust-boundary.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no histories recorded since the trust boundary (%v): run scripts/record-histories.sh with CASEWORK_RECORD_SUFFIX=-trust-boundary", err)
	}
	for _, f := range files {
		facts := versionsIn(t, f)
		if !facts.changes[trustBoundary] || facts.refChecks == 0 {
			t.Errorf("%s: version markers %v, %d reference checks; want %s and its checks", f, facts.changes, facts.refChecks, trustBoundary)
		}
		hist := readHistory(t, f)
		in := hist.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()[0]
		if enc := string(in.GetMetadata()[converter.MetadataEncoding]); enc != codec.MetadataEncodingEncrypted {
			t.Errorf("%s: the start input is %q, want encrypted", f, enc)
		}
	}
	if old := versionsIn(t, "testdata/histories/plan-completed-by-updates.json"); old.changes[trustBoundary] {
		t.Error("the old history has the trust-boundary marker: it was recorded again?")
	}
}

type historyFacts struct {
	changes                  map[string]bool // GetVersion change ids
	versions                 map[string]int  // the version each change id was recorded at
	attempts                 []int64         // the attempts of the records written after an answer
	reminders, confirmations int             // SendReminder activities, of which confirmations
	refChecks                int             // CheckRefs local activities
	remoteWrites             int             // Persist activities (records after an answer)
	upserts                  int             // search-attribute upserts, TemporalChangeVersion's aside
	mostUpsertsInATask       int             // the most of those in one workflow task
}

func versionsIn(t *testing.T, file string) historyFacts {
	t.Helper()
	hist := readHistory(t, file)
	facts := historyFacts{changes: map[string]bool{}, versions: map[string]int{}}
	dc := testConverter(t)
	inTask := 0
	for _, ev := range hist.GetEvents() {
		if ev.GetWorkflowTaskCompletedEventAttributes() != nil {
			inTask = 0
		}
		if u := ev.GetUpsertWorkflowSearchAttributesEventAttributes(); u != nil {
			if _, version := u.GetSearchAttributes().GetIndexedFields()["TemporalChangeVersion"]; !version {
				facts.upserts++
				inTask++
				facts.mostUpsertsInATask = max(facts.mostUpsertsInATask, inTask)
			}
		}
		if m := ev.GetMarkerRecordedEventAttributes(); m != nil && m.GetMarkerName() == "Version" {
			var id string
			var version int
			if err := dc.FromPayloads(m.GetDetails()["change-id"], &id); err == nil {
				facts.changes[id] = true
			}
			if err := dc.FromPayloads(m.GetDetails()["version"], &version); err == nil {
				facts.versions[id] = version
			}
		}
		if m := ev.GetMarkerRecordedEventAttributes(); m != nil && m.GetMarkerName() == "LocalActivity" {
			var la struct {
				ActivityType string
			}
			if err := dc.FromPayloads(m.GetDetails()["data"], &la); err == nil && la.ActivityType == "CheckRefs" {
				facts.refChecks++
			}
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == "Persist" {
			facts.remoteWrites++
			var b activities.Batch
			if err := dc.FromPayloads(a.GetInput(), &b); err == nil {
				for _, r := range b.Records {
					facts.attempts = append(facts.attempts, r.Attempt)
				}
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

// The phone-first path came with version 1 of "phone-first": the history recorded on it
// carries the marker (and replays above, as every recorded history does); a visit-first
// history has none.
func TestPhoneFirstIsVersioned(t *testing.T) {
	if facts := versionsIn(t, "testdata/histories/phone-first.json"); !facts.changes[phoneFirstChange] {
		t.Fatalf("the phone-first history has no %q marker: %v", phoneFirstChange, facts.changes)
	}
	if old := versionsIn(t, "testdata/histories/plan-completed-by-updates-trust-boundary.json"); old.changes[phoneFirstChange] {
		t.Error("a visit-first history has the phone-first marker")
	}
}

// Answering an update before its records are written came with version 1 of
// "async-records": the histories recorded since carry the marker and the records'
// activity after an answered update (and replay above); the older ones have neither, and
// replay on the old path.
func TestAsyncRecordsIsVersioned(t *testing.T) {
	for _, f := range []string{"plan-completed-by-updates-async-records.json", "phone-first-async-records.json"} {
		if facts := versionsIn(t, "testdata/histories/"+f); !facts.changes[asyncRecords] {
			t.Errorf("%s has no %q marker: %v", f, asyncRecords, facts.changes)
		}
	}
	for _, f := range []string{"plan-completed-by-updates-trust-boundary.json", "phone-first.json"} {
		if facts := versionsIn(t, "testdata/histories/"+f); facts.changes[asyncRecords] {
			t.Errorf("%s, recorded before the change, has its marker", f)
		}
	}
}

// Every change above came with its own version marker; a case that begins on today's code
// asks for one, allChanges, and takes them all (one marker and one visibility write instead
// of one per change), and publishes its search attributes once per workflow task. The
// histories recorded since carry that marker alone, and the changes' behaviour: the ids
// checked (trust boundary), records after the answer (async records), the phone-first
// path. The histories recorded before have no such marker (and replay above).
func TestAllChangesIsVersioned(t *testing.T) {
	files, err := filepath.Glob("testdata/histories/*-all-changes.json")
	if err != nil || len(files) < 4 {
		t.Fatalf("found %d histories recorded since %s (%v), want 4: record them (README, Recorded histories)", len(files), allChanges, err)
	}
	for _, f := range files {
		facts := versionsIn(t, f)
		if len(facts.changes) != 1 || !facts.changes[allChanges] {
			t.Errorf("%s: version markers %v, want %s alone", f, facts.changes, allChanges)
		}
		if facts.refChecks == 0 {
			t.Errorf("%s: no reference checks: the trust boundary is off", f)
		}
		if facts.mostUpsertsInATask > 1 {
			t.Errorf("%s: %d search-attribute upserts in one workflow task, want one at most", f, facts.mostUpsertsInATask)
		}
	}
	for _, f := range []string{"plan-completed-by-updates-all-changes.json", "phone-first-all-changes.json"} {
		if facts := versionsIn(t, "testdata/histories/"+f); facts.remoteWrites == 0 {
			t.Errorf("%s: no records written after an answer: async records are off", f)
		}
	}
	for _, f := range []string{"plan-completed-by-updates-async-records.json", "phone-first-async-records.json"} {
		facts := versionsIn(t, "testdata/histories/"+f)
		if facts.changes[allChanges] {
			t.Errorf("%s, recorded before %s, has its marker", f, allChanges)
		}
		if facts.mostUpsertsInATask < 2 {
			t.Errorf("%s: at most %d upserts in a task: the old path published at each step", f, facts.mostUpsertsInATask)
		}
	}
}

// A case begun on version 2 of allChanges records that version in the one marker, and its
// records name their task attempts by the workflow's time; those begun on version 1 keep
// the history's length (and replay above).
func TestTaskTimeKeysAreVersioned(t *testing.T) {
	timeOf2000 := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	files, err := filepath.Glob("testdata/histories/*-task-time.json")
	if err != nil || len(files) < 4 {
		t.Fatalf("found %d histories recorded since task-time keys (%v), want 4: record them (README, Changing the workflow safely)", len(files), err)
	}
	for _, f := range files {
		facts := versionsIn(t, f)
		if len(facts.changes) != 1 || facts.versions[allChanges] != int(taskTimeKeys) {
			t.Errorf("%s: version markers %v, want %s alone at version %d", f, facts.versions, allChanges, taskTimeKeys)
		}
		for _, a := range facts.attempts {
			if a < timeOf2000 {
				t.Errorf("%s: a record's attempt %d is not a time", f, a)
				break
			}
		}
	}
	for _, f := range []string{"plan-completed-by-updates-all-changes.json", "phone-first-all-changes.json"} {
		facts := versionsIn(t, "testdata/histories/"+f)
		if facts.versions[allChanges] != 1 || len(facts.attempts) == 0 {
			t.Fatalf("%s: %s at version %d, %d records after an answer: want version 1 and some", f, allChanges, facts.versions[allChanges], len(facts.attempts))
		}
		for _, a := range facts.attempts {
			if a >= timeOf2000 {
				t.Errorf("%s (version 1): a record's attempt %d is a time, want the history's length", f, a)
				break
			}
		}
	}
}

// changed answers for the changes allChanges stands for, and refuses any other id: a later
// change must ask its own version, or runs begun on the bundle's code would take it
// without a marker.
func TestChangedRefusesAnUnbundledChange(t *testing.T) {
	c := &caseRun{latest: true}
	if !c.changed(nil, trustBoundary) {
		t.Fatal("a run on the code of allChanges does not take trust-boundary")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("changed took a change id that allChanges does not stand for")
		}
	}()
	c.changed(nil, "a-later-change")
}
