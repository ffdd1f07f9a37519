package backoffice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casework/casework/contract"
)

// Strategy is one arm of the champion/challenger trial: a contact path and policy overrides
// (within the deployment's bounds), and the share of new cases it takes.
type Strategy struct {
	Name     string          `json:"name"`
	Rule     string          `json:"rule"` // RuleExpectedRecovery or RulePlain
	Path     string          `json:"path"`
	Share    int             `json:"share"`
	Policy   json.RawMessage `json:"policy"`
	Champion bool            `json:"champion"`
}

// Screening rules: which of an arm's accounts start first when the capacity binds.
const (
	RuleExpectedRecovery = "expected-recovery" // the score x the amount due, highest first
	RulePlain            = "plain"             // most overdue, largest first (no score)
)

// Strategies lists the strategies, by name.
func Strategies(ctx context.Context, db *pgxpool.Pool) ([]Strategy, error) {
	rows, err := db.Query(ctx, `SELECT name, rule, path, share, policy, champion FROM strategies ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("strategies: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Strategy, error) {
		var s Strategy
		return s, r.Scan(&s.Name, &s.Rule, &s.Path, &s.Share, &s.Policy, &s.Champion)
	})
	if err != nil {
		return nil, fmt.Errorf("strategies: %w", err)
	}
	return list, nil
}

// SetStrategy adds or changes a strategy. Its policy overrides must tighten the
// deployment's policy (checked against p); its path must be a contact path.
func SetStrategy(ctx context.Context, db *pgxpool.Pool, deployment contract.Policy, s Strategy) error {
	if !slices.Contains(contract.ContactPaths, s.Path) {
		return fmt.Errorf("strategy %s: %w", s.Name, &contract.FieldError{Field: "path", Reason: fmt.Sprintf("%q: want one of %v", s.Path, contract.ContactPaths)})
	}
	if s.Rule == "" {
		s.Rule = RuleExpectedRecovery
	}
	if s.Rule != RuleExpectedRecovery && s.Rule != RulePlain {
		return fmt.Errorf("strategy %s: %w", s.Name, &contract.FieldError{Field: "rule", Reason: fmt.Sprintf("%q: want %s or %s", s.Rule, RuleExpectedRecovery, RulePlain)})
	}
	if s.Share < 0 || s.Share > 100 {
		return fmt.Errorf("strategy %s: %w", s.Name, &contract.FieldError{Field: "share", Reason: fmt.Sprintf("%d: want 0 to 100", s.Share)})
	}
	if len(s.Policy) == 0 {
		s.Policy = json.RawMessage(`{}`)
	}
	if _, err := deployment.Tighten(s.Policy); err != nil {
		return fmt.Errorf("strategy %s: %w", s.Name, err)
	}
	_, err := db.Exec(ctx, `INSERT INTO strategies (name, rule, path, share, policy) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (name) DO UPDATE SET rule = EXCLUDED.rule, path = EXCLUDED.path, share = EXCLUDED.share, policy = EXCLUDED.policy`,
		s.Name, s.Rule, s.Path, s.Share, s.Policy)
	if err != nil {
		return fmt.Errorf("strategy %s: %w", s.Name, err)
	}
	return nil
}

// PromoteStrategy makes a strategy the champion for new cases: running cases keep theirs.
func PromoteStrategy(ctx context.Context, db *pgxpool.Pool, name string) error {
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE strategies SET champion = false WHERE champion`); err != nil {
			return fmt.Errorf("promote %s: %w", name, err)
		}
		tag, err := tx.Exec(ctx, `UPDATE strategies SET champion = true, promoted_at = now() WHERE name = $1`, name)
		if err != nil {
			return fmt.Errorf("promote %s: %w", name, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("promote %s: %w", name, ErrNoStrategy)
		}
		return nil
	})
}

// ErrNoStrategy is a strategy that does not exist.
var ErrNoStrategy = errors.New("no such strategy")

// ArmOf picks the strategy of an account: a stable hash of its id over the strategies'
// shares (in name order), so an account always lands in the same arm while the shares
// stay; with no share set, the champion.
func ArmOf(list []Strategy, accountID string) (Strategy, bool) {
	total := 0
	for _, s := range list {
		total += s.Share
	}
	if total == 0 {
		for _, s := range list {
			if s.Champion {
				return s, true
			}
		}
		return Strategy{}, false
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(accountID)) // hash.Hash never fails
	point := int(h.Sum64() % uint64(total))
	for _, s := range list {
		if point < s.Share {
			return s, true
		}
		point -= s.Share
	}
	return Strategy{}, false // unreachable: point < total
}
