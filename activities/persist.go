package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Persist writes a case's records in one transaction. Each record is keyed by the case,
// the workflow's sequence and the workflow task attempt that made it, so a retried batch
// writes nothing twice: inserts of a key that exists do nothing, and the mutable rows
// (case, task, installments) take the values the workflow computed, the same on every
// retry. A batch first voids what a lost attempt of a workflow task wrote before it.
func (a *Activities) Persist(ctx context.Context, b Batch) error {
	err := a.persist(ctx, b, false)
	if isDataError(err) {
		// a record PostgreSQL refuses for its data would be refused on every retry: write
		// the batch again record by record, setting aside the refused ones with an alert
		err = a.persist(ctx, b, true)
	}
	if err != nil {
		return fmt.Errorf("persist %d records of %s: %w", len(b.Records), b.CaseID, err)
	}
	return nil
}

// persist writes the batch. Normally every statement goes to PostgreSQL at once, in one
// round trip (a pipeline, which runs as one implicit transaction: all or nothing; the
// first time a connection meets a statement, one more round trip prepares it): the answer
// to an update that waits for its records waits for one round trip, not one per record.
// Setting aside, each record goes in a savepoint of its own.
func (a *Activities) persist(ctx context.Context, b Batch, setAside bool) error {
	if !setAside {
		q := &pgx.Batch{}
		var what []string // what each queued statement writes, for the error
		if len(b.Records) > 0 {
			queueVoid(q, b.CaseID, b.Records[0])
			what = append(what, "void records of lost attempts")
		}
		for _, r := range b.Records {
			n, err := queueRecord(q, r)
			if err != nil {
				return fmt.Errorf("record %s (%s): %w", r.Key, r.Kind, err)
			}
			for range n {
				what = append(what, fmt.Sprintf("record %s (%s)", r.Key, r.Kind))
			}
		}
		return sendBatch(ctx, a.DB, q, what)
	}
	return pgx.BeginFunc(ctx, a.DB, func(tx pgx.Tx) error {
		if len(b.Records) > 0 {
			q := &pgx.Batch{}
			queueVoid(q, b.CaseID, b.Records[0])
			if err := sendBatch(ctx, tx, q, []string{"void records of lost attempts"}); err != nil {
				return err
			}
		}
		for _, r := range b.Records {
			err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error { // a savepoint
				q := &pgx.Batch{}
				if _, err := queueRecord(q, r); err != nil {
					return err
				}
				return sendBatch(ctx, sp, q, nil)
			})
			if isDataError(err) {
				err = setRecordAside(ctx, tx, r, err)
			}
			if err != nil {
				return fmt.Errorf("record %s (%s): %w", r.Key, r.Kind, err)
			}
		}
		return nil
	})
}

// batchSender is a pool, a connection or a transaction.
type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// sendBatch sends the queued statements at once and reads their results in order; what
// names each statement for the error (nil: no names).
func sendBatch(ctx context.Context, db batchSender, q *pgx.Batch, what []string) error {
	if q.Len() == 0 {
		return nil
	}
	res := db.SendBatch(ctx, q)
	for i := range q.Len() {
		if _, err := res.Exec(); err != nil {
			_ = res.Close() // the first error is the one to report
			// PostgreSQL's refusal of statement i names its record; anything else (no
			// connection, a value that could not be encoded, the context) came before
			// any statement ran, whichever result reports it
			var pg *pgconn.PgError
			if i < len(what) && errors.As(err, &pg) {
				return fmt.Errorf("%s: %w", what[i], err)
			}
			return fmt.Errorf("a batch of %d statements: %w", q.Len(), err)
		}
	}
	if err := res.Close(); err != nil {
		return fmt.Errorf("a batch of %d statements: %w", q.Len(), err)
	}
	return nil
}

// isDataError reports whether PostgreSQL refused a statement for its data (SQLSTATE
// class 22, data exception, or 23, integrity constraint violation): no retry can fix it.
func isDataError(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (strings.HasPrefix(pg.Code, "22") || strings.HasPrefix(pg.Code, "23"))
}

// setRecordAside keeps a record PostgreSQL refused, as escaped JSON text, and tells the
// supervisors. The case goes on.
func setRecordAside(ctx context.Context, tx pgx.Tx, r Record, refused error) error {
	var pg *pgconn.PgError
	errors.As(refused, &pg)
	raw, err := json.Marshal(r) // escapes what PostgreSQL refused (NUL, bad UTF-8)
	if err != nil {
		return fmt.Errorf("set aside: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO records_set_aside (record_key, case_id, kind, sqlstate, error, record) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (record_key) DO NOTHING`, r.Key, r.CaseID, r.Kind, pg.Code, pg.Message, string(raw)); err != nil {
		return fmt.Errorf("set aside: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO alerts (alert_key, case_id, kind, message, created_at, seq, attempt) VALUES ($1, $2, 'record-set-aside', $3, $4, $5, $6)
		ON CONFLICT (alert_key) DO NOTHING`, r.Key+"/set-aside", r.CaseID,
		fmt.Sprintf("a %s record was refused by the database (SQLSTATE %s) and set aside: see records_set_aside", r.Kind, pg.Code), r.At, r.Seq, r.Attempt)
	if err != nil {
		return fmt.Errorf("set aside: alert: %w", err)
	}
	return nil
}

// queueVoid queues the voiding of what a lost attempt of a workflow task wrote: the
// records of this case from the batch's first sequence number on, made by an earlier
// attempt than the batch's first record (see migration 003).
func queueVoid(q *pgx.Batch, caseID string, first Record) {
	q.Queue(`WITH
		audit AS (INSERT INTO voided_records (record_key, case_id)
			SELECT record_key, case_id FROM audit_log WHERE case_id = $1 AND seq >= $2 AND attempt < $3
			ON CONFLICT (record_key) DO NOTHING RETURNING 1),
		task AS (UPDATE tasks SET status = 'void', updated_at = now()
			WHERE case_id = $1 AND seq >= $2 AND attempt < $3 AND status <> 'void' RETURNING 1),
		visit AS (DELETE FROM visits WHERE case_id = $1 AND seq >= $2 AND attempt < $3 RETURNING 1),
		alert AS (DELETE FROM alerts WHERE case_id = $1 AND seq >= $2 AND attempt < $3 RETURNING 1)
		SELECT 1`, caseID, first.Seq, first.Attempt)
}

// queueRecord queues the statements that write one record and returns how many.
func queueRecord(q *pgx.Batch, r Record) (int, error) {
	n := q.Len()
	switch r.Kind {
	case RecordAudit:
		e := r.Audit
		q.Queue(`INSERT INTO audit_log (record_key, case_id, at, kind, actor, accepted, reason, violation, contact, detail, seq, attempt)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (record_key) DO NOTHING`,
			r.Key, r.CaseID, r.At, e.Kind, e.Actor, e.Accepted, e.Reason, e.Violation, e.Contact, nullJSON(e.Detail), r.Seq, r.Attempt)
	case RecordCase:
		c := r.Case
		closed := "NULL"
		if c.Stage == "closed" {
			closed = "$3"
		}
		q.Queue(`INSERT INTO cases (case_id, account_id, stage, outcome, pending_action, paused, hold, amount_due, amount_paid, region, violations, started_at, updated_at, closed_at, rev_at, rev_seq)
			VALUES ($1, $2, $4, $5, $6, $7, $8, $9, $10, $11, $12, $3, $3, `+closed+`, $3, $13)
			ON CONFLICT (case_id) DO UPDATE SET account_id = EXCLUDED.account_id, stage = EXCLUDED.stage, outcome = EXCLUDED.outcome,
				pending_action = EXCLUDED.pending_action, paused = EXCLUDED.paused, hold = EXCLUDED.hold, amount_due = EXCLUDED.amount_due,
				amount_paid = EXCLUDED.amount_paid, region = EXCLUDED.region, violations = EXCLUDED.violations,
				updated_at = EXCLUDED.updated_at, closed_at = EXCLUDED.closed_at, rev_at = EXCLUDED.rev_at, rev_seq = EXCLUDED.rev_seq
			WHERE `+newer("cases"),
			r.CaseID, c.AccountID, r.At, c.Stage, c.Outcome, c.PendingAction, c.Paused, c.Hold, c.AmountDue, c.AmountPaid, c.Region, c.Violations, r.Seq)
	case RecordTaskOpen:
		t := r.Task
		q.Queue(`INSERT INTO tasks (task_id, case_id, action, role, assignees, deadline, not_before, not_before_reason, address_id, status, created_at, updated_at, seq, attempt, rev_at, rev_seq)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULLIF($9, ''), 'open', $10, $10, $11, $12, $10, $11)
			ON CONFLICT (task_id) DO UPDATE SET assignees = EXCLUDED.assignees, deadline = EXCLUDED.deadline,
				not_before = EXCLUDED.not_before, not_before_reason = EXCLUDED.not_before_reason, updated_at = EXCLUDED.updated_at,
				rev_at = EXCLUDED.rev_at, rev_seq = EXCLUDED.rev_seq
			WHERE tasks.status = 'open' AND `+newer("tasks"),
			t.TaskID, r.CaseID, t.Action, t.Role, t.Assignees, t.Deadline, nullTime(t.NotBefore), t.NotBeforeReason, t.AddressID, r.At, r.Seq, r.Attempt)
	case RecordTaskClose:
		q.Queue(`UPDATE tasks SET status = $2, closed_at = $3, updated_at = $3 WHERE task_id = $1 AND status = 'open'`,
			r.Task.TaskID, r.Task.Status, r.At)
	case RecordVisit:
		v := r.Visit
		q.Queue(`INSERT INTO visits (record_key, case_id, agent_ids, badges_shown, address_id, visited_at, debtor_met,
				living_conditions, employment, monthly_capacity, willingness, note, seq, attempt)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (record_key) DO NOTHING`,
			r.Key, r.CaseID, v.AgentIDs, v.BadgesShown, v.AddressID, v.VisitedAt, v.DebtorMet, v.LivingConditions, v.Employment,
			v.MonthlyCapacity, v.Willingness, v.Note, r.Seq, r.Attempt)
	case RecordPlan:
		p := r.Plan
		var total int64
		for _, in := range p.Installments {
			total += in.Amount
		}
		q.Queue(`INSERT INTO payment_plans (case_id, plan_no, agreed_at, agreed_by, total) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (case_id, plan_no) DO NOTHING`, r.CaseID, p.Number, p.AgreedAt, p.AgreedBy, total)
		for i, in := range p.Installments {
			q.Queue(`INSERT INTO installments (case_id, plan_no, idx, due_date, amount, paid, missed, rev_at, rev_seq)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
				ON CONFLICT (case_id, plan_no, idx) DO UPDATE SET paid = EXCLUDED.paid, missed = EXCLUDED.missed,
					rev_at = EXCLUDED.rev_at, rev_seq = EXCLUDED.rev_seq
				WHERE `+newer("installments"),
				r.CaseID, p.Number, i+1, in.DueDate, in.Amount, in.Paid, in.Missed, r.At, r.Seq)
		}
	case RecordPayment:
		p := r.Payment
		q.Queue(`INSERT INTO payments (payment_id, case_id, amount, paid_at, channel) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (case_id, payment_id) DO NOTHING`, p.PaymentID, r.CaseID, p.Amount, p.PaidAt, p.Channel)
	case RecordAlert:
		q.Queue(`INSERT INTO alerts (alert_key, case_id, kind, message, created_at, seq, attempt) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (alert_key) DO NOTHING`, r.Key, r.CaseID, r.Alert.Kind, r.Alert.Message, r.At, r.Seq, r.Attempt)
	case RecordSurvey:
		s := r.Survey
		var sat *int
		if s.Reached {
			sat = &s.Satisfaction
		}
		q.Queue(`INSERT INTO surveys (case_id, agent_id, reached, satisfaction, complaint, comments) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (case_id) DO NOTHING`, r.CaseID, s.AgentID, s.Reached, sat, s.Complaint, s.Comments)
	case RecordSummary:
		s := r.Summary
		stages, jerr := json.Marshal(s.StageSeconds)
		if jerr != nil {
			return 0, jerr
		}
		anomalies, jerr := json.Marshal(s.Anomalies)
		if jerr != nil {
			return 0, jerr
		}
		q.Queue(`INSERT INTO case_summaries (case_id, account_id, outcome, started_at, closed_at, stage_seconds, contacts,
				anomalies, amount_due, amount_paid, currency, region, renegotiations, violations, simulation, strategy, model_version, visits)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) ON CONFLICT (case_id) DO NOTHING`,
			r.CaseID, s.AccountID, s.Outcome, s.StartedAt, s.ClosedAt, stages, s.Contacts, anomalies, s.AmountDue, s.AmountPaid,
			s.Currency, s.Region, s.Renegotiations, s.Violations, s.Simulation, s.Strategy, s.ModelVersion, s.Visits)
	default:
		return 0, fmt.Errorf("unknown record kind %q", r.Kind)
	}
	return q.Len() - n, nil
}

// newer is the condition under which a record changes a mutable row (a case, a task, an
// installment): it is not older than the record that last wrote the row (migration 010).
// Records are ordered by their time (workflow.Now: the workflow task's start, moved on by
// the worker's clock after each local activity), then by sequence number within the task:
// a later task, a retried attempt of a lost one and a reset run come after what came
// before them, whatever their sequence numbers, and a write that arrives late changes
// nothing. The same record written again changes nothing either. Not covered: a lost
// attempt whose worker stalled and then goes on writing new batches (README).
func newer(table string) string {
	return "(" + table + ".rev_at, " + table + ".rev_seq) <= (EXCLUDED.rev_at, EXCLUDED.rev_seq)"
}

func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
