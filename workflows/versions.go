package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"
)

// The workflow's changes since cases first ran in production. Each came behind a
// GetVersion change id, so that a case begun on the code before it replays on the path it
// took: version 1 is the change, DefaultVersion the code before.
const (
	// caseFlagsChange: the CaseFlags search attribute.
	caseFlagsChange = "case-flags"
	// planConfirmationChange: a new plan's confirmation message (repayment.go).
	planConfirmationChange = "plan-confirmation"
	// trustBoundary: actions' ids checked against PostgreSQL, contacts during a hold or
	// pause recorded as violations (actions.go).
	trustBoundary = "trust-boundary"
	// phoneFirstChange: the phone-first contact path (contactpath.go).
	phoneFirstChange = "phone-first"
	// asyncRecords: an update answered before the records it queued are written
	// (records.go).
	asyncRecords = "async-records"
)

// allChanges is one version for every change above, and for the search attributes
// published where the run blocks rather than at each step it passes
// (publishBeforeBlocking). The SDK writes a marker and a TemporalChangeVersion search
// attribute (a visibility write) for each change id a run asks for: a run that begins on
// this code asks this one, in its first task, and takes every change above without asking
// for each. A case begun before has no such marker: it replays with DefaultVersion here,
// and asks for each change as it did.
//
// Cases begun on this code do not replay on the code before it (they carry no marker of
// the changes they took): no rollback below it, and no workers of both versions at once.
const allChanges = "all-changes-2026-11"

// taskTimeKeys is allChanges' version 2: a record's attempt (in its key) and a task's id
// name the workflow task attempt by the workflow's time rather than by the history's
// length, which a task's second and later attempts share (attempt, records.go). A run that
// begins on this code records version 2 in the same marker; one begun on version 1 keeps
// its keys until it continues as new (each run asks in its first task, and takes version
// 2 then: the sequence goes on, and times are greater than history lengths).
const taskTimeKeys workflow.Version = 2

// changesVersion asks, in the run's first task, whether it began on the code of
// allChanges, and on which version of it.
func (c *caseRun) changesVersion() {
	v := workflow.GetVersion(c.ctx, allChanges, workflow.DefaultVersion, taskTimeKeys)
	c.latest = v >= 1
	c.taskTimeKeys = v >= taskTimeKeys
}

// bundled are the changes allChanges stands for. A change made after it is not among them:
// a run begun on the code of allChanges, but before that change, must not take it
// unasked, so it asks its own version (workflow.GetVersion), never changed.
var bundled = map[string]bool{
	caseFlagsChange: true, planConfirmationChange: true, trustBoundary: true, phoneFirstChange: true, asyncRecords: true,
}

// changed reports whether the run takes one of the bundled changes: every one when it
// began on the code of allChanges, otherwise the change's own version (asked once per
// run, then cached by the SDK). Any other change id is a programming error.
func (c *caseRun) changed(ctx workflow.Context, change string) bool {
	if !bundled[change] {
		panic(fmt.Sprintf("changed(%q): not one of the changes of %s: ask its own workflow.GetVersion", change, allChanges))
	}
	return c.latest || workflow.GetVersion(ctx, change, workflow.DefaultVersion, 1) == 1
}
