package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/casework/casework/backoffice"
	"github.com/casework/casework/book"
	"github.com/casework/casework/caseclient/direct"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/store"
)

// Policy is the demo's policy: a case day lasts DayLength of real time, so the whole
// process (deadlines, reminders, grace, the survey delay) runs in minutes.
func Policy(dayLength time.Duration) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"dayLength": %q, "contactStartHour": %d, "contactEndHour": %d}`,
		dayLength.String(), contract.LegalContactStartHour, contract.LegalContactEndHour))
}

// SimulationPolicy is the deployment policy of the demo, the tests and the benchmarks: a
// declared simulation (short case days allowed) whose contact window is the whole day, so
// that parked cases can be driven at any hour; the driven cases narrow it to the legal
// window (Policy).
const SimulationPolicy = `{"simulation": true, "contactStartHour": 0, "contactEndHour": 24}`

// ParkPolicy is the parked cases' policy: real 24-hour days, so they wait at their stage
// for days, and the simulation's contact window of the whole day, so that they can be
// driven to it at any hour (with the real window, at the debtor's night, their tasks wait
// for morning).
func ParkPolicy() json.RawMessage {
	return json.RawMessage(`{"dayLength": "24h"}`)
}

// Config says what the demo runs.
type Config struct {
	UCIFile   string        // the UCI credit-card clients file
	Dir       string        // where the demo book is written (.dev)
	Cases     int           // how many cases to start and drive to the end
	Parked    int           // how many more to leave waiting at a stage, for inspection
	InFlight  int           // how many driven cases may be open at once
	DayLength time.Duration // real time of one case day
	Timeout   time.Duration
	Out       io.Writer
}

// Run sets up the demo data and drives the cases: migrate, build and import the book, add
// the agents, screen and start cases, simulate the agents until every case is closed,
// then print the report. Run again, it reuses the data and the cases already there.
func Run(ctx context.Context, db *pgxpool.Pool, tc client.Client, cfg Config) error {
	out := cfg.Out
	start := time.Now()
	if err := Prepare(ctx, db, cfg.UCIFile, cfg.Dir, out); err != nil {
		return err
	}
	cs, err := demoCases(ctx, db, cfg)
	if err != nil {
		return err
	}
	fed := make(chan error, 1)
	feedCtx, stopFeed := context.WithCancel(ctx)
	defer stopFeed()
	var started atomic.Int64
	go func() { fed <- feed(feedCtx, db, tc, cfg, cs, &started) }()
	ids := slices.Clone(cs.Driven)
	for id := range cs.Parked {
		ids = append(ids, id)
	}
	say(out, "driving %d cases with simulated agents, at most %d at once (a case day lasts %s); parking %d for inspection\n",
		len(cs.Driven), cfg.InFlight, cfg.DayLength, len(cs.Parked))
	sim := &Sim{DB: db, Cases: &direct.Client{TC: tc, DB: db}, Park: cs.Parked}
	simCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	last := time.Time{}
	t1 := time.Now()
	err = sim.Run(simCtx, ids, func(closed int) {
		if time.Since(last) < 3*time.Second && closed != len(ids) {
			return
		}
		last = time.Now()
		say(out, "%5.0fs  %s · updates %d accepted, %d rejected (p50 %s, p95 %s) · signals %d\n", time.Since(t1).Seconds(),
			stageLine(ctx, db, ids), sim.Accepted.Load(), sim.Rejected.Load(), sim.Latency(0.5).Round(time.Millisecond),
			sim.Latency(0.95).Round(time.Millisecond), sim.Signals.Load())
	})
	if err != nil {
		return fmt.Errorf("demo: the simulation stopped: %w", err)
	}
	if err := <-fed; err != nil {
		return fmt.Errorf("demo: starting cases: %w", err)
	}
	elapsed := time.Since(t1)
	if started.Load() == 0 {
		say(out, "\nall %d demo cases had closed in an earlier run: nothing left to drive\n\n", len(cs.Driven))
	} else {
		say(out, "\nall %d demo cases closed in %s (%.1f cases a minute); whole demo %s\n\n", len(cs.Driven), elapsed.Round(time.Second),
			float64(len(cs.Driven))/elapsed.Minutes(), time.Since(start).Round(time.Second))
	}
	r, err := backoffice.BuildReport(ctx, db, backoffice.Range{})
	if err != nil {
		return err
	}
	if err := r.WriteText(out); err != nil {
		return err
	}
	say(out, "\nupdates the workflow rejected (the simulation sends some bad reports on purpose):\n")
	for _, k := range slices.Sorted(maps.Keys(sim.Rejections)) {
		say(out, "  %4d × %s\n", sim.Rejections[k], k)
	}
	vs, err := Verdicts(ctx, db, cs.Driven)
	if err != nil {
		return err
	}
	say(out, "\nevery demo case against its scenario:\n")
	if err := WriteVerdicts(out, vs); err != nil {
		return err
	}
	say(out, "\ncases parked for inspection (real 24-hour days; send them updates and signals):\n")
	for _, id := range slices.Sorted(maps.Keys(cs.Parked)) {
		say(out, "  %-22s waiting in %s\n", id, cs.Parked[id])
	}
	for _, v := range vs {
		if v.Reached != v.Cases {
			return fmt.Errorf("demo: %d %s cases did not reach %s", v.Cases-v.Reached, v.Scenario, v.Expected)
		}
	}
	return nil
}

// Cases are the demo's cases: those driven to the end, and those parked at a stage for
// people to inspect. They are kept in the demo folder, so a second run takes them up.
type Cases struct {
	Driven []string                  `json:"driven"`
	Parked map[string]contract.Stage `json:"parked"`
}

// parkAt is where the parked cases wait, in turn.
var parkAt = []contract.Stage{contract.StagePhoneVerify, contract.StageVisit, contract.StageNegotiate, contract.StageRepayment}

// Prepare sets up the demo data: migrate, build the demo book from the UCI file (once, into
// dir) and import it, and add the agents.
func Prepare(ctx context.Context, db *pgxpool.Pool, uciFile, dir string, out io.Writer) error {
	if _, err := store.MigrateWithOwner(ctx, os.Getenv("MIGRATION_DATABASE_URL"), db, os.Getenv("CASEWORK_RUNTIME_ROLE")); err != nil {
		return err
	}
	bookFile := filepath.Join(dir, "demo-book.csv")
	if _, err := os.Stat(bookFile); err != nil {
		n, err := WriteUCIBook(uciFile, bookFile)
		if err != nil {
			return err
		}
		say(out, "built the demo book: %d accounts from %s\n", n, uciFile)
	}
	f, err := os.Open(bookFile)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	t0 := time.Now()
	st, err := book.Import(ctx, db, f, nil)
	_ = f.Close() // read only
	if err != nil {
		return err
	}
	say(out, "imported the book in %s: %d rows read, %d new, %d updated, %d unchanged, %d rejected\n",
		time.Since(t0).Round(time.Millisecond), st.Read, st.Imported, st.Updated, st.Unchanged, st.RejectedTotal)
	if err := prepareHistory(ctx, db, uciFile, dir, out); err != nil {
		return err
	}
	n, err := SeedAgents(ctx, db)
	if err != nil {
		return err
	}
	say(out, "%d demo agents (phone, field with badges, supervisors) in regions %v\n", n, Regions)
	return nil
}

// HistoryFiles are the demo's history, outcomes and fairness attributes, in dir.
func HistoryFiles(dir string) (history, outcomes, attributes string) {
	return filepath.Join(dir, "demo-history.csv"), filepath.Join(dir, "demo-outcomes.csv"), filepath.Join(dir, "demo-attributes.csv")
}

// prepareHistory builds the history files from the UCI file (once, into dir) and imports
// them, as bin/starter import-history does.
func prepareHistory(ctx context.Context, db *pgxpool.Pool, uciFile, dir string, out io.Writer) error {
	history, outcomes, attributes := HistoryFiles(dir)
	if _, err := os.Stat(attributes); err != nil {
		if _, err := WriteUCIHistory(uciFile, history, outcomes, attributes); err != nil {
			return err
		}
	}
	t0 := time.Now()
	for _, step := range []struct {
		file string
		run  func(io.Reader) (book.Stats, error)
	}{
		{history, func(r io.Reader) (book.Stats, error) { return book.ImportHistory(ctx, db, r, nil) }},
		{outcomes, func(r io.Reader) (book.Stats, error) { return book.ImportOutcomes(ctx, db, r, "uci") }},
		{attributes, func(r io.Reader) (book.Stats, error) { return book.ImportAttributes(ctx, db, r) }},
	} {
		f, err := os.Open(step.file)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		st, err := step.run(f)
		_ = f.Close() // read only
		if err != nil {
			return err
		}
		if st.RejectedTotal > 0 {
			return fmt.Errorf("demo: %s: %d rows rejected, the first: %s", step.file, st.RejectedTotal, st.Rejected[0])
		}
	}
	say(out, "imported the history, outcomes and attributes in %s\n", time.Since(t0).Round(time.Millisecond))
	return nil
}

// demoCases picks the demo's accounts (those screening selects, most overdue first), or
// takes up the cases a previous run picked.
func demoCases(ctx context.Context, db *pgxpool.Pool, cfg Config) (Cases, error) {
	file := filepath.Join(cfg.Dir, "demo-cases.json")
	var cs Cases
	if b, err := os.ReadFile(file); err == nil {
		if err := json.Unmarshal(b, &cs); err != nil {
			return cs, fmt.Errorf("demo: %s: %w", file, err)
		}
		say(cfg.Out, "taking up the %d demo cases and %d parked cases of the last run (%s)\n", len(cs.Driven), len(cs.Parked), file)
		return cs, nil
	}
	p, err := contract.DefaultPolicy().WithOverrides(Policy(cfg.DayLength))
	if err != nil {
		return cs, err
	}
	accounts, err := backoffice.Selected(ctx, db, p, backoffice.Filter{Limit: cfg.Cases + cfg.Parked})
	if err != nil {
		return cs, err
	}
	cs.Parked = map[string]contract.Stage{}
	for i, account := range accounts {
		if i < cfg.Cases {
			cs.Driven = append(cs.Driven, contract.WorkflowID(account))
		} else {
			cs.Parked[contract.WorkflowID(account)] = parkAt[len(cs.Parked)%len(parkAt)]
		}
	}
	b, err := json.MarshalIndent(cs, "", "  ")
	if err != nil {
		return cs, fmt.Errorf("demo: %w", err)
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		return cs, fmt.Errorf("demo: %w", err)
	}
	return cs, nil
}

// feed starts the demo's cases that have no case row yet: the parked ones first (on the
// real policy, 24-hour days), then the driven ones on the demo policy.
func feed(ctx context.Context, db *pgxpool.Pool, tc client.Client, cfg Config, cs Cases, started *atomic.Int64) error {
	for _, id := range slices.Sorted(maps.Keys(cs.Parked)) {
		if err := startNew(ctx, db, tc, id, ParkPolicy(), started); err != nil {
			return err
		}
	}
	return Feed(ctx, db, tc, cs.Driven, cfg.InFlight, 0, Policy(cfg.DayLength), started)
}

// Feed starts the cases of ids that have no case row yet, in order, with the policy
// overrides given, keeping at most inFlight of them open at once and starting at most
// perSecond a second (0: no limit), the way a back office works through its book; started
// counts the cases it started.
func Feed(ctx context.Context, db *pgxpool.Pool, tc client.Client, ids []string, inFlight int, perSecond float64, policy json.RawMessage, started *atomic.Int64) error {
	return feedWith(ctx, db, ids, inFlight, perSecond, func(id string) error { return startNew(ctx, db, tc, id, policy, started) })
}

// retrying runs f until it succeeds, for up to three minutes: PostgreSQL or Temporal may
// be away for a moment (restarted), and a start that did go through is found on the next
// try (its case is already open).
func retrying(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		err := f()
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// startNew starts the case id unless it has a case row (started by an earlier run).
func startNew(ctx context.Context, db *pgxpool.Pool, tc client.Client, id string, policy json.RawMessage, started *atomic.Int64) error {
	var exists bool
	if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM cases WHERE case_id = $1)`, id).Scan(&exists); err != nil {
		return fmt.Errorf("feed: %w", err)
	}
	if exists {
		return nil
	}
	account, err := contract.AccountFromWorkflowID(id)
	if err != nil {
		return err
	}
	_, err = (&direct.Client{TC: tc}).Start(ctx, account, policy)
	switch {
	case err == nil:
		started.Add(1)
	case !errors.Is(err, direct.ErrAlreadyOpen):
		return err
	}
	return nil
}

// stageLine counts the cases by stage.
func stageLine(ctx context.Context, db *pgxpool.Pool, ids []string) string {
	rows, err := db.Query(ctx, `SELECT stage, count(*) FROM cases WHERE case_id = ANY($1) GROUP BY stage`, ids)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if rows.Scan(&s, &n) == nil {
			counts[s] = n
		}
	}
	line := ""
	for _, s := range []contract.Stage{contract.StageScreen, contract.StagePhoneVerify, contract.StageVisit, contract.StageNegotiate, contract.StageRepayment, contract.StageSurvey, contract.StageClosed} {
		line += fmt.Sprintf("%s %d  ", s, counts[string(s)])
	}
	return line
}

// say prints a line of the demo's narration to out. It is for the person watching: a
// write that fails (a closed terminal or pipe) must not stop a run of cases, so its error
// is dropped, here only.
func say(out io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(out, format, args...)
}
