package contract

// Payloads of the human actions. The same JSON is accepted as an update and as a signal.
// Unknown fields are an error (see Decode). Times are RFC 3339 strings, dates YYYY-MM-DD,
// money an integer in minor units. No payload carries personal data: addresses and phones
// travel as the ids of rows the agent's tool recorded in PostgreSQL.

// Phone-verify outcomes.
const (
	PhoneConfirmed      = "confirmed"
	PhoneAddressChanged = "address-changed"
	PhoneUnreachable    = "unreachable"
	PhoneWrongParty     = "wrong-party"
	PhoneRefused        = "refused"
)

// PhoneOutcomes lists the outcomes of a phone-verify call.
var PhoneOutcomes = []string{PhoneConfirmed, PhoneAddressChanged, PhoneUnreachable, PhoneWrongParty, PhoneRefused}

// PhoneVerified is the result of a phone-verify call.
type PhoneVerified struct {
	AgentID   string `json:"agentId"`
	CalledAt  string `json:"calledAt"`
	Outcome   string `json:"outcome"`
	AddressID string `json:"addressId,omitempty"`
	// DebtorAskedCallback records that the debtor asked to be called again: the 7-day
	// pause after a conversation (Regulation F 1006.14(b)(2)) does not apply to that call.
	// An extension of DESIGN.md; see the README.
	DebtorAskedCallback bool   `json:"debtorAskedCallback,omitempty"`
	Note                string `json:"note,omitempty"`
}

// Willingness levels observed at a visit.
const (
	WillingnessHigh   = "high"
	WillingnessMedium = "medium"
	WillingnessLow    = "low"
	WillingnessNone   = "none"
)

// WillingnessLevels lists the willingness levels.
var WillingnessLevels = []string{WillingnessHigh, WillingnessMedium, WillingnessLow, WillingnessNone}

// VisitReport is the field visit's report, signed by the (two or more) agents who went.
type VisitReport struct {
	AgentIDs         []string `json:"agentIds"`
	BadgesShown      bool     `json:"badgesShown"`
	VisitedAt        string   `json:"visitedAt"`
	AddressID        string   `json:"addressId"`
	DebtorMet        bool     `json:"debtorMet"`
	LivingConditions string   `json:"livingConditions,omitempty"`
	Employment       string   `json:"employment,omitempty"`
	MonthlyCapacity  int64    `json:"monthlyCapacity"`
	Willingness      string   `json:"willingness"`
	Note             string   `json:"note,omitempty"`
}

// Negotiation outcomes.
const (
	NegotiationPlanAgreed = "plan-agreed"
	NegotiationPaidInFull = "paid-in-full"
	NegotiationRefused    = "refused"
	NegotiationHardship   = "hardship"
	NegotiationDispute    = "dispute"
)

// NegotiationOutcomes lists the outcomes of a negotiation.
var NegotiationOutcomes = []string{NegotiationPlanAgreed, NegotiationPaidInFull, NegotiationRefused, NegotiationHardship, NegotiationDispute}

// PlanInstallment is one installment of an agreed plan as the negotiator sends it.
type PlanInstallment struct {
	DueDate string `json:"dueDate"`
	Amount  int64  `json:"amount"`
}

// NegotiationResult is the result of a negotiation.
type NegotiationResult struct {
	AgentID                    string            `json:"agentId"`
	Outcome                    string            `json:"outcome"`
	LegalConsequencesExplained bool              `json:"legalConsequencesExplained"`
	Installments               []PlanInstallment `json:"installments,omitempty"`
	Note                       string            `json:"note,omitempty"`
}

// PaymentReceived is a payment from the debtor; PaymentID is its idempotency key.
type PaymentReceived struct {
	PaymentID string `json:"paymentId"`
	Amount    int64  `json:"amount"`
	PaidAt    string `json:"paidAt"`
	Channel   string `json:"channel"`
}

// AnomalyReport is an anomaly reported by a person.
type AnomalyReport struct {
	Kind       string `json:"kind"`
	ReportedBy string `json:"reportedBy"`
	PhoneID    string `json:"phoneId,omitempty"`
	AddressID  string `json:"addressId,omitempty"`
	Note       string `json:"note,omitempty"`
}

// SurveyResult is the callback survey's result.
type SurveyResult struct {
	AgentID      string `json:"agentId"`
	Reached      bool   `json:"reached"`
	Satisfaction int    `json:"satisfaction,omitempty"`
	Complaint    bool   `json:"complaint"`
	Comments     string `json:"comments,omitempty"`
}

// SupervisorAction is the payload of pause, resume and close.
type SupervisorAction struct {
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// Reassign gives a role's part of a case to other agents.
type Reassign struct {
	By       string   `json:"by"`
	Role     string   `json:"role"`
	AgentIDs []string `json:"agentIds"`
}
