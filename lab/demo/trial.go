package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/casework/casework/backoffice"
	"github.com/casework/casework/caseclient/direct"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/platform"
	"github.com/casework/casework/score"
)

// TrialConfig says what a champion/challenger trial runs.
type TrialConfig struct {
	UCIFile   string
	Dir       string
	Results   string // where the comparison is written (JSON and markdown); "" for none
	Cases     int    // cases started, the first by expected recovery
	InFlight  int
	DayLength time.Duration
	Timeout   time.Duration
	Out       io.Writer
}

// TrialResult is a trial's comparison.
type TrialResult struct {
	Model  int               `json:"model"`
	Cases  int               `json:"cases"`
	Arms   []*backoffice.Arm `json:"arms"`
	Closed time.Duration     `json:"-"`
}

// Trial runs a champion/challenger trial: the score trained if none is, the strategies
// visit-first (champion) and phone-first (challenger) at half the cases each, the first
// Cases accounts by expected recovery started in their arm, and every debtor acting on
// their own data (scenario Earned) until every case is closed; then report --by strategy
// on the trial's cases.
func Trial(ctx context.Context, db *pgxpool.Pool, tc client.Client, cfg TrialConfig) (*TrialResult, error) {
	out := cfg.Out
	if err := Prepare(ctx, db, cfg.UCIFile, cfg.Dir, out); err != nil {
		return nil, err
	}
	version, _, err := backoffice.Champion(ctx, db)
	if errors.Is(err, backoffice.ErrNoModel) {
		t, err := backoffice.Train(ctx, db, backoffice.SourceHistory, score.DefaultParams)
		if err != nil {
			return nil, err
		}
		say(out, "trained model %d: held-out AUC %.4f against %.4f for the plain rule\n", t.Version, t.Report.Model.AUC, t.Report.Plain.AUC)
		version = t.Version
	} else if err != nil {
		return nil, err
	}
	deployment, err := platform.DeploymentPolicy()
	if err != nil {
		return nil, err
	}
	for _, s := range []backoffice.Strategy{{Name: "visit-first", Path: contract.PathVisitFirst, Share: 50}, {Name: "phone-first", Path: contract.PathPhoneFirst, Share: 50}} {
		if err := backoffice.SetStrategy(ctx, db, deployment, s); err != nil {
			return nil, err
		}
	}
	arms, err := backoffice.Strategies(ctx, db)
	if err != nil {
		return nil, err
	}
	p, err := contract.DefaultPolicy().WithOverrides(Policy(cfg.DayLength))
	if err != nil {
		return nil, err
	}
	ranking, err := backoffice.Rank(ctx, db, p, backoffice.Filter{Capacity: cfg.Cases})
	if err != nil {
		return nil, err
	}
	f, err := os.Open(cfg.UCIFile)
	if err != nil {
		return nil, fmt.Errorf("trial: %w", err)
	}
	clients, err := ReadUCI(f)
	_ = f.Close() // read only
	if err != nil {
		return nil, err
	}
	byAccount := map[string]UCIClient{}
	for _, c := range clients {
		byAccount[c.AccountID] = c
	}
	debtors := map[string]Debtor{}
	inputs := map[string]contract.CaseInput{}
	var ids []string
	for _, a := range ranking.Ranked {
		id := contract.WorkflowID(a.AccountID)
		arm, ok := backoffice.ArmOf(arms, a.AccountID)
		if !ok {
			return nil, errors.New("trial: no strategy to assign")
		}
		ids = append(ids, id)
		debtors[id] = DebtorOf(byAccount[a.AccountID])
		inputs[id] = contract.CaseInput{AccountID: a.AccountID, Policy: Policy(cfg.DayLength),
			Strategy: &contract.StrategyRef{Name: arm.Name, Path: arm.Path, Model: version}}
	}
	say(out, "trial: %d cases, the first by expected recovery with model %d, half visit-first (champion), half phone-first; every debtor acts on their own data\n",
		len(ids), version)
	cases := &direct.Client{TC: tc, DB: db}
	var started atomic.Int64
	fed := make(chan error, 1)
	feedCtx, stopFeed := context.WithCancel(ctx)
	defer stopFeed()
	go func() {
		fed <- feedWith(feedCtx, db, ids, cfg.InFlight, 0, func(id string) error {
			_, err := cases.StartWith(feedCtx, inputs[id])
			if errors.Is(err, direct.ErrAlreadyOpen) {
				return nil
			}
			if err == nil {
				started.Add(1)
			}
			return err
		})
	}()
	sim := &Sim{DB: db, Cases: cases, Debtors: debtors}
	simCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	t0 := time.Now()
	last := time.Time{}
	if err := sim.Run(simCtx, ids, func(closed int) {
		if time.Since(last) > 5*time.Second || closed == len(ids) {
			last = time.Now()
			say(out, "%5.0fs  %d of %d closed\n", time.Since(t0).Seconds(), closed, len(ids))
		}
	}); err != nil {
		return nil, fmt.Errorf("trial: the simulation stopped: %w", err)
	}
	if err := <-fed; err != nil {
		return nil, fmt.Errorf("trial: starting cases: %w", err)
	}
	res := &TrialResult{Model: version, Cases: len(ids), Closed: time.Since(t0)}
	if res.Arms, err = backoffice.ByStrategy(ctx, db, backoffice.Range{From: t0}); err != nil {
		return nil, err
	}
	var b strings.Builder
	if err := backoffice.WriteArms(&b, res.Arms); err != nil {
		return nil, err
	}
	say(out, "\nall %d trial cases closed in %s; by strategy:\n\n%s\n", len(ids), res.Closed.Round(time.Second), b.String())
	if cfg.Results == "" {
		return res, nil
	}
	if err := os.MkdirAll(cfg.Results, 0o755); err != nil {
		return nil, fmt.Errorf("trial: %w", err)
	}
	js, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("trial: %w", err)
	}
	md := fmt.Sprintf("# A champion/challenger trial\n\nMeasured %s: %d demo cases (a case day of %s), the first by expected recovery with model %d, "+
		"assigned by a stable hash of the account id to visit-first (champion) or phone-first (challenger); each simulated debtor "+
		"agrees, keeps or breaks a plan by their own UCI record (demo/debtor.go). All closed in %s.\n\n```\n%s```\n",
		time.Now().UTC().Format(time.RFC3339), len(ids), cfg.DayLength, version, res.Closed.Round(time.Second), b.String())
	name := filepath.Join(cfg.Results, "trial-dev")
	if err := os.WriteFile(name+".json", append(js, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("trial: %w", err)
	}
	if err := os.WriteFile(name+".md", []byte(md), 0o644); err != nil {
		return nil, fmt.Errorf("trial: %w", err)
	}
	return res, nil
}

// feedWith starts the cases of ids with startCase, in order, keeping at most inFlight open
// and starting at most perSecond a second (0: no limit).
// Open are the cases of ids whose row says so (a case started by an earlier run counts
// too) and those this feeder started whose row is not written yet (for a minute at most: a
// start the workflow refused writes none): each case counts once, so the cases run
// inFlight at once, as the floor's workflows do.
func feedWith(ctx context.Context, db *pgxpool.Pool, ids []string, inFlight int, perSecond float64, startCase func(id string) error) error {
	pace := backoffice.Pace{PerSecond: perSecond}.Limiter()
	type start struct {
		id string
		at time.Time
	}
	var unseen []start // started here, no case row yet
	for _, id := range ids {
		for {
			var open int
			var seen []string
			pending := make([]string, len(unseen))
			for i, u := range unseen {
				pending[i] = u.id
			}
			if err := retrying(ctx, func() error {
				return db.QueryRow(ctx, `SELECT (SELECT count(*) FROM cases WHERE case_id = ANY($1) AND stage <> 'closed'),
					ARRAY(SELECT case_id FROM cases WHERE case_id = ANY($2))`, ids, pending).Scan(&open, &seen)
			}); err != nil {
				return fmt.Errorf("feed: %w", err)
			}
			unseen = slices.DeleteFunc(unseen, func(u start) bool { return slices.Contains(seen, u.id) || time.Since(u.at) > time.Minute })
			if open+len(unseen) < inFlight {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
		if err := pace.Wait(ctx); err != nil {
			return fmt.Errorf("feed: %w", err)
		}
		if err := retrying(ctx, func() error { return startCase(id) }); err != nil {
			return err
		}
		unseen = append(unseen, start{id, time.Now()})
	}
	return nil
}
