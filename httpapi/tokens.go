// Package httpapi is the HTTP JSON API for agents' mobile and web tools: an agent's inbox,
// a case's status and every human action, each request authenticated with the agent's
// token. An agent reads and acts only on the cases assigned to them; a supervisor on all.
package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casework/casework/contract"
)

// Agent is who a token belongs to.
type Agent struct {
	ID   string `json:"agentId"`
	Role string `json:"role"`
}

// ErrUnauthenticated is a missing, unknown or revoked token.
var ErrUnauthenticated = errors.New("a valid agent token is required (Authorization: Bearer <token>)")

func hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// supervisor checks that by is an active supervisor.
func supervisor(ctx context.Context, db *pgxpool.Pool, by string) error {
	var role string
	err := db.QueryRow(ctx, `SELECT role FROM agents WHERE agent_id = $1 AND active`, by).Scan(&role)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && role != contract.RoleSupervisor) {
		return fmt.Errorf("%s is not an active supervisor", by)
	}
	if err != nil {
		return fmt.Errorf("check supervisor %s: %w", by, err)
	}
	return nil
}

// Issue gives the agent a new token, issued by a supervisor. The token is returned once;
// only its hash is kept.
func Issue(ctx context.Context, db *pgxpool.Pool, by, agent string) (string, error) {
	if err := supervisor(ctx, db, by); err != nil {
		return "", err
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	token := "cw_" + hex.EncodeToString(b)
	tag, err := db.Exec(ctx, `INSERT INTO agent_tokens (token_hash, agent_id, issued_by)
		SELECT $1, agent_id, $3 FROM agents WHERE agent_id = $2 AND active`, hash(token), agent, by)
	if err != nil {
		return "", fmt.Errorf("issue token for %s: %w", agent, err)
	}
	if tag.RowsAffected() == 0 {
		return "", fmt.Errorf("issue token: %s is not an active agent", agent)
	}
	return token, nil
}

// Revoke revokes every token of the agent and returns how many.
func Revoke(ctx context.Context, db *pgxpool.Pool, by, agent string) (int64, error) {
	if err := supervisor(ctx, db, by); err != nil {
		return 0, err
	}
	tag, err := db.Exec(ctx, `UPDATE agent_tokens SET revoked_by = $2, revoked_at = now() WHERE agent_id = $1 AND revoked_at IS NULL`, agent, by)
	if err != nil {
		return 0, fmt.Errorf("revoke tokens of %s: %w", agent, err)
	}
	return tag.RowsAffected(), nil
}

// Authenticate finds the active agent of a token.
func Authenticate(ctx context.Context, db *pgxpool.Pool, token string) (Agent, error) {
	var a Agent
	if token == "" {
		return a, ErrUnauthenticated
	}
	err := db.QueryRow(ctx, `SELECT g.agent_id, g.role FROM agent_tokens t JOIN agents g USING (agent_id)
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND g.active`, hash(token)).Scan(&a.ID, &a.Role)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, ErrUnauthenticated
	}
	if err != nil {
		return a, fmt.Errorf("authenticate: %w", err)
	}
	return a, nil
}
