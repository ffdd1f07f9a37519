// Package activities holds Casework's activities: everything the case workflow does to the
// outside world, on a struct that holds the dependencies (the PostgreSQL pool, the
// notifier, the deployment's policy). Every write is idempotent: keyed by the workflow's
// record sequence or the reminder's outbox key, a retried activity writes once.
package activities

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casework/casework/contract"
	"github.com/casework/casework/notify"
)

// Activities are the case workflow's activities.
type Activities struct {
	DB       *pgxpool.Pool
	Notifier notify.Notifier
	Policy   contract.Policy // the deployment's policy; cases may override it
}
