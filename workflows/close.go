package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
)

// closeCase fixes the outcome. A repaid case goes to the callback survey; any other closes.
func (c *caseRun) closeCase(outcome contract.Outcome, by, reason string) {
	if c.st.Outcome != contract.OutcomeNone {
		return
	}
	c.st.Outcome = outcome
	c.st.Paused, c.st.PauseReason = false, ""
	c.event("outcome", by, true, fmt.Sprintf("%s: %s", outcome, reason), "", false, nil)
	if outcome.Resolved() {
		c.setStage(contract.StageSurvey)
		return
	}
	c.setStage(contract.StageClosed)
}

// finish writes the case summary for reporting and the final search attributes.
func (c *caseRun) finish() error {
	// actions still being checked finish first (refused now: the case is closed), so
	// that their records are in the summary's batch
	if err := workflow.Await(c.ctx, func() bool { return workflow.AllHandlersFinished(c.ctx) && c.admitting == 0 }); err != nil {
		return fmt.Errorf("finish handlers before closing: %w", err)
	}
	// from here every write is made in its task: a signal taken up while a write's
	// activity was under way would queue records after the last write
	c.ending = true
	now := c.now()
	c.endPending("cancelled")
	c.st.ClosedAt = now
	anomalies := map[string]int{}
	for _, an := range c.st.Anomalies {
		anomalies[an.Kind]++
	}
	c.record(activities.Record{Kind: activities.RecordSummary, Summary: &activities.Summary{
		AccountID: c.st.AccountID, Outcome: c.st.Outcome, StartedAt: c.st.StartedAt, ClosedAt: now,
		StageSeconds: c.st.StageSeconds, Contacts: c.st.Contacts, Anomalies: anomalies,
		AmountDue: c.st.AmountDue, AmountPaid: c.st.AmountPaid, Currency: c.st.Currency, Region: c.st.Region,
		Renegotiations: c.st.Renegotiations, Violations: c.st.Violations, Simulation: c.st.Policy.Simulation,
		Strategy: c.st.Strategy, ModelVersion: c.st.ModelVersion, Visits: c.st.Visits,
	}})
	if err := c.sync(); err != nil {
		return err
	}
	workflow.GetMetricsHandler(c.ctx).WithTags(map[string]string{"outcome": string(c.st.Outcome)}).Counter(contract.MetricCasesClosed).Inc(1)
	workflow.GetLogger(c.ctx).Info("case closed", "case", c.st.CaseID, "outcome", c.st.Outcome)
	return nil
}
