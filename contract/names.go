// Package contract holds the names, payloads, rules and state shape that every Casework
// client relies on: the task queue, workflow type and ID, the human actions (each one an
// update and a signal with the same name and JSON), the status query and the policy. It is
// the Go form of ../shared/DESIGN.md; the workflow, the activities and every tool import it.
package contract

import (
	"fmt"
	"strings"
)

// Names every client relies on.
const (
	TaskQueue    = "casework"
	WorkflowType = "CaseWorkflow"
	StatusQuery  = "status"
)

// Human actions' names. Each is accepted as a workflow update and as a signal with the same
// name; Table says everything else about them.
const (
	ActionPhoneVerified     = "phone-verified"
	ActionVisitReport       = "visit-report"
	ActionNegotiationResult = "negotiation-result"
	ActionPaymentReceived   = "payment-received"
	ActionAnomaly           = "anomaly"
	ActionSurveyResult      = "survey-result"
	ActionPause             = "pause"
	ActionResume            = "resume"
	ActionReassign          = "reassign"
	ActionClose             = "close"
)

// Stage is where a case stands in the process.
type Stage string

// The stages, in process order.
const (
	StageScreen      Stage = "screen"
	StagePhoneVerify Stage = "phone-verify"
	StageVisit       Stage = "visit"
	StageNegotiate   Stage = "negotiate"
	StageRepayment   Stage = "repayment"
	StageSurvey      Stage = "survey"
	StageClosed      Stage = "closed"
)

// Outcome is how a case ended.
type Outcome string

// The outcomes of DESIGN.md.
const (
	OutcomeNone               Outcome = ""
	OutcomeNotSelected        Outcome = "not-selected"
	OutcomePaidInFull         Outcome = "paid-in-full"
	OutcomePlanCompleted      Outcome = "plan-completed"
	OutcomeLegalReferral      Outcome = "legal-referral"
	OutcomeUnreachable        Outcome = "unreachable"
	OutcomeDeceased           Outcome = "deceased"
	OutcomeBankruptcy         Outcome = "bankruptcy"
	OutcomeClosedBySupervisor Outcome = "closed-by-supervisor"
)

// Resolved reports whether the outcome is a repaid debt (the case gets a callback survey).
func (o Outcome) Resolved() bool { return o == OutcomePaidInFull || o == OutcomePlanCompleted }

// Anomaly kinds. The first six are reported by people; the workflow raises the others.
const (
	AnomalyContactChanged = "contact-changed"
	AnomalyRefusedToPay   = "refused-to-pay"
	AnomalyDispute        = "dispute"
	AnomalyComplaint      = "complaint"
	AnomalyDeceased       = "deceased"
	AnomalyBankruptcy     = "bankruptcy"
	AnomalyUnreachable    = "unreachable"
	AnomalyMissedPayment  = "missed-payment"
	AnomalyDeadlineMissed = "deadline-missed"
	AnomalyHardship       = "hardship"
)

// ReportedAnomalyKinds are the kinds a person may report with the anomaly action.
var ReportedAnomalyKinds = []string{
	AnomalyContactChanged, AnomalyRefusedToPay, AnomalyDispute, AnomalyComplaint,
	AnomalyDeceased, AnomalyBankruptcy,
}

// Agent roles.
const (
	RolePhone      = "phone"
	RoleField      = "field"
	RoleSupervisor = "supervisor"
)

// WorkflowID is the ID of the case workflow of an account: at most one open case per account.
func WorkflowID(accountID string) string { return "case-" + accountID }

// WorkflowIDOfCaseKey returns the workflow ID of a case's key in PostgreSQL: the key of an
// account's first case is its workflow ID, a later case's is "<workflow ID>#<n>".
func WorkflowIDOfCaseKey(key string) string {
	id, _, _ := strings.Cut(key, "#")
	return id
}

// AccountFromWorkflowID returns the account of a case workflow ID.
func AccountFromWorkflowID(id string) (string, error) {
	acc, ok := strings.CutPrefix(id, "case-")
	if !ok || acc == "" {
		return "", fmt.Errorf("workflow id %q: not a case id (want case-<accountId>)", id)
	}
	return acc, nil
}
