// Package httpapi is the agents' HTTP JSON API, the only way agents and supervisors act
// on cases: an agent's inbox, a case's status, the contact check, recording a new address
// or phone, every human action, and tokens. Every request is authenticated with the
// person's own token, which expires and can be revoked; an agent reads and acts only on
// the cases assigned to them, a supervisor on all.
package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/casework/casework/contract"
)

// Token lifetimes.
const (
	DefaultTokenTTL = 12 * time.Hour // a working day and some
	MaxTokenTTL     = 30 * 24 * time.Hour
)

// Agent is who a token belongs to.
type Agent struct {
	ID        string    `json:"agentId"`
	Role      string    `json:"role"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// ErrNoAgent is an agent id that names no active agent.
var ErrNoAgent = errors.New("is not an active agent")

// ErrUnauthenticated is a missing, unknown, expired or revoked token.
var ErrUnauthenticated = errors.New("a valid agent token is required (Authorization: Bearer <token>): missing, unknown, expired or revoked")

func hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Issue gives the agent a new token for ttl (DefaultTokenTTL when zero, at most
// MaxTokenTTL), issued by issuedBy: a supervisor through the API, or operations (bin/starter
// token issue) for a first supervisor. The token is returned once; only its hash is kept.
func Issue(ctx context.Context, db *pgxpool.Pool, issuedBy, agent string, ttl time.Duration) (string, time.Time, error) {
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	if ttl < time.Minute || ttl > MaxTokenTTL {
		return "", time.Time{}, fmt.Errorf("issue token: ttl %s: want 1m to %s", ttl, MaxTokenTTL)
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", time.Time{}, fmt.Errorf("issue token: %w", err)
	}
	token := "cw_" + hex.EncodeToString(b)
	var expires time.Time
	err := db.QueryRow(ctx, `INSERT INTO agent_tokens (token_hash, agent_id, issued_by, expires_at)
		SELECT $1, agent_id, $3, now() + make_interval(secs => $4) FROM agents WHERE agent_id = $2 AND active
		RETURNING expires_at`, hash(token), agent, issuedBy, ttl.Seconds()).Scan(&expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", time.Time{}, fmt.Errorf("issue token: %s: %w", agent, ErrNoAgent)
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("issue token for %s: %w", agent, err)
	}
	return token, expires, nil
}

// Revoke revokes every token of the agent, ends their console sessions and voids their
// unused sign-in codes, and returns how many tokens it revoked.
func Revoke(ctx context.Context, db *pgxpool.Pool, by, agent string) (int64, error) {
	var n int64
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE agent_tokens SET revoked_by = $2, revoked_at = now() WHERE agent_id = $1 AND revoked_at IS NULL`, agent, by)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		// codes first: a sign-in under way holds its code's row until its session is
		// written, so the sessions' update below sees (and ends) that session too
		if _, err := tx.Exec(ctx, `UPDATE signin_codes SET used_at = now() WHERE agent_id = $1 AND used_at IS NULL`, agent); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE console_sessions SET ended_at = now() WHERE agent_id = $1 AND ended_at IS NULL`, agent)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("revoke tokens of %s: %w", agent, err)
	}
	return n, nil
}

// Authenticate finds the active agent of a token that has neither expired nor been revoked.
func Authenticate(ctx context.Context, db *pgxpool.Pool, token string) (Agent, error) {
	var a Agent
	if token == "" || len(token) > 100 {
		return a, ErrUnauthenticated
	}
	err := db.QueryRow(ctx, `SELECT g.agent_id, g.role, t.expires_at FROM agent_tokens t JOIN agents g USING (agent_id)
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND g.active`, hash(token)).Scan(&a.ID, &a.Role, &a.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, ErrUnauthenticated
	}
	if err != nil {
		return a, fmt.Errorf("authenticate: %w", err)
	}
	return a, nil
}

// IssueRequest asks for a token for an agent.
type IssueRequest struct {
	AgentID string `json:"agentId"`
	TTL     string `json:"ttl,omitempty"` // a Go duration such as "12h"; DefaultTokenTTL when empty
}

// Issued is a new token: shown once.
type Issued struct {
	AgentID   string    `json:"agentId"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// issueToken: a supervisor issues a token for an agent, in their own name.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request, who Agent) {
	if who.Role != contract.RoleSupervisor {
		writeError(w, http.StatusForbidden, fmt.Sprintf("%s is not a supervisor: only supervisors issue tokens", who.ID), nil)
		return
	}
	var req IssueRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	var ttl time.Duration
	if req.TTL != "" {
		var err error
		if ttl, err = time.ParseDuration(req.TTL); err != nil {
			writeError(w, http.StatusUnprocessableEntity, "ttl: "+err.Error(), []*contract.FieldError{contract.Invalid("ttl", "must be a duration such as 12h")})
			return
		}
	}
	if err := contract.ValidText("agentId", req.AgentID, 128); err != nil || req.AgentID == "" {
		writeError(w, http.StatusUnprocessableEntity, "agentId is required", []*contract.FieldError{contract.Invalid("agentId", "is required")})
		return
	}
	// a supervisor issues tokens for phone and field agents only: a supervisor's own token
	// comes from operations, so no supervisor can take another's (or their own second) name
	var role string
	if err := s.DB.QueryRow(r.Context(), `SELECT role FROM agents WHERE agent_id = $1 AND active`, req.AgentID).Scan(&role); err == nil && role == contract.RoleSupervisor {
		writeError(w, http.StatusForbidden, "a supervisor's token is issued by operations (bin/starter token issue), not through the API", nil)
		return
	}
	s.Logger.Info("token issued", zap.String("by", who.ID), zap.String("agent", req.AgentID))
	token, expires, err := Issue(r.Context(), s.DB, who.ID, req.AgentID, ttl)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error(), nil)
		return
	}
	writeJSON(w, http.StatusCreated, Issued{AgentID: req.AgentID, Token: token, ExpiresAt: expires})
}

// revokeTokens: a supervisor revokes every token of an agent.
func (s *Server) revokeTokens(w http.ResponseWriter, r *http.Request, who Agent) {
	if who.Role != contract.RoleSupervisor {
		writeError(w, http.StatusForbidden, fmt.Sprintf("%s is not a supervisor: only supervisors revoke tokens", who.ID), nil)
		return
	}
	var role string
	if err := s.DB.QueryRow(r.Context(), `SELECT role FROM agents WHERE agent_id = $1`, r.PathValue("agent")).Scan(&role); err == nil && role == contract.RoleSupervisor {
		writeError(w, http.StatusForbidden, "a supervisor's tokens are revoked by operations (bin/starter token revoke), not through the API", nil)
		return
	}
	s.Logger.Info("tokens revoked", zap.String("by", who.ID), zap.String("agent", r.PathValue("agent")))
	n, err := Revoke(r.Context(), s.DB, who.ID, r.PathValue("agent"))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"agentId": r.PathValue("agent"), "revoked": n})
}
