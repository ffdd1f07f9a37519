package contract

// Casework's own Prometheus metrics, emitted through the Temporal SDK's metrics handler
// (never during replay) and served by bin/worker beside the SDK's worker metrics.
const (
	MetricCasesStarted  = "casework_cases_started"
	MetricCasesClosed   = "casework_cases_closed"   // tag outcome
	MetricActions       = "casework_human_actions"  // tags action, via (update, signal), result (accepted, rejected)
	MetricRemindersSent = "casework_reminders_sent" // tag channel
)
