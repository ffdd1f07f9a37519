package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casework/casework/contract"
)

// Alert is what a case told the supervisors.
type Alert = contract.Alert

// Alerts lists the alerts, newest first: those not yet acknowledged, or all (at most 500).
func Alerts(ctx context.Context, db *pgxpool.Pool, all bool) ([]Alert, error) {
	rows, err := db.Query(ctx, `SELECT alert_key, case_id, kind, message, created_at, coalesce(acknowledged_by, ''), acknowledged_at
		FROM alerts WHERE $1 OR acknowledged_at IS NULL ORDER BY created_at DESC LIMIT 500`, all)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	alerts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Alert, error) {
		var a Alert
		err := row.Scan(&a.Key, &a.CaseID, &a.Kind, &a.Message, &a.CreatedAt, &a.AcknowledgedBy, &a.AcknowledgedAt)
		a.CaseID = contract.WorkflowIDOfCaseKey(a.CaseID)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return alerts, nil
}

// ErrAcknowledged is an alert acknowledged before: it is acknowledged once.
var ErrAcknowledged = errors.New("already acknowledged")

// Acknowledge marks an alert seen by a supervisor, once, and writes that to the audit log.
func Acknowledge(ctx context.Context, db *pgxpool.Pool, key, by string) (Alert, error) {
	var a Alert
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE alerts SET acknowledged_by = $2, acknowledged_at = now()
			WHERE alert_key = $1 AND acknowledged_at IS NULL
			RETURNING alert_key, case_id, kind, message, created_at, acknowledged_by, acknowledged_at`, key, by).
			Scan(&a.Key, &a.CaseID, &a.Kind, &a.Message, &a.CreatedAt, &a.AcknowledgedBy, &a.AcknowledgedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM alerts WHERE alert_key = $1)`, key).Scan(&exists); err != nil {
				return err
			}
			if exists {
				return ErrAcknowledged
			}
			return pgx.ErrNoRows
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (record_key, case_id, at, kind, actor, accepted, reason)
			VALUES ($1, $2, now(), 'alert-acknowledged', $3, true, $4)`, "ack/"+a.Key, a.CaseID, by, a.Kind+": "+a.Message)
		return err
	})
	a.CaseID = contract.WorkflowIDOfCaseKey(a.CaseID)
	return a, err
}

// alerts lists the alerts for a supervisor (?all=true: acknowledged ones too).
func (s *Server) alerts(w http.ResponseWriter, r *http.Request, who Agent) {
	if who.Role != contract.RoleSupervisor {
		writeError(w, http.StatusForbidden, fmt.Sprintf("%s is not a supervisor: alerts are for supervisors", who.ID), nil)
		return
	}
	list, err := Alerts(r.Context(), s.DB, r.URL.Query().Get("all") == "true")
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": list})
}

// acknowledge: a supervisor acknowledges an alert, once ({"alertKey": "..."}).
func (s *Server) acknowledge(w http.ResponseWriter, r *http.Request, who Agent) {
	if who.Role != contract.RoleSupervisor {
		writeError(w, http.StatusForbidden, fmt.Sprintf("%s is not a supervisor: alerts are for supervisors", who.ID), nil)
		return
	}
	var req struct {
		AlertKey string `json:"alertKey"`
	}
	if !s.readJSON(w, r, &req) {
		return
	}
	if err := contract.ValidText("alertKey", req.AlertKey, 300); err != nil || req.AlertKey == "" {
		writeError(w, http.StatusUnprocessableEntity, "alertKey is required", []*contract.FieldError{contract.Invalid("alertKey", "is required")})
		return
	}
	a, err := Acknowledge(r.Context(), s.DB, req.AlertKey, who.ID)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		writeError(w, http.StatusNotFound, "no alert "+req.AlertKey, nil)
	case errors.Is(err, ErrAcknowledged):
		writeError(w, http.StatusConflict, "alert "+req.AlertKey+" is already acknowledged", nil)
	case err != nil:
		s.internal(w, r, err)
	default:
		writeJSON(w, http.StatusOK, a)
	}
}
