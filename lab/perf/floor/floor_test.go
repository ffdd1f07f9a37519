package floor

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"github.com/casework/casework/contract"
)

type events struct {
	e []*historypb.HistoryEvent
	i int
}

func (h *events) HasNext() bool { return h.i < len(h.e) }
func (h *events) Next() (*historypb.HistoryEvent, error) {
	h.i++
	return h.e[h.i-1], nil
}

func TestScriptOfRecordedCase(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "..", "workflows", "testdata", "histories", "plan-completed-by-updates.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }() // read only
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, n, err := ScriptOf(&events{e: h.GetEvents()})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(h.GetEvents()) {
		t.Errorf("events = %d, want %d", n, len(h.GetEvents()))
	}
	want := map[Kind]int{}
	for _, e := range h.GetEvents() {
		switch {
		case e.GetActivityTaskScheduledEventAttributes() != nil:
			want[Activity]++
		case e.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity":
			want[LocalActivity]++
		case e.GetTimerFiredEventAttributes() != nil:
			want[Timer]++
		case e.GetWorkflowExecutionUpdateAcceptedEventAttributes() != nil:
			want[Update]++
		case e.GetUpsertWorkflowSearchAttributesEventAttributes() != nil:
			want[Upsert]++
		}
	}
	if want[LocalActivity] == 0 || want[Update] == 0 || want[Timer] == 0 || want[Upsert] == 0 {
		t.Fatalf("the recorded case has no local activities, updates, fired timers or upserts: %v", want)
	}
	for k, w := range want {
		if got := s.Count(k); got != w {
			t.Errorf("%s steps = %d, want %d", k, got, w)
		}
	}
}

// The floor runs a script to the end when its driver sends every input in order, sending
// before the workflow is at the step (the handler waits for its turn).
func TestFloorRunsScript(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(Workflow)
	env.RegisterActivity(&Activities{})
	s := Script{Ops: []Op{{Kind: LocalActivity}, {Kind: CanceledTimer, D: 72 * time.Hour}, {Kind: Update}, {Kind: Activity},
		{Kind: Timer, D: 24 * time.Hour}, {Kind: Signal}, {Kind: Update}, {Kind: LocalActivity}}}
	env.RegisterDelayedCallback(func() {
		for k, in := range s.Inputs() {
			if in.Kind == Signal {
				env.SignalWorkflow(SignalName, k)
				continue
			}
			env.UpdateWorkflow(UpdateName, "", &testsuite.TestUpdateCallback{
				OnReject: func(err error) { t.Errorf("update %d rejected: %v", k, err) },
				OnAccept: func() {},
				OnComplete: func(_ any, err error) {
					if err != nil {
						t.Errorf("update %d: %v", k, err)
					}
				},
			}, k)
		}
	}, time.Minute)
	env.ExecuteWorkflow(Workflow, s)
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var inputs int
	if err := env.GetWorkflowResult(&inputs); err != nil {
		t.Fatal(err)
	}
	if inputs != 3 {
		t.Errorf("inputs handled = %d, want 3", inputs)
	}
}

// The floor upserts a search attribute where the case did only when its script asks: the
// bare floor pays no visibility writes but its start and close.
func TestFloorSearchAttributesOnlyWhenAsked(t *testing.T) {
	ops := []Op{{Kind: Upsert}, {Kind: LocalActivity}, {Kind: Update}, {Kind: Upsert}, {Kind: Activity}, {Kind: Upsert}}
	for _, tc := range []struct {
		searchAttributes bool
		want             int
	}{{false, 0}, {true, 3}} {
		var suite testsuite.WorkflowTestSuite
		env := suite.NewTestWorkflowEnvironment()
		env.RegisterWorkflow(Workflow)
		env.RegisterActivity(&Activities{})
		upserts := 0
		env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(mock.Arguments) { upserts++ }).Return(nil).Maybe()
		env.RegisterDelayedCallback(func() {
			env.UpdateWorkflow(UpdateName, "", &testsuite.TestUpdateCallback{
				OnReject: func(err error) { t.Errorf("update rejected: %v", err) }, OnAccept: func() {}, OnComplete: func(any, error) {},
			}, 0)
		}, time.Minute)
		env.ExecuteWorkflow(Workflow, Script{Ops: ops, SearchAttributes: tc.searchAttributes})
		if err := env.GetWorkflowError(); err != nil {
			t.Fatal(err)
		}
		if upserts != tc.want {
			t.Errorf("SearchAttributes %v: %d upserts, want %d", tc.searchAttributes, upserts, tc.want)
		}
	}
}

// The floor upserts one of the case's own search attributes, of its type, so that every
// deployment has it registered (contract.SearchAttributes is what they register).
func TestStageKeyIsTheCases(t *testing.T) {
	for _, sa := range contract.SearchAttributes {
		if sa.Name == StageKey.GetName() {
			if sa.Type != "Keyword" {
				t.Errorf("%s is a %s in the contract, the floor sets a Keyword", sa.Name, sa.Type)
			}
			return
		}
	}
	t.Errorf("the floor upserts %s, which is not one of the contract's search attributes", StageKey.GetName())
}
