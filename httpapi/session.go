package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The console's sign-in: a one-time code, issued by a supervisor for an agent (by
// operations for a supervisor), becomes a session cookie once. Only hashes are stored.
const (
	// CodeTTL is how long a sign-in code may be used.
	CodeTTL = 15 * time.Minute
	// SessionTTL is how long a console session lasts.
	SessionTTL = 12 * time.Hour
)

// codeAlphabet avoids letters read as digits.
var codeEncoding = base32.NewEncoding("ABCDEFGHJKLMNPQRSTUVWXYZ23456789").WithPadding(base32.NoPadding)

// IssueCode gives the agent a one-time sign-in code for the console, valid for CodeTTL,
// issued by issuedBy. The code is returned once; only its hash is kept.
func IssueCode(ctx context.Context, db *pgxpool.Pool, issuedBy, agent string) (string, time.Time, error) {
	b := make([]byte, 10) // 80 bits
	if _, err := rand.Read(b); err != nil {
		return "", time.Time{}, fmt.Errorf("issue sign-in code: %w", err)
	}
	raw := codeEncoding.EncodeToString(b) // 16 characters
	code := raw[0:4] + "-" + raw[4:8] + "-" + raw[8:12] + "-" + raw[12:16]
	var expires time.Time
	err := db.QueryRow(ctx, `INSERT INTO signin_codes (code_hash, agent_id, issued_by, expires_at)
		SELECT $1, agent_id, $3, now() + make_interval(secs => $4) FROM agents WHERE agent_id = $2 AND active
		RETURNING expires_at`, hash(normalizeCode(code)), agent, issuedBy, CodeTTL.Seconds()).Scan(&expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", time.Time{}, fmt.Errorf("issue sign-in code: %s: %w", agent, ErrNoAgent)
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("issue sign-in code for %s: %w", agent, err)
	}
	return code, expires, nil
}

// normalizeCode reads a code as typed: case and dashes and spaces do not matter.
func normalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

// session is a signed-in person's console session.
type session struct {
	Agent
	CSRF     string
	issuedBy string // who issued the code it came from (at sign-in only)
}

// ErrBadCode is a sign-in code that is unknown, used, expired or not an active agent's.
var ErrBadCode = errors.New("the code is unknown, already used or expired: ask your supervisor for a new one")

// redeem turns a one-time code into a new session and returns its cookie value.
func redeem(ctx context.Context, db *pgxpool.Pool, code string) (string, session, error) {
	code = normalizeCode(code)
	if len(code) != 16 {
		return "", session{}, ErrBadCode
	}
	var s session
	token, csrf := randomHex(64), randomHex(64) // 32 bytes each
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE signin_codes c SET used_at = now() FROM agents g
			WHERE c.code_hash = $1 AND c.used_at IS NULL AND c.expires_at > now() AND g.agent_id = c.agent_id AND g.active
			RETURNING g.agent_id, g.role, c.issued_by`, hash(code)).Scan(&s.ID, &s.Role, &s.issuedBy)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrBadCode
		}
		if err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO console_sessions (session_hash, agent_id, csrf_token, expires_at)
			VALUES ($1, $2, $3, now() + make_interval(secs => $4)) RETURNING expires_at`,
			hash(token), s.ID, csrf, SessionTTL.Seconds()).Scan(&s.ExpiresAt)
	})
	if errors.Is(err, ErrBadCode) {
		return "", session{}, err
	}
	if err != nil {
		return "", session{}, fmt.Errorf("sign in: %w", err)
	}
	s.CSRF = csrf
	return token, s, nil
}

// sessionOf finds the live session of a cookie value: not ended, not expired, an active
// agent's.
func sessionOf(ctx context.Context, db *pgxpool.Pool, token string) (session, error) {
	var s session
	if len(token) != 64 {
		return s, ErrUnauthenticated
	}
	err := db.QueryRow(ctx, `SELECT g.agent_id, g.role, s.expires_at, s.csrf_token FROM console_sessions s JOIN agents g USING (agent_id)
		WHERE s.session_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now() AND g.active`, hash(token)).
		Scan(&s.ID, &s.Role, &s.ExpiresAt, &s.CSRF)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, ErrUnauthenticated
	}
	if err != nil {
		return s, fmt.Errorf("session: %w", err)
	}
	return s, nil
}

// endSession signs a session out.
func endSession(ctx context.Context, db *pgxpool.Pool, token string) error {
	if _, err := db.Exec(ctx, `UPDATE console_sessions SET ended_at = now() WHERE session_hash = $1 AND ended_at IS NULL`, hash(token)); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

// randomHex returns n hex digits of crypto/rand.
func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}
