package workflows

import (
	"testing"

	"github.com/casework/casework/contract"
)

// Every action of the table does something in the case: an entry without a behaviour
// would fail every case's first workflow task at registration.
func TestEveryActionHasABehaviour(t *testing.T) {
	does := (&caseRun{}).behaviours()
	for _, a := range contract.Table {
		if b, ok := does[a.Name]; !ok || b.check == nil || b.apply == nil {
			t.Errorf("%s: no behaviour in the workflow", a.Name)
		}
	}
	if len(does) != len(contract.Table) {
		t.Errorf("%d behaviours for %d actions", len(does), len(contract.Table))
	}
}
