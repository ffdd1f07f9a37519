package backoffice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casework/casework/score"
)

// Training sources: the outcomes imported with the history (the UCI file's, say), or the
// agency's own closed cases (lessons learned).
const (
	SourceHistory = "history"
	SourceCases   = "cases"
)

// SmallData is the number of examples under which training uses SmallDataParams.
const SmallData = 5000

// SmallDataParams are the settings for a few hundred or thousand examples (the agency's
// own closed cases, early on): fewer, shallower trees with larger leaves.
var SmallDataParams = func() score.Params {
	p := score.DefaultParams
	p.Trees, p.Depth, p.MinLeaf, p.LearningRate = 60, 2, 20, 0.05
	return p
}()

// Trained is a model stored as a new version, with its report.
type Trained struct {
	Version  int           `json:"version"`
	Source   string        `json:"source"`
	Champion bool          `json:"champion"`
	Report   *score.Report `json:"report"`
	Model    *score.Model  `json:"-"`
}

// Examples reads what a model learns from: each account with a history and a label, the
// imported outcome (SourceHistory) or what the agency's own closed case came to
// (SourceCases: repaid or not). The fairness attributes are read into Group only, apart
// from the features.
func Examples(ctx context.Context, db *pgxpool.Pool, source string) ([]score.Example, error) {
	// the label: the imported outcomes, or what the agency's own closed cases came to (the
	// latest case of each account; not-selected cases were never worked)
	// asof: the history a case's label may learn from ends before the case started (the
	// months after it would tell the outcome: leakage)
	labels := `SELECT account_id, paid, NULL::date AS asof FROM account_outcomes`
	if source == SourceCases {
		labels = `SELECT DISTINCT ON (account_id) account_id, outcome IN ('paid-in-full', 'plan-completed') AS paid,
				date_trunc('month', started_at)::date AS asof
			FROM case_summaries WHERE outcome <> 'not-selected' ORDER BY account_id, closed_at DESC`
	}
	rows, err := db.Query(ctx, `SELECT o.account_id, o.paid, coalesce(f.sex, 'unknown'),
			h.month, h.days_past_due, h.bill_amount, h.paid_amount, coalesce(h.credit_limit, 0)
		FROM (`+labels+`) o JOIN account_history h USING (account_id) LEFT JOIN fairness_attributes f USING (account_id)
		WHERE o.asof IS NULL OR h.month < o.asof
		ORDER BY o.account_id, h.month`)
	if err != nil {
		return nil, fmt.Errorf("train: read the history: %w", err)
	}
	defer rows.Close()
	var out []score.Example
	var cur *score.Example
	var hist []score.Month
	flush := func() {
		if cur != nil {
			cur.Features = score.Features(hist)
			last := hist[len(hist)-1]
			cur.DaysPastDue, cur.AmountDue = last.DaysPastDue, last.Bill
			out = append(out, *cur)
		}
	}
	for rows.Next() {
		var id, group string
		var paid bool
		var m score.Month
		if err := rows.Scan(&id, &paid, &group, &m.Month, &m.DaysPastDue, &m.Bill, &m.Paid, &m.CreditLimit); err != nil {
			return nil, fmt.Errorf("train: read the history: %w", err)
		}
		if cur == nil || cur.AccountID != id {
			flush()
			cur, hist = &score.Example{AccountID: id, Paid: paid, Group: group}, nil
		}
		hist = append(hist, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("train: read the history: %w", err)
	}
	flush()
	return out, nil
}

// Train learns a model from the source's examples and stores it as a new version. The
// first model becomes the champion; a later one only by Promote.
func Train(ctx context.Context, db *pgxpool.Pool, source string, p score.Params) (*Trained, error) {
	t0 := time.Now()
	ex, err := Examples(ctx, db, source)
	if err != nil {
		return nil, err
	}
	if len(ex) == 0 {
		return nil, fmt.Errorf("train: no account has both a history and an outcome (source %s): import them first (bin/starter import-history)", source)
	}
	if len(ex) < SmallData && p == score.DefaultParams {
		p = SmallDataParams // a few hundred closed cases: a smaller model overfits less
	}
	m, r, err := score.Fit(ex, p)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	r.Seconds = time.Since(t0).Seconds() // reading included
	t := &Trained{Source: source, Report: r, Model: m}
	err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		var champions int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM models WHERE champion`).Scan(&champions); err != nil {
			return err
		}
		t.Champion = champions == 0
		return tx.QueryRow(ctx, `INSERT INTO models (source, features, params, model, data_digest, model_digest, report, champion)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING version`,
			source, m.Features, m.Params, m, r.DataDigest, r.ModelDigest, r, t.Champion).Scan(&t.Version)
	})
	if err != nil {
		return nil, fmt.Errorf("train: store the model: %w", err)
	}
	return t, nil
}

// ErrNoModel is a screening or a promotion with no such model.
var ErrNoModel = errors.New("no such model")

// ErrNotBetter is a promotion refused: the candidate does not beat the champion.
var ErrNotBetter = errors.New("not promoted")

// Champion reads the champion model (ErrNoModel when none is trained).
func Champion(ctx context.Context, db *pgxpool.Pool) (int, *score.Model, error) {
	var version int
	var raw []byte
	err := db.QueryRow(ctx, `SELECT version, model FROM models WHERE champion`).Scan(&version, &raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, fmt.Errorf("the champion model: %w (bin/starter train)", ErrNoModel)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("the champion model: %w", err)
	}
	var m score.Model
	if err := json.Unmarshal(raw, &m); err != nil {
		return 0, nil, fmt.Errorf("the champion model %d: %w", version, err)
	}
	if !slices.Equal(m.Features, score.FeatureNames) {
		return 0, nil, fmt.Errorf("the champion model %d was trained on other features than this version computes: train and promote a new one", version)
	}
	return version, &m, nil
}

// Comparison is a candidate model against the champion on the same held-out accounts.
type Comparison struct {
	Candidate, Champion       int
	Examples                  int
	CandidateAUC, ChampionAUC float64
	Beats                     bool
}

// Compare scores the candidate and the champion on the held-out part of the candidate's
// own examples (its source and seed): the accounts neither learnt from, for the candidate.
func Compare(ctx context.Context, db *pgxpool.Pool, candidate int) (*Comparison, error) {
	var source string
	var raw []byte
	err := db.QueryRow(ctx, `SELECT source, model FROM models WHERE version = $1`, candidate).Scan(&source, &raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("model %d: %w", candidate, ErrNoModel)
	}
	if err != nil {
		return nil, fmt.Errorf("model %d: %w", candidate, err)
	}
	var cand score.Model
	if err := json.Unmarshal(raw, &cand); err != nil {
		return nil, fmt.Errorf("model %d: %w", candidate, err)
	}
	if !slices.Equal(cand.Features, score.FeatureNames) {
		return nil, fmt.Errorf("model %d was trained on other features than this version computes", candidate)
	}
	champ, champion, err := Champion(ctx, db)
	if err != nil {
		return nil, err
	}
	ex, err := Examples(ctx, db, source)
	if err != nil {
		return nil, err
	}
	var a, b, y []float64
	for _, e := range ex {
		if score.HeldOut(e.AccountID, cand.Params.Seed, cand.Params.HoldOut) {
			a, b = append(a, cand.Score(e.Features)), append(b, champion.Score(e.Features))
			y = append(y, map[bool]float64{true: 1}[e.Paid])
		}
	}
	c := &Comparison{Candidate: candidate, Champion: champ, Examples: len(y)}
	if c.CandidateAUC, err = score.AUC(a, y); err != nil {
		return nil, fmt.Errorf("compare models %d and %d: %w", candidate, champ, err)
	}
	if c.ChampionAUC, err = score.AUC(b, y); err != nil {
		return nil, fmt.Errorf("compare models %d and %d: %w", candidate, champ, err)
	}
	c.Beats = c.CandidateAUC > c.ChampionAUC
	return c, nil
}

// Promote makes a model the champion if it beats the current one on its held-out accounts
// (Compare); the screening scores new cases with it from then on.
func Promote(ctx context.Context, db *pgxpool.Pool, version int) (*Comparison, error) {
	c, err := Compare(ctx, db, version)
	if err != nil {
		return nil, err
	}
	if !c.Beats && c.Candidate != c.Champion {
		return c, fmt.Errorf("model %d does not beat the champion %d on %d held-out accounts (AUC %.4f against %.4f): %w",
			c.Candidate, c.Champion, c.Examples, c.CandidateAUC, c.ChampionAUC, ErrNotBetter)
	}
	err = pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE models SET champion = false WHERE champion`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE models SET champion = true WHERE version = $1`, version)
		return err
	})
	if err != nil {
		return c, fmt.Errorf("promote model %d: %w", version, err)
	}
	return c, nil
}
