package workflows

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
)

// keysOfRun runs a case to the visit (phone verified a minute in), closes it, and returns
// its records in the order they were written.
func keysOfRun(t *testing.T, version workflow.Version) []activities.Record {
	h := newHarness(t)
	if version != taskTimeKeys {
		h.env.OnGetVersion(allChanges, workflow.DefaultVersion, taskTimeKeys).Return(version)
	}
	h.at(time.Minute, func() { h.accept(contract.ActionPhoneVerified, h.confirmed()) })
	h.closeAt(3 * time.Minute)
	h.run(contract.CaseInput{})
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.records) < 5 {
		t.Fatalf("%d records, want the screening's, the phone task's, the action's and the close's", len(h.records))
	}
	return h.records
}

// A record's attempt names its workflow task attempt by the workflow's time (version 2 of
// allChanges): never less than an earlier record's, greater in a later task, and in the
// record's key and the id of the task it opens. A task's second and third attempts share
// the history's length, which named them before, so a later attempt's records took the
// keys of a lost one's; their times differ.
func TestRecordsNameTheirTaskAttemptByItsTime(t *testing.T) {
	records := keysOfRun(t, taskTimeKeys)
	byAttempt := map[int64][]string{}
	var last int64
	for _, r := range records {
		if r.Attempt < time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano() {
			t.Errorf("record %d (%s): attempt %d, want the workflow's time in Unix nanoseconds", r.Seq, r.Kind, r.Attempt)
		}
		if r.Kind == activities.RecordAudit && r.Attempt != r.At.UnixNano() {
			t.Errorf("audit record %d: attempt %d, want its time %s (%d)", r.Seq, r.Attempt, r.At, r.At.UnixNano())
		}
		if r.Attempt < last {
			t.Errorf("record %d (%s): attempt %d before the previous record's %d", r.Seq, r.Kind, r.Attempt, last)
		}
		last = r.Attempt
		if want := fmt.Sprintf("%s/%d.%d", r.CaseID, r.Seq, r.Attempt); r.Key != want {
			t.Errorf("record %d: key %q, want %q", r.Seq, r.Key, want)
		}
		if r.Kind == activities.RecordTaskOpen && !strings.HasSuffix(r.Task.TaskID, fmt.Sprintf(".%d", r.Attempt)) {
			t.Errorf("task %s opened by attempt %d: its id does not carry it", r.Task.TaskID, r.Attempt)
		}
		byAttempt[r.Attempt] = append(byAttempt[r.Attempt], r.Kind)
	}
	if len(byAttempt) < 3 {
		t.Errorf("records of %d task attempts (%v), want the start's, the action's and the close's apart", len(byAttempt), byAttempt)
	}
}

// A case begun on version 1 keeps naming its attempts by the history's length, as it did,
// and so do the older ones (the test environment reports a length of 0; never a time).
func TestRecordsOfOlderRunsKeepTheirAttempts(t *testing.T) {
	for _, version := range []workflow.Version{1, workflow.DefaultVersion} {
		for _, r := range keysOfRun(t, version) {
			if r.Attempt < 0 || r.Attempt > 1_000_000 {
				t.Errorf("version %d: record %d (%s) attempt %d, want the history's length", version, r.Seq, r.Kind, r.Attempt)
			}
			if r.Kind == activities.RecordTaskOpen && !strings.HasSuffix(r.Task.TaskID, fmt.Sprintf(".%d", r.Attempt)) {
				t.Errorf("version %d: task %s opened by attempt %d: its id does not carry it", version, r.Task.TaskID, r.Attempt)
			}
		}
	}
}
