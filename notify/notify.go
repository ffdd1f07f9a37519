// Package notify sends reminders to debtors through one interface for every channel (SMS,
// automated phone call). The outbox in PostgreSQL makes each reminder go out once; the
// message key is also handed to the channel as its idempotency key.
package notify

import (
	"context"
	"fmt"

	"go.uber.org/zap"
)

// Message is one reminder to one debtor.
type Message struct {
	Key     string // idempotency key: the same key is one message
	Channel string // sms or phone
	PhoneID string // for logs: the id, never the number
	To      string // the phone number (personal data: never logged)
	Text    string
}

// Notifier sends messages.
type Notifier interface {
	// Send hands m to its channel. It may be called again with the same m.Key (a retried
	// activity): the channel treats the key as its idempotency key. A *PermanentError is
	// a refusal no retry can change; any other error is tried again.
	Send(ctx context.Context, m Message) error
}

// Channels routes each message to the notifier of its channel.
type Channels map[string]Notifier

// Send sends m on its channel.
func (c Channels) Send(ctx context.Context, m Message) error {
	n, ok := c[m.Channel]
	if !ok {
		return fmt.Errorf("notify: no notifier for channel %q", m.Channel)
	}
	return n.Send(ctx, m)
}

// Log is the development channel: it logs that a message went out, without its number.
type Log struct {
	Logger *zap.Logger
}

// Send logs the message.
func (l Log) Send(_ context.Context, m Message) error {
	l.Logger.Info("reminder sent (development channel)",
		zap.String("key", m.Key), zap.String("channel", m.Channel), zap.String("phoneId", m.PhoneID), zap.Int("chars", len(m.Text)))
	return nil
}

// Development returns SMS and phone channels that log.
func Development(logger *zap.Logger) Channels {
	l := Log{Logger: logger}
	return Channels{"sms": l, "phone": l}
}

// PermanentError is a channel's refusal that no retry can change (an invalid number, a
// number that opted out): the reminder is recorded as failed, never tried again.
type PermanentError struct {
	Reason string
}

func (e *PermanentError) Error() string { return "notify: permanent failure: " + e.Reason }
