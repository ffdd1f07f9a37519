package contract

import "time"

// The agents' API's answers that tools read (the server is package httpapi, the CLI
// bin/agent): one definition for both sides.

// Task is one entry of an agent's inbox (GET /v1/inbox).
type Task struct {
	CaseID          string     `json:"caseId"`
	Action          string     `json:"action"`
	Deadline        time.Time  `json:"deadline"`
	NotBefore       *time.Time `json:"notBefore,omitempty"`
	NotBeforeReason string     `json:"notBeforeReason,omitempty"`
	AddressID       string     `json:"addressId,omitempty"`
}

// ContactCheck is the answer of the contact check (GET /v1/cases/{case}/contact): whether
// the agent may start a call or a visit now, and if not, from when (absent: not at all
// for now) and why.
type ContactCheck struct {
	CaseID  string     `json:"caseId"`
	Channel string     `json:"channel"`
	Allowed bool       `json:"allowed"`
	From    *time.Time `json:"from,omitempty"`
	Reason  string     `json:"reason,omitempty"`
	Pending *Pending   `json:"pending,omitempty"`
}

// Alert is what a case told the supervisors (GET /v1/alerts): a missed deadline, a
// guardrail violation, an anomaly, staffing, a record set aside.
type Alert struct {
	Key            string     `json:"alertKey"`
	CaseID         string     `json:"caseId"`
	Kind           string     `json:"kind"`
	Message        string     `json:"message"`
	CreatedAt      time.Time  `json:"createdAt"`
	AcknowledgedBy string     `json:"acknowledgedBy,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledgedAt,omitempty"`
}

// ActionResult is the answer to an accepted action (the update's result, and the API's).
type ActionResult struct {
	Accepted bool    `json:"accepted"`
	Message  string  `json:"message"`
	Stage    Stage   `json:"stage"`
	Outcome  Outcome `json:"outcome"`
	Paused   bool    `json:"paused"`
}
