package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/activity"

	"github.com/casework/casework/contract"
	"github.com/casework/casework/notify"
)

// SendReminder sends one reminder exactly once. The outbox row, keyed by the reminder,
// is locked while the message goes out and marked sent in the same transaction; a
// reminder already marked sent is not sent again. The key also goes to the channel as
// its idempotency key, for the one window a crash can leave (sent, not yet committed).
func (a *Activities) SendReminder(ctx context.Context, req ReminderRequest) (ReminderResult, error) {
	var res ReminderResult
	err := pgx.BeginFunc(ctx, a.DB, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO outbox (message_key, case_id, account_id, phone_id, channel, installment, due_date, amount, currency, scheduled_at)
			VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6, $7, $8, $9, $10) ON CONFLICT (message_key) DO NOTHING`,
			req.Key, req.CaseID, req.AccountID, req.PhoneID, req.Channel, req.Installment, req.DueDate, req.Amount, req.Currency, req.ScheduledAt); err != nil {
			return fmt.Errorf("outbox insert: %w", err)
		}
		var sentAt *time.Time
		if err := tx.QueryRow(ctx, `SELECT sent_at FROM outbox WHERE message_key = $1 FOR UPDATE`, req.Key).Scan(&sentAt); err != nil {
			return fmt.Errorf("outbox lock: %w", err)
		}
		if sentAt != nil {
			res = ReminderResult{AlreadySent: true, SentAt: *sentAt}
			return nil
		}
		var number string
		err := tx.QueryRow(ctx, `SELECT number FROM phones WHERE phone_id = $1`, req.PhoneID).Scan(&number)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("read phone %s: %w", req.PhoneID, err)
		}
		msg := notify.Message{Key: req.Key, Channel: req.Channel, PhoneID: req.PhoneID, To: number, Text: reminderText(req)}
		if err := a.Notifier.Send(ctx, msg); err != nil {
			return fmt.Errorf("send on %s: %w", req.Channel, err)
		}
		now := time.Now()
		if _, err := tx.Exec(ctx, `UPDATE outbox SET sent_at = $2, attempts = attempts + 1 WHERE message_key = $1`, req.Key, now); err != nil {
			return fmt.Errorf("outbox mark sent: %w", err)
		}
		res = ReminderResult{Sent: true, SentAt: now}
		if activity.IsActivity(ctx) { // not when called directly, as the tests do
			activity.GetMetricsHandler(ctx).WithTags(map[string]string{"channel": req.Channel}).Counter(contract.MetricRemindersSent).Inc(1)
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("reminder %s: %w", req.Key, err)
	}
	return res, nil
}

// reminderText is the message. It names no debt detail beyond what the account holder
// agreed, and nothing a third party could read about the person.
func reminderText(r ReminderRequest) string {
	if r.Kind == "confirmation" {
		return fmt.Sprintf("Your payment plan is agreed: the first installment, %s %d.%02d, is due on %s. Reply HELP or call us back.",
			r.Currency, r.Amount/100, r.Amount%100, r.DueDate)
	}
	return fmt.Sprintf("Reminder: installment %d of your payment plan, %s %d.%02d, is due on %s. Reply HELP or call us back.",
		r.Installment, r.Currency, r.Amount/100, r.Amount%100, r.DueDate)
}
