package workflows

import (
	"fmt"

	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
)

// survey opens the callback survey task some days after resolution and waits for
// survey-result until its deadline; then the case closes, with or without a survey.
func (c *caseRun) survey() error {
	if staffed, err := c.staff(contract.RolePhone, 1); !staffed {
		return err
	}
	at := c.st.StageSince.Add(c.st.Policy.Real(c.st.Policy.SurveyDelay))
	expired, err := c.await(wait{
		action: contract.ActionSurveyResult, role: contract.RolePhone, assignees: c.st.Assigned[contract.RolePhone],
		deadline: c.st.Policy.SurveyDeadline, contact: true, notBefore: at,
		reason: "the callback survey starts " + c.st.Policy.SurveyDelay.D().String() + " of case time after resolution",
		onMiss: expire,
	})
	if err != nil {
		return err
	}
	if expired {
		c.event(contract.ActionSurveyResult, "workflow", false, "survey deadline passed without a result", "", false, nil)
	}
	if c.st.Stage == contract.StageSurvey && (expired || c.st.Survey != nil) {
		c.setStage(contract.StageClosed)
	}
	return nil
}

func (c *caseRun) checkSurvey(p *contract.SurveyResult) error {
	if c.st.Stage != contract.StageSurvey || c.st.Pending == nil || c.st.Pending.Action != contract.ActionSurveyResult {
		return contract.Reject(contract.ActionSurveyResult, "case", "has no open survey (stage %s)", c.st.Stage)
	}
	if !c.isAssigned(p.AgentID, contract.RolePhone) {
		return contract.Reject(contract.ActionSurveyResult, "agentId", "%s is not the phone agent of this case", p.AgentID)
	}
	return nil
}

func (c *caseRun) applySurvey(p *contract.SurveyResult) string {
	c.st.Survey = p
	c.st.Contacts++
	c.event(contract.ActionSurveyResult, p.AgentID, true, fmt.Sprintf("reached %t, satisfaction %d", p.Reached, p.Satisfaction), "", true, p)
	c.record(activities.Record{Kind: activities.RecordSurvey, Survey: p})
	if p.Complaint {
		c.alert("complaint", "complaint raised in the callback survey")
	}
	c.endPending("done")
	return "survey recorded"
}
