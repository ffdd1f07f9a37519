package contract

import (
	"encoding/json"
	"time"
)

// Status is the whole state of a case: what the status query returns and what a run hands
// to the next one at continue-as-new. It carries ids and amounts, never personal data.
type Status struct {
	CaseID            string              `json:"caseId"`
	CaseKey           string              `json:"caseKey,omitempty"` // the case's key in PostgreSQL: caseId, or caseId#n for an account's n-th case
	AccountID         string              `json:"accountId"`
	Stage             Stage               `json:"stage"`
	Outcome           Outcome             `json:"outcome"`
	Paused            bool                `json:"paused"`
	PauseReason       string              `json:"pauseReason,omitempty"`
	Hold              bool                `json:"hold"` // dispute hold: no collection contact
	Pending           *Pending            `json:"pending"`
	VerifiedAddressID string              `json:"verifiedAddressId"`
	AddressOnFile     string              `json:"addressOnFile"` // the address a phone-verify call confirms
	PhoneID           string              `json:"phoneId,omitempty"`
	AmountDue         int64               `json:"amountDue"`
	AmountPaid        int64               `json:"amountPaid"`
	Currency          string              `json:"currency"`
	Region            string              `json:"region"`
	Timezone          string              `json:"timezone"`
	DaysPastDue       int                 `json:"daysPastDue"`
	AssessedCapacity  int64               `json:"assessedCapacity"`
	Plan              *Plan               `json:"plan"`
	Anomalies         []AnomalyRecord     `json:"anomalies"`
	Timeline          []TimelineEntry     `json:"timeline"`
	TimelineDropped   int                 `json:"timelineDropped,omitempty"`
	Assigned          map[string][]string `json:"assigned"`
	Supervisors       []string            `json:"supervisors"`
	PhoneAttempts     int                 `json:"phoneAttempts"`
	Renegotiations    int                 `json:"renegotiations"`
	Calls             []time.Time         `json:"calls"`
	LastConversation  time.Time           `json:"lastConversation,omitzero"`
	CallbackRequested bool                `json:"callbackRequested,omitempty"`
	Contacts          int                 `json:"contacts"`
	Violations        int                 `json:"violations"`
	PaymentIDs        []string            `json:"paymentIds"`
	StageSeconds      map[Stage]float64   `json:"stageSeconds"`
	StageSince        time.Time           `json:"stageSince"`
	Survey            *SurveyResult       `json:"survey,omitempty"`
	StartedAt         time.Time           `json:"startedAt"`
	ClosedAt          time.Time           `json:"closedAt,omitzero"`
	Epoch             time.Time           `json:"epoch"` // start of the case calendar
	Policy            Policy              `json:"policy"`
	Seq               int                 `json:"seq"` // records written so far (idempotency keys)
	Runs              int                 `json:"runs"`
	Strategy          string              `json:"strategy,omitempty"`     // the trial's arm it was started under
	ContactPath       string              `json:"contactPath,omitempty"`  // PathVisitFirst when empty
	ModelVersion      int                 `json:"modelVersion,omitempty"` // the score's model that ranked it
	Visits            int                 `json:"visits,omitempty"`       // field visits reported
	CaseDate          string              `json:"caseDate,omitempty"`     // debtor-local date now
}

// Pending is what the case waits for now.
type Pending struct {
	Action          string    `json:"action"`
	Role            string    `json:"role"`
	Assignees       []string  `json:"assignees"`
	Deadline        time.Time `json:"deadline"`
	NotBefore       time.Time `json:"notBefore,omitzero"`
	NotBeforeReason string    `json:"notBeforeReason,omitempty"`
	Since           time.Time `json:"since"`
	Misses          int       `json:"misses"`
	TaskID          string    `json:"taskId"`
	AddressID       string    `json:"addressId,omitempty"` // where a visit may go
}

// Plan is an agreed repayment plan.
type Plan struct {
	Number       int           `json:"number"`
	AgreedAt     time.Time     `json:"agreedAt"`
	AgreedBy     string        `json:"agreedBy"`
	Settlement   bool          `json:"settlement,omitempty"` // the balance at once (negotiated paid-in-full)
	Confirmed    bool          `json:"confirmed,omitempty"`  // the plan's confirmation message is done
	Installments []Installment `json:"installments"`
}

// Installment is one installment of a plan and what has been paid towards it.
type Installment struct {
	DueDate  string    `json:"dueDate"`
	Amount   int64     `json:"amount"`
	Paid     int64     `json:"paid"`
	DueAt    time.Time `json:"dueAt"`    // end of the due date, debtor-local, in real time
	Reminded int       `json:"reminded"` // reminders of the policy already handled
	Missed   bool      `json:"missed"`
}

// AnomalyRecord is one anomaly of the case.
type AnomalyRecord struct {
	At    time.Time `json:"at"`
	Kind  string    `json:"kind"`
	By    string    `json:"by"`
	Stage Stage     `json:"stage"`
	Route string    `json:"route"` // what the policy did
}

// TimelineEntry is one thing that happened to the case.
type TimelineEntry struct {
	At        time.Time `json:"at"`
	Kind      string    `json:"kind"`
	By        string    `json:"by"`
	Accepted  bool      `json:"accepted"`
	Reason    string    `json:"reason,omitempty"`
	Violation string    `json:"violation,omitempty"`
}

// CaseInput starts a case: the account and optional policy overrides. A run continued as
// new carries the state in State.
type CaseInput struct {
	AccountID string          `json:"accountId"`
	Policy    json.RawMessage `json:"policy,omitempty"`
	Strategy  *StrategyRef    `json:"strategy,omitempty"`
	State     *Status         `json:"state,omitempty"`
}
