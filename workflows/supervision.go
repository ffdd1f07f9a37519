package workflows

import (
	"fmt"
	"slices"

	"github.com/casework/casework/contract"
)

// review is the wait of a paused case (a supervisor's pause, a complaint, a dispute hold,
// hardship, repeated missed deadlines): the supervisors are asked to resume or close it,
// and told again each time the review deadline passes.
func (c *caseRun) review() error {
	_, err := c.await(wait{
		action: contract.ActionResume, role: contract.RoleSupervisor, assignees: c.st.Supervisors,
		deadline: c.st.Policy.ReviewDeadline, onMiss: remind,
	})
	return err
}

// staff makes sure n agents of the role are assigned to the case. When the region has too
// few, the case waits for a supervisor to assign them, and staffed is false.
func (c *caseRun) staff(role string, n int) (staffed bool, err error) {
	if len(c.st.Assigned[role]) >= n {
		return true, nil
	}
	ids, err := c.assign(role, n, nil)
	if err != nil {
		return false, err
	}
	if len(ids) < n {
		return false, c.staffing(role, n)
	}
	c.st.Assigned[role] = ids
	return true, nil
}

// staffing waits for a supervisor to reassign the role when too few active agents of the
// region could be assigned.
func (c *caseRun) staffing(role string, need int) error {
	c.alert("staffing", fmt.Sprintf("fewer than %d active %s agents in region %s", need, role, c.st.Region))
	_, err := c.await(wait{
		action: contract.ActionReassign, role: contract.RoleSupervisor, assignees: c.st.Supervisors,
		deadline: c.st.Policy.ReviewDeadline, onMiss: remind,
	})
	return err
}

func (c *caseRun) checkSupervisor(action, by string) error {
	if !slices.Contains(c.st.Supervisors, by) {
		return contract.Reject(action, "by", "%s is not a supervisor", by)
	}
	return nil
}

func (c *caseRun) checkPause(p *contract.SupervisorAction) error {
	if err := c.checkSupervisor(contract.ActionPause, p.By); err != nil {
		return err
	}
	if c.st.Paused {
		return contract.Reject(contract.ActionPause, "case", "is already paused (%s)", c.st.PauseReason)
	}
	return nil
}

func (c *caseRun) applyPause(p *contract.SupervisorAction) string {
	c.event(contract.ActionPause, p.By, true, p.Reason, "", false, p)
	c.pause(p.By, p.Reason)
	return "paused"
}

// pause stops the current step until a supervisor resumes.
func (c *caseRun) pause(by, reason string) {
	c.st.Paused, c.st.PauseReason = true, reason
	c.endPending("cancelled")
}

func (c *caseRun) checkResume(p *contract.SupervisorAction) error {
	if err := c.checkSupervisor(contract.ActionResume, p.By); err != nil {
		return err
	}
	if !c.st.Paused {
		return contract.Reject(contract.ActionResume, "case", "is not paused")
	}
	return nil
}

// applyResume ends a pause or a dispute hold: the step it stopped starts again.
func (c *caseRun) applyResume(p *contract.SupervisorAction) string {
	c.event(contract.ActionResume, p.By, true, p.Reason, "", false, p)
	c.st.Paused, c.st.PauseReason, c.st.Hold = false, "", false
	c.endPending("done")
	return "resumed in " + string(c.st.Stage)
}

func (c *caseRun) checkReassign(p *contract.Reassign) error {
	if err := c.checkSupervisor(contract.ActionReassign, p.By); err != nil {
		return err
	}
	if p.Role == contract.RoleField && len(p.AgentIDs) < c.st.Policy.MinFieldAgents {
		return contract.Reject(contract.ActionReassign, "agentIds", "a visit needs at least %d field agents, got %d", c.st.Policy.MinFieldAgents, len(p.AgentIDs))
	}
	return nil
}

// applyReassign gives the role's part of the case to the agents named; an open task of
// that role goes to them, and a case waiting for staff goes on.
func (c *caseRun) applyReassign(p *contract.Reassign) string {
	c.event(contract.ActionReassign, p.By, true, fmt.Sprintf("%s -> %v", p.Role, p.AgentIDs), "", false, p)
	c.st.Assigned[p.Role] = append([]string(nil), p.AgentIDs...)
	switch pend := c.st.Pending; {
	case pend == nil:
	case pend.Action == contract.ActionReassign:
		c.endPending("done")
	case pend.Role == p.Role:
		pend.Assignees = append([]string(nil), p.AgentIDs...)
		if p.Role == contract.RolePhone && c.st.Stage == contract.StageNegotiate {
			pend.Assignees = append(pend.Assignees, c.st.Assigned[contract.RoleField]...)
		}
		c.writeTask(pend, "open")
	}
	return fmt.Sprintf("%s agents now %v", p.Role, p.AgentIDs)
}

func (c *caseRun) checkClose(p *contract.SupervisorAction) error {
	return c.checkSupervisor(contract.ActionClose, p.By)
}

func (c *caseRun) applyClose(p *contract.SupervisorAction) string {
	c.event(contract.ActionClose, p.By, true, p.Reason, "", false, p)
	if c.st.Stage == contract.StageSurvey { // resolved already: the close ends the survey
		c.setStage(contract.StageClosed)
		return "survey ended; closed " + string(c.st.Outcome)
	}
	c.closeCase(contract.OutcomeClosedBySupervisor, p.By, p.Reason)
	return "closed by supervisor"
}
