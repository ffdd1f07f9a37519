//go:build integration

package itest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
)

// keepHistory writes the case's history to $CASEWORK_RECORD_HISTORIES/<name>.json, for the
// replay tests (scripts/record-histories.sh sets it to workflows/testdata/histories).
func keepHistory(t *testing.T, caseID, name string) {
	t.Helper()
	dir := os.Getenv("CASEWORK_RECORD_HISTORIES")
	if dir == "" {
		return
	}
	hist := &historypb.History{}
	iter := stack.tc.GetWorkflowHistory(context.Background(), caseID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", caseID, err)
		}
		hist.Events = append(hist.Events, ev)
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: " "}.Marshal(hist)
	if err != nil {
		t.Fatalf("history of %s: %v", caseID, err)
	}
	name += os.Getenv("CASEWORK_RECORD_SUFFIX") // a new version's histories beside the older ones
	if err := os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644); err != nil {
		t.Fatalf("write history: %v", err)
	}
	t.Logf("recorded %s (%d events) as %s", caseID, len(hist.Events), name)
}
