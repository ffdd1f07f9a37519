package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/casework/casework/contract"
)

// The search attributes of DESIGN.md, for operations in the Web UI.
var (
	CaseStageKey      = temporal.NewSearchAttributeKeyKeyword("CaseStage")
	CaseOutcomeKey    = temporal.NewSearchAttributeKeyKeyword("CaseOutcome")
	PendingActionKey  = temporal.NewSearchAttributeKeyKeyword("PendingAction")
	AssignedAgentsKey = temporal.NewSearchAttributeKeyKeywordList("AssignedAgents")
	DaysPastDueKey    = temporal.NewSearchAttributeKeyInt64("DaysPastDue")
	AmountDueKey      = temporal.NewSearchAttributeKeyInt64("AmountDue")
	RegionKey         = temporal.NewSearchAttributeKeyKeyword("Region")
	NextDeadlineKey   = temporal.NewSearchAttributeKeyTime("NextDeadline")
	// CaseFlagsKey is Casework's addition for operations: dispute-hold, paused,
	// deadline-missed (the pending action has missed a deadline), guardrail-violation.
	CaseFlagsKey = temporal.NewSearchAttributeKeyKeywordList("CaseFlags")
	// StrategyKey is the trial's arm the case was started under (set at the start).
	StrategyKey = temporal.NewSearchAttributeKeyKeyword("Strategy")
)

// The case flags.
const (
	FlagDisputeHold        = "dispute-hold"
	FlagPaused             = "paused"
	FlagDeadlineMissed     = "deadline-missed"
	FlagGuardrailViolation = "guardrail-violation"
)

// searchAttributeKeys are the workflow's typed keys, one for each of
// contract.SearchAttributes (a test holds them to it).
var searchAttributeKeys = []temporal.SearchAttributeKey{CaseStageKey, CaseOutcomeKey, PendingActionKey,
	AssignedAgentsKey, DaysPastDueKey, AmountDueKey, RegionKey, NextDeadlineKey, CaseFlagsKey, StrategyKey}

// searchAttrs is what the run last upserted, so that only changes are written.
type searchAttrs struct {
	stage, outcome, pending, region string
	agents, flags                   []string
	daysPastDue, amountDue          int64
	deadline                        time.Time
	set                             bool
	details                         string
}

// publish upserts the search attributes that changed and sets the one-line current details.
func (c *caseRun) publish() error {
	var next searchAttrs
	next.set = true
	next.stage, next.outcome, next.region = string(c.st.Stage), string(c.st.Outcome), c.st.Region
	next.daysPastDue, next.amountDue = int64(c.st.DaysPastDue), c.st.AmountDue-c.st.AmountPaid
	if p := c.st.Pending; p != nil {
		next.pending, next.deadline = p.Action, p.Deadline
		next.agents = append([]string(nil), p.Assignees...)
	}
	for _, role := range []string{contract.RolePhone, contract.RoleField} {
		for _, id := range c.st.Assigned[role] {
			if !slices.Contains(next.agents, id) {
				next.agents = append(next.agents, id)
			}
		}
	}
	slices.Sort(next.agents)
	next.flags = c.flags()
	prev := c.sa
	var ups []temporal.SearchAttributeUpdate
	if !prev.set || prev.stage != next.stage {
		ups = append(ups, CaseStageKey.ValueSet(next.stage))
	}
	if !prev.set || prev.outcome != next.outcome {
		ups = append(ups, CaseOutcomeKey.ValueSet(next.outcome))
	}
	if !prev.set || prev.pending != next.pending {
		ups = append(ups, PendingActionKey.ValueSet(next.pending))
	}
	if !prev.set || !slices.Equal(prev.agents, next.agents) {
		ups = append(ups, AssignedAgentsKey.ValueSet(next.agents))
	}
	if !prev.set || prev.region != next.region {
		ups = append(ups, RegionKey.ValueSet(next.region))
	}
	if !prev.set || prev.daysPastDue != next.daysPastDue {
		ups = append(ups, DaysPastDueKey.ValueSet(next.daysPastDue))
	}
	if !prev.set || prev.amountDue != next.amountDue {
		ups = append(ups, AmountDueKey.ValueSet(next.amountDue))
	}
	if !prev.set || !prev.deadline.Equal(next.deadline) {
		if next.deadline.IsZero() {
			ups = append(ups, NextDeadlineKey.ValueUnset())
		} else {
			ups = append(ups, NextDeadlineKey.ValueSet(next.deadline))
		}
	}
	// the flags came with version 1 of the case workflow: cases started before do not set them
	if c.changed(c.ctx, caseFlagsChange) && (!prev.set || !slices.Equal(prev.flags, next.flags)) {
		ups = append(ups, CaseFlagsKey.ValueSet(next.flags))
	}
	if len(ups) > 0 {
		if err := workflow.UpsertTypedSearchAttributes(c.ctx, ups...); err != nil {
			return fmt.Errorf("upsert search attributes of %s: %w", c.st.CaseID, err)
		}
	}
	next.details = c.details()
	if next.details != prev.details {
		workflow.SetCurrentDetails(c.ctx, next.details)
	}
	c.sa = next
	return nil
}

// publishBeforeBlocking publishes before the run blocks on something that ends the
// workflow task (a reminder's hand-off, a local activity's retry): a run on the code of
// allChanges publishes where it blocks rather than at each step it passes (sleepUntil),
// usually once a task; after an answer, with the step that follows (records.go). An
// upsert is seen only when its task completes, so no reader sees the difference; each one
// saved is an event and a visibility write. Runs begun before publish where they did.
func (c *caseRun) publishBeforeBlocking() error {
	if !c.latest {
		return nil
	}
	return c.publish()
}

// flags are the case's flags for operations' filters.
func (c *caseRun) flags() []string {
	flags := []string{}
	if c.st.Hold {
		flags = append(flags, FlagDisputeHold)
	}
	if c.st.Paused {
		flags = append(flags, FlagPaused)
	}
	if c.st.Pending != nil && c.st.Pending.Misses > 0 {
		flags = append(flags, FlagDeadlineMissed)
	}
	if c.st.Violations > 0 {
		flags = append(flags, FlagGuardrailViolation)
	}
	return flags
}

// details is the one line the Web UI shows of where the case stands.
//
//workflowcheck:ignore (formats into a strings.Builder)
func (c *caseRun) details() string {
	var b strings.Builder
	if c.st.Policy.Simulation {
		b.WriteString("SIMULATION · ")
	}
	fmt.Fprintf(&b, "%s", c.st.Stage)
	if c.st.Outcome != "" {
		fmt.Fprintf(&b, " (%s)", c.st.Outcome)
	}
	switch {
	case c.st.Hold:
		b.WriteString(" · DISPUTE HOLD: no contact until a supervisor resumes")
	case c.st.Paused:
		fmt.Fprintf(&b, " · PAUSED: %s", c.st.PauseReason)
	}
	if p := c.st.Pending; p != nil {
		fmt.Fprintf(&b, " · waiting for %s from %s by %s", p.Action, strings.Join(p.Assignees, ","), stamp(p.Deadline))
		if p.Misses > 0 {
			fmt.Fprintf(&b, " (%d missed)", p.Misses)
		}
	}
	fmt.Fprintf(&b, " · paid %d of %d %s", c.st.AmountPaid, c.st.AmountDue, c.st.Currency)
	if n := len(c.st.Anomalies); n > 0 {
		fmt.Fprintf(&b, " · %d anomalies", n)
	}
	return b.String()
}
