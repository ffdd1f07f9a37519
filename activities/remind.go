package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/casework/casework/contract"
	"github.com/casework/casework/notify"
)

// ErrTypePermanentSend is the type of the non-retryable error SendReminder returns when
// the channel refused a message for good.
const ErrTypePermanentSend = "PermanentSendError"

// handOverLease is how long a hand-off is another attempt's: longer than an attempt runs
// (30 s), so that only a crashed attempt's hand-off is taken over, with the same key.
const handOverLease = time.Minute

// errHandOverInProgress is retried: another attempt is handing the reminder over now.
var errHandOverInProgress = errors.New("another attempt is handing this reminder over: try again later")

// SendReminder sends one reminder exactly once, and only while it may still go out. The
// outbox row, keyed by the reminder, is written first; then, with no transaction open,
// the reminder is checked again at the moment of the hand-off (the case not on hold,
// paused or closed, something still owed, still inside the contact window it was
// scheduled in) and skipped with the reason when it no longer may go out, never sent
// late. The hand-off is noted before the channel is called and the sending after, each in
// its own statement; the key goes to the channel as its idempotency key, for the window a
// crash can leave between the two. A permanent refusal of the channel is recorded and
// returned as a non-retryable error.
func (a *Activities) SendReminder(ctx context.Context, req ReminderRequest) (ReminderResult, error) {
	res, err := a.sendReminder(ctx, req)
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return res, err // as it is: the server reads non-retryable on the error itself
	}
	if err != nil {
		return res, fmt.Errorf("reminder %s: %w", req.Key, err)
	}
	return res, nil
}

func (a *Activities) sendReminder(ctx context.Context, req ReminderRequest) (ReminderResult, error) {
	caseKey := req.CaseKey
	if caseKey == "" {
		caseKey = req.CaseID
	}
	if _, err := a.DB.Exec(ctx, `INSERT INTO outbox (message_key, case_id, account_id, phone_id, channel, installment, due_date, amount, currency, scheduled_at)
		VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6, $7, $8, $9, $10) ON CONFLICT (message_key) DO NOTHING`,
		req.Key, caseKey, req.AccountID, req.PhoneID, req.Channel, req.Installment, req.DueDate, req.Amount, req.Currency, req.ScheduledAt); err != nil {
		return ReminderResult{}, fmt.Errorf("outbox insert: %w", err)
	}
	var sentAt, skippedAt, failedAt, handedAt *time.Time
	var skipReason, failure string
	if err := a.DB.QueryRow(ctx, `SELECT sent_at, skipped_at, skip_reason, failed_at, error, handed_at FROM outbox WHERE message_key = $1`, req.Key).
		Scan(&sentAt, &skippedAt, &skipReason, &failedAt, &failure, &handedAt); err != nil {
		return ReminderResult{}, fmt.Errorf("outbox read: %w", err)
	}
	switch {
	case sentAt != nil:
		return ReminderResult{AlreadySent: true, SentAt: *sentAt}, nil
	case skippedAt != nil:
		return ReminderResult{Skipped: true, Reason: skipReason}, nil
	case failedAt != nil:
		return ReminderResult{}, temporal.NewNonRetryableApplicationError(failure, ErrTypePermanentSend, nil)
	}
	now := time.Now()
	number, why, err := a.mayHandOver(ctx, caseKey, req, now)
	if err != nil {
		return ReminderResult{}, err
	}
	// a reminder once handed to the channel may have reached the debtor: it is never
	// recorded as skipped; it is handed over again, with the same idempotency key
	if why != "" && handedAt == nil {
		tag, err := a.DB.Exec(ctx, `UPDATE outbox SET skipped_at = $2, skip_reason = $3 WHERE message_key = $1 AND sent_at IS NULL AND handed_at IS NULL`, req.Key, now, why)
		if err != nil {
			return ReminderResult{}, fmt.Errorf("outbox mark skipped: %w", err)
		}
		if tag.RowsAffected() == 1 {
			return ReminderResult{Skipped: true, Reason: why}, nil
		}
		return ReminderResult{}, errHandOverInProgress // another attempt handed it over meanwhile
	}
	if number == "" { // handed over before: the number is still the account's
		if number, err = a.numberOf(ctx, req); err != nil {
			return ReminderResult{}, err
		}
	}
	// the hand-off is claimed for a lease longer than an attempt may run: a concurrent
	// attempt (one that timed out but still runs) does not hand it over a second time
	tag, err := a.DB.Exec(ctx, `UPDATE outbox SET handed_at = $2, attempts = attempts + 1
		WHERE message_key = $1 AND sent_at IS NULL AND skipped_at IS NULL AND failed_at IS NULL
		  AND (handed_at IS NULL OR handed_at < $2::timestamptz - make_interval(secs => $3::float8))`, req.Key, now, handOverLease.Seconds())
	if err != nil {
		return ReminderResult{}, fmt.Errorf("outbox mark handed over: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ReminderResult{}, errHandOverInProgress
	}
	msg := notify.Message{Key: req.Key, Channel: req.Channel, PhoneID: req.PhoneID, To: number, Text: reminderText(req)}
	if err := a.Notifier.Send(ctx, msg); err != nil {
		var perm *notify.PermanentError
		if !errors.As(err, &perm) {
			return ReminderResult{}, fmt.Errorf("send on %s: %w", req.Channel, err)
		}
		if _, uerr := a.DB.Exec(ctx, `UPDATE outbox SET failed_at = now(), error = $2 WHERE message_key = $1`, req.Key, perm.Reason); uerr != nil {
			return ReminderResult{}, fmt.Errorf("outbox mark failed (%v): %w", err, uerr)
		}
		return ReminderResult{}, temporal.NewNonRetryableApplicationError(perm.Reason, ErrTypePermanentSend, err)
	}
	sent := time.Now()
	if err := a.markSent(ctx, req.Key, sent); err != nil {
		return ReminderResult{}, err
	}
	if activity.IsActivity(ctx) { // not when called directly, as the tests do
		activity.GetMetricsHandler(ctx).WithTags(map[string]string{"channel": req.Channel}).Counter(contract.MetricRemindersSent).Inc(1)
	}
	return ReminderResult{Sent: true, SentAt: sent}, nil
}

// markSent notes that the channel took the message. A lost connection is tried again
// for a few seconds here: failing now would hand the message over again after the lease.
func (a *Activities) markSent(ctx context.Context, key string, at time.Time) error {
	var err error
	for wait := 100 * time.Millisecond; wait < 5*time.Second; wait *= 2 {
		if _, err = a.DB.Exec(ctx, `UPDATE outbox SET sent_at = $2 WHERE message_key = $1`, key, at); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("outbox mark sent: %w", err)
		case <-time.After(wait):
		}
	}
	return fmt.Errorf("outbox mark sent: %w", err)
}

// mayHandOver checks a reminder at the moment it would be handed to the channel. It
// returns the number to send to, or why the reminder must not go out now.
func (a *Activities) mayHandOver(ctx context.Context, caseKey string, req ReminderRequest, now time.Time) (number, why string, err error) {
	if !req.NotAfter.IsZero() && now.After(req.NotAfter) {
		return "", fmt.Sprintf("too late: its contact window closed at %s", req.NotAfter.UTC().Format(time.RFC3339)), nil
	}
	var hold, paused bool
	var stage string
	var owed int64
	err = a.DB.QueryRow(ctx, `SELECT hold, paused, stage, amount_due - amount_paid FROM cases WHERE case_id = $1`, caseKey).Scan(&hold, &paused, &stage, &owed)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", "the case is not on record", nil
	case err != nil:
		return "", "", fmt.Errorf("read case %s: %w", caseKey, err)
	case hold:
		return "", "the case is on dispute hold: no collection contact", nil
	case paused:
		return "", "the case is paused", nil
	case stage != string(contract.StageRepayment):
		return "", fmt.Sprintf("the case is in stage %s, no longer repaying", stage), nil
	case owed <= 0:
		return "", "nothing is owed", nil
	}
	number, err = a.numberOf(ctx, req)
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return "", app.Message(), nil
	}
	return number, "", err
}

// numberOf reads the reminder's number: one recorded for the case's account, never a
// stranger's (a non-retryable error when there is none).
func (a *Activities) numberOf(ctx context.Context, req ReminderRequest) (string, error) {
	var number string
	err := a.DB.QueryRow(ctx, `SELECT number FROM phones WHERE phone_id = $1 AND account_id = $2`, req.PhoneID, req.AccountID).Scan(&number)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", temporal.NewNonRetryableApplicationError(fmt.Sprintf("no phone %q on file for the account", req.PhoneID), ErrTypePermanentSend, nil)
	}
	if err != nil {
		return "", fmt.Errorf("read phone %s: %w", req.PhoneID, err)
	}
	return number, nil
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
