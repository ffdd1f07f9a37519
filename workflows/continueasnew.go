package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/casework/casework/contract"
)

// continueAsNewDue reports whether this run should hand over to a new one: when the server
// suggests it, or (for tests and long-plan tuning) past the policy's event count.
func (c *caseRun) continueAsNewDue() bool {
	info := workflow.GetInfo(c.ctx)
	if info.GetContinueAsNewSuggested() {
		return true
	}
	n := c.st.Policy.ContinueAsNewAfter
	return n > 0 && info.GetCurrentHistoryLength() >= n
}

// continueAsNew hands the state to a new run: signals already delivered are handled,
// update handlers and actions being checked finish, records are written, and the state
// goes as the new input. Writing the records yields, and a signal may be taken up
// meanwhile: the hand-over happens only once nothing is left.
func (c *caseRun) continueAsNew() error {
	settled := func() bool { return workflow.AllHandlersFinished(c.ctx) && c.admitting == 0 }
	// the records are written at once from here: a timer to send an answer first would let
	// the next update in, and updates sent back to back would never let the run hand over
	c.ending = true
	for {
		c.drainSignals(c.ctx)
		if err := workflow.Await(c.ctx, settled); err != nil {
			return fmt.Errorf("finish handlers before continue-as-new: %w", err)
		}
		c.drainSignals(c.ctx)
		if err := c.sync(); err != nil {
			return err
		}
		if settled() && len(c.records) == 0 && !c.signalsPending() {
			break
		}
	}
	c.log.Info("continuing as new", "case", c.st.CaseID, "run", c.st.Runs, "events", workflow.GetInfo(c.ctx).GetCurrentHistoryLength())
	return workflow.NewContinueAsNewError(c.ctx, CaseWorkflow, contract.CaseInput{AccountID: c.st.AccountID, State: c.st})
}

// signalsPending reports whether a signal waits in its channel.
func (c *caseRun) signalsPending() bool {
	for _, name := range contract.Actions {
		if workflow.GetSignalChannel(c.ctx, name).Len() > 0 {
			return true
		}
	}
	return false
}
