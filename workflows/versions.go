package workflows

import "go.temporal.io/sdk/workflow"

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
// published where the run blocks, at most once a workflow task (publishBeforeBlocking). The SDK writes a marker and a
// TemporalChangeVersion search attribute (a visibility write) for each change id a run
// asks for: a case that begins on this code asks once, in its first task, and takes every
// change without asking for each. A case begun before has no such marker: it replays with
// DefaultVersion here, and asks for each change as it did.
const allChanges = "all-changes-2026-11"

// changesVersion asks, in the run's first task, whether it began on the code of
// allChanges.
func (c *caseRun) changesVersion() {
	c.latest = workflow.GetVersion(c.ctx, allChanges, workflow.DefaultVersion, 1) == 1
}

// changed reports whether the run takes a change: every change when it began on the code
// of allChanges, otherwise the change's own version (asked once per run, then cached by
// the SDK).
func (c *caseRun) changed(ctx workflow.Context, change string) bool {
	return c.latest || workflow.GetVersion(ctx, change, workflow.DefaultVersion, 1) == 1
}
