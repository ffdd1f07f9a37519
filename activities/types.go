package activities

import (
	"encoding/json"
	"time"

	"github.com/casework/casework/contract"
)

// ScreenRequest asks for an account's screening.
type ScreenRequest struct {
	CaseID    string          `json:"caseId"`
	AccountID string          `json:"accountId"`
	Overrides json.RawMessage `json:"overrides,omitempty"` // the case's policy overrides
	// FirstRunID names the case across its runs: the key of its records is given once
	// per first run id.
	FirstRunID string `json:"firstRunId,omitempty"`
}

// ScreenResult is the screening decision and the facts the workflow needs, all of them ids
// and numbers: no personal data.
type ScreenResult struct {
	Found       bool            `json:"found"`
	CaseKey     string          `json:"caseKey,omitempty"` // the case's key in PostgreSQL
	Selected    bool            `json:"selected"`
	Reason      string          `json:"reason"`
	Region      string          `json:"region"`
	Timezone    string          `json:"timezone"`
	Currency    string          `json:"currency"`
	AmountDue   int64           `json:"amountDue"`
	DaysPastDue int             `json:"daysPastDue"`
	AddressID   string          `json:"addressId"`
	PhoneID     string          `json:"phoneId"`
	Supervisors []string        `json:"supervisors"`
	Policy      contract.Policy `json:"policy"`                // the case's policy
	PolicyError string          `json:"policyError,omitempty"` // bad overrides, ignored
}

// AssignRequest asks for agents of a role in a region for a case.
type AssignRequest struct {
	CaseID  string   `json:"caseId"`
	Role    string   `json:"role"`
	Region  string   `json:"region"`
	Count   int      `json:"count"`
	Exclude []string `json:"exclude,omitempty"`
}

// Record kinds written by Persist.
const (
	RecordAudit     = "audit"
	RecordTaskOpen  = "task-open"
	RecordTaskClose = "task-close"
	RecordCase      = "case"
	RecordVisit     = "visit"
	RecordPlan      = "plan"
	RecordPayment   = "payment"
	RecordAlert     = "alert"
	RecordSurvey    = "survey"
	RecordSummary   = "summary"
)

// Record is one write of the business record. Key (the case id and the workflow's record
// sequence number) makes every write idempotent: a retried or replayed write of the same
// key changes nothing.
type Record struct {
	Key    string `json:"key"`
	Kind   string `json:"kind"`
	CaseID string `json:"caseId"`
	Seq    int    `json:"seq"`
	// Attempt names the workflow task attempt that made the record: the same on replay,
	// larger on a new attempt of a workflow task whose worker died. Runs begun on
	// all-changes-2026-11 version 2 name it by the workflow's time as the record is made
	// (Unix nanoseconds), older ones by the history's length when the task began (which a
	// task's later attempts share).
	Attempt int64     `json:"attempt"`
	At      time.Time `json:"at"`

	Audit   *AuditEntry               `json:"audit,omitempty"`
	Task    *Task                     `json:"task,omitempty"`
	Case    *CaseRow                  `json:"case,omitempty"`
	Visit   *contract.VisitReport     `json:"visit,omitempty"`
	Plan    *contract.Plan            `json:"plan,omitempty"`
	Payment *contract.PaymentReceived `json:"payment,omitempty"`
	Alert   *Alert                    `json:"alert,omitempty"`
	Survey  *contract.SurveyResult    `json:"survey,omitempty"`
	Summary *Summary                  `json:"summary,omitempty"`
}

// AuditEntry is one row of the append-only audit log: a contact attempt, a report, an
// action accepted or rejected, a guardrail violation.
type AuditEntry struct {
	Kind      string          `json:"kind"`
	Actor     string          `json:"actor"`
	Accepted  bool            `json:"accepted"`
	Reason    string          `json:"reason,omitempty"`
	Violation string          `json:"violation,omitempty"`
	Contact   bool            `json:"contact,omitempty"` // a contact attempt
	Detail    json.RawMessage `json:"detail,omitempty"`
}

// Task is an agent's inbox entry.
type Task struct {
	TaskID          string    `json:"taskId"`
	Action          string    `json:"action"`
	Role            string    `json:"role"`
	Assignees       []string  `json:"assignees"`
	Deadline        time.Time `json:"deadline"`
	NotBefore       time.Time `json:"notBefore,omitzero"`
	NotBeforeReason string    `json:"notBeforeReason,omitempty"`
	AddressID       string    `json:"addressId,omitempty"`
	Status          string    `json:"status"` // open, done, escalated, cancelled, expired
}

// CaseRow is the case's row: where it stands, for the back office and reports.
type CaseRow struct {
	AccountID     string           `json:"accountId"`
	Stage         contract.Stage   `json:"stage"`
	Outcome       contract.Outcome `json:"outcome"`
	PendingAction string           `json:"pendingAction"`
	Paused        bool             `json:"paused"`
	Hold          bool             `json:"hold"`
	AmountDue     int64            `json:"amountDue"`
	AmountPaid    int64            `json:"amountPaid"`
	Region        string           `json:"region"`
	Violations    int              `json:"violations"`
}

// Alert tells supervisors something needs them.
type Alert struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// Summary is written when a case closes, for reporting.
type Summary struct {
	AccountID      string                     `json:"accountId"`
	Outcome        contract.Outcome           `json:"outcome"`
	StartedAt      time.Time                  `json:"startedAt"`
	ClosedAt       time.Time                  `json:"closedAt"`
	StageSeconds   map[contract.Stage]float64 `json:"stageSeconds"`
	Contacts       int                        `json:"contacts"`
	Anomalies      map[string]int             `json:"anomalies"`
	AmountDue      int64                      `json:"amountDue"`
	AmountPaid     int64                      `json:"amountPaid"`
	Currency       string                     `json:"currency"`
	Region         string                     `json:"region"`
	Renegotiations int                        `json:"renegotiations"`
	Violations     int                        `json:"violations"`
	Simulation     bool                       `json:"simulation,omitempty"` // the deployment declared a simulation
	Strategy       string                     `json:"strategy,omitempty"`
	ModelVersion   int                        `json:"modelVersion,omitempty"`
	Visits         int                        `json:"visits,omitempty"`
}

// Batch is the records a case writes in one transaction.
type Batch struct {
	CaseID  string   `json:"caseId"`
	Records []Record `json:"records"`
}

// ReminderRequest asks for one reminder to go out, exactly once per Key.
type ReminderRequest struct {
	Key         string    `json:"key"`
	CaseKey     string    `json:"caseKey,omitempty"` // the case's key in PostgreSQL (CaseID when empty)
	Kind        string    `json:"kind,omitempty"`    // "" (a reminder) or "confirmation" (of a new plan)
	CaseID      string    `json:"caseId"`
	AccountID   string    `json:"accountId"`
	PhoneID     string    `json:"phoneId"`
	Channel     string    `json:"channel"`
	Installment int       `json:"installment"`
	DueDate     string    `json:"dueDate"`
	Amount      int64     `json:"amount"`
	Currency    string    `json:"currency"`
	ScheduledAt time.Time `json:"scheduledAt"`
	// NotAfter is the last moment the reminder may go out: the end of the contact window
	// it was scheduled in (or its due time, if earlier). Zero: no limit (older cases).
	NotAfter time.Time `json:"notAfter,omitzero"`
}

// ReminderResult says whether the reminder went out now, had gone out before, or was
// skipped at the hand-off (and why).
type ReminderResult struct {
	Sent        bool      `json:"sent"`
	AlreadySent bool      `json:"alreadySent"`
	SentAt      time.Time `json:"sentAt"`
	Skipped     bool      `json:"skipped,omitempty"`
	Reason      string    `json:"reason,omitempty"`
}
