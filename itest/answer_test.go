//go:build integration

package itest

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"

	"github.com/casework/casework/contract"
	"github.com/casework/casework/httpapi"
)

// An action is answered once the case has accepted and applied it, durable in history:
// the workflow task that answers it checks its ids (one local activity) and schedules the
// activity that writes its records, instead of writing them itself; the records reach
// PostgreSQL all the same, once.
func TestActionAnsweredBeforeItsRecords(t *testing.T) {
	need(t)
	ctx := context.Background()
	caseID := startCase(t, newAccount(t))
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	agent := st.Pending.Assignees[0]
	srv := httptest.NewServer((&httpapi.Server{DB: stack.db, TC: stack.tc}).Handler())
	defer srv.Close()
	body := `{"agentId":"` + agent + `","calledAt":"` + nowRFC() + `","outcome":"confirmed"}`
	if code, answer, _ := apiCall(t, "POST", srv.URL+"/v1/cases/"+caseID+"/actions/"+contract.ActionPhoneVerified, cliToken(t, agent), body); code != 200 {
		t.Fatalf("the action: %d %s", code, answer)
	}

	var events []*historypb.HistoryEvent
	it := stack.tc.GetWorkflowHistory(ctx, caseID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	done := -1
	for i, e := range events {
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED {
			done = i
		}
	}
	if done < 0 {
		t.Fatal("no update completed in the history")
	}
	// the workflow task that answered: from its completion to the next task's scheduling
	start, end := done, done
	for start > 0 && events[start].GetEventType() != enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
		start--
	}
	for end < len(events) && events[end].GetEventType() != enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED {
		end++
	}
	markers, scheduled := 0, 0
	for _, e := range events[start:end] {
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if e.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity" { // not a version marker
				markers++
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			scheduled++
		}
	}
	if markers != 1 || scheduled != 1 {
		var kinds []string
		for _, e := range events[start:end] {
			kind := e.GetEventType().String()
			if m := e.GetMarkerRecordedEventAttributes(); m != nil {
				kind += "(" + m.GetMarkerName() + ")"
			}
			kinds = append(kinds, kind)
		}
		t.Errorf("the answering task holds %d local activities and schedules %d activities, want the id check alone and the records' activity: %v", markers, scheduled, kinds)
	}

	deadline := time.Now().Add(15 * time.Second)
	for {
		var n int
		if err := stack.db.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE case_id LIKE $1 || '%' AND kind = $2 AND accepted`,
			caseID, contract.ActionPhoneVerified).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			return
		}
		if n > 1 || time.Now().After(deadline) {
			t.Fatalf("%d audit rows of the action, want 1", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
