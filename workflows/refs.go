package workflows

import (
	"github.com/casework/casework/activities"
	"github.com/casework/casework/contract"
)

// The ids each action names, for PostgreSQL to vouch for before the action is accepted:
// addresses and phones recorded for the case's account, agents active in the role the
// action needs (field agents at a visit with a badge number). Supervisors may act for
// phone and field agents.

func agentRef(field, id string, roles ...string) activities.AgentRef {
	return activities.AgentRef{Field: field, ID: id, Roles: roles}
}

func contactRefs(field, id string) []activities.ContactRef {
	if id == "" {
		return nil
	}
	return []activities.ContactRef{{Field: field, ID: id}}
}

func (c *caseRun) refsPhoneVerified(p *contract.PhoneVerified) activities.RefCheck {
	return activities.RefCheck{
		Agents:    []activities.AgentRef{agentRef("agentId", p.AgentID, contract.RolePhone, contract.RoleSupervisor)},
		Addresses: contactRefs("addressId", p.AddressID),
	}
}

func (c *caseRun) refsVisitReport(p *contract.VisitReport) activities.RefCheck {
	r := activities.RefCheck{Addresses: contactRefs("addressId", p.AddressID)}
	for _, id := range p.AgentIDs {
		r.Agents = append(r.Agents, agentRef("agentIds", id, contract.RoleField))
	}
	return r
}

func (c *caseRun) refsNegotiation(p *contract.NegotiationResult) activities.RefCheck {
	return activities.RefCheck{Agents: []activities.AgentRef{
		agentRef("agentId", p.AgentID, contract.RolePhone, contract.RoleField, contract.RoleSupervisor)}}
}

func (c *caseRun) refsAnomaly(p *contract.AnomalyReport) activities.RefCheck {
	return activities.RefCheck{
		Agents:    []activities.AgentRef{agentRef("reportedBy", p.ReportedBy, contract.RolePhone, contract.RoleField, contract.RoleSupervisor)},
		Addresses: contactRefs("addressId", p.AddressID),
		Phones:    contactRefs("phoneId", p.PhoneID),
	}
}

func (c *caseRun) refsSurvey(p *contract.SurveyResult) activities.RefCheck {
	return activities.RefCheck{Agents: []activities.AgentRef{agentRef("agentId", p.AgentID, contract.RolePhone, contract.RoleSupervisor)}}
}

func (c *caseRun) refsSupervisor(p *contract.SupervisorAction) activities.RefCheck {
	return activities.RefCheck{Agents: []activities.AgentRef{agentRef("by", p.By, contract.RoleSupervisor)}}
}

func (c *caseRun) refsReassign(p *contract.Reassign) activities.RefCheck {
	r := activities.RefCheck{Agents: []activities.AgentRef{agentRef("by", p.By, contract.RoleSupervisor)}}
	for _, id := range p.AgentIDs {
		r.Agents = append(r.Agents, agentRef("agentIds", id, p.Role))
	}
	return r
}
