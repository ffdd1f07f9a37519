package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
)

// screen re-reads the account and decides: selected for field collection, or closed
// not-selected with the reason. It also fixes the case's policy: the deployment's, with
// this case's overrides on top, as the screen activity resolved them.
func (c *caseRun) screen() error {
	var res activities.ScreenResult
	req := activities.ScreenRequest{CaseID: c.st.CaseID, AccountID: c.st.AccountID, Overrides: c.in.Policy,
		FirstRunID: workflow.GetInfo(c.ctx).FirstRunID}
	if err := c.runLocal("Screen", a.Screen, req, &res); err != nil {
		return fmt.Errorf("screen %s: %w", c.st.CaseID, err)
	}
	if res.PolicyError != "" { // bad overrides must not strand the case: it runs on the deployment's policy
		c.event("policy", "starter", false, res.PolicyError, "", false, nil)
	}
	if res.CaseKey != "" {
		c.st.CaseKey = res.CaseKey
	}
	c.st.Policy = res.Policy
	c.st.Region, c.st.Timezone, c.st.Currency = res.Region, res.Timezone, res.Currency
	c.st.AmountDue, c.st.DaysPastDue = res.AmountDue, res.DaysPastDue
	c.st.PhoneID, c.st.Supervisors = res.PhoneID, res.Supervisors
	c.st.Assigned = map[string][]string{}
	c.st.AddressOnFile = res.AddressID
	if res.Timezone == "" {
		c.st.Timezone = "UTC"
	}
	if err := c.setClock(); err != nil {
		c.event("screen", "workflow", false, err.Error(), "", false, nil)
		c.st.Timezone = "UTC"
		if err := c.setClock(); err != nil {
			return err
		}
	}
	c.event("screen", "workflow", res.Selected, res.Reason, "", false, nil)
	workflow.GetMetricsHandler(c.ctx).Counter(contract.MetricCasesStarted).Inc(1)
	if !res.Selected {
		c.closeCase(contract.OutcomeNotSelected, "workflow", res.Reason)
		return nil
	}
	c.setStage(contract.StagePhoneVerify)
	return nil
}
