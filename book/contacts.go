package book

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrInvalid is an address or phone that is not one (the error says why).
var ErrInvalid = errors.New("invalid")

// RecordAddress records an address an agent found for an account and returns its id, the
// one the agent's tool sends into the case. The same address twice is one row.
func RecordAddress(ctx context.Context, db *pgxpool.Pool, accountID, address, by string) (string, error) {
	return recordContact(ctx, db, "addresses", "address_id", "address", accountID, address, by)
}

// RecordPhone records a phone number an agent found for an account and returns its id.
func RecordPhone(ctx context.Context, db *pgxpool.Pool, accountID, number, by string) (string, error) {
	if !phonePattern.MatchString(number) {
		return "", fmt.Errorf("phone %q: not a phone number (digits, spaces, '+', '-', '(', ')'): %w", number, ErrInvalid)
	}
	return recordContact(ctx, db, "phones", "phone_id", "number", accountID, number, by)
}

func recordContact(ctx context.Context, db *pgxpool.Pool, table, id, column, accountID, value, by string) (string, error) {
	value = strings.TrimSpace(value)
	if value == "" || len(value) > 500 {
		return "", fmt.Errorf("%s: is required (at most 500 characters): %w", column, ErrInvalid)
	}
	var out string
	err := db.QueryRow(ctx, `INSERT INTO `+table+` (account_id, `+column+`, source, recorded_by) VALUES ($1, $2, 'agent', $3)
		ON CONFLICT (account_id, `+column+`) DO UPDATE SET account_id = EXCLUDED.account_id RETURNING `+id, accountID, value, by).Scan(&out)
	if err != nil {
		return "", fmt.Errorf("record the %s of %s: %w", column, accountID, err)
	}
	return out, nil
}
