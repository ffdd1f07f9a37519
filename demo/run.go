package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/casework/casework/backoffice"
	"github.com/casework/casework/book"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/store"
)

// Policy is the demo's policy: a case day lasts DayLength of real time, so the whole
// process (deadlines, reminders, grace, the survey delay) runs in minutes.
func Policy(dayLength time.Duration) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"dayLength": %q}`, dayLength.String()))
}

// Config says what the demo runs.
type Config struct {
	UCIFile   string        // the UCI credit-card clients file
	Dir       string        // where the demo book is written (.dev)
	Cases     int           // how many cases to start
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
	if _, err := store.Migrate(ctx, db); err != nil {
		return err
	}
	bookFile := filepath.Join(cfg.Dir, "demo-book.csv")
	if _, err := os.Stat(bookFile); err != nil {
		n, err := WriteUCIBook(cfg.UCIFile, bookFile)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "built the demo book: %d accounts from %s\n", n, cfg.UCIFile)
	}
	f, err := os.Open(bookFile)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	t0 := time.Now()
	st, err := book.Import(ctx, db, f, nil)
	f.Close()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "imported the book in %s: %d rows read, %d new, %d updated, %d unchanged, %d rejected\n",
		time.Since(t0).Round(time.Millisecond), st.Read, st.Imported, st.Updated, st.Unchanged, len(st.Rejected))
	n, err := SeedAgents(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d demo agents (phone, field with badges, supervisors) in regions %v\n", n, Regions)

	ids, err := demoCases(ctx, db, tc, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "driving %d cases with simulated agents (a case day lasts %s)\n", len(ids), cfg.DayLength)
	sim := &Sim{DB: db, TC: tc}
	simCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	last := time.Time{}
	t1 := time.Now()
	err = sim.Run(simCtx, ids, func(closed int) {
		if time.Since(last) < 3*time.Second && closed != len(ids) {
			return
		}
		last = time.Now()
		fmt.Fprintf(out, "%5.0fs  %s  · updates %d accepted, %d rejected · signals %d\n", time.Since(t1).Seconds(),
			stageLine(ctx, db, ids), sim.Accepted.Load(), sim.Rejected.Load(), sim.Signals.Load())
	})
	if err != nil {
		return fmt.Errorf("demo: the simulation stopped: %w", err)
	}
	elapsed := time.Since(t1)
	fmt.Fprintf(out, "\nall %d cases closed in %s (%.1f cases a minute); whole demo %s\n\n", len(ids), elapsed.Round(time.Second),
		float64(len(ids))/elapsed.Minutes(), time.Since(start).Round(time.Second))
	r, err := backoffice.BuildReport(ctx, db)
	if err != nil {
		return err
	}
	return r.WriteText(out)
}

// demoCases starts the demo's cases (or finds those a previous run started) and returns
// their workflow ids.
func demoCases(ctx context.Context, db *pgxpool.Pool, tc client.Client, cfg Config) ([]string, error) {
	p, err := contract.DefaultPolicy().WithOverrides(Policy(cfg.DayLength))
	if err != nil {
		return nil, err
	}
	var have int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM cases`).Scan(&have); err != nil {
		return nil, fmt.Errorf("demo: count cases: %w", err)
	}
	if need := cfg.Cases - have; need > 0 {
		res, err := backoffice.Screen(ctx, db, tc, p, backoffice.Filter{Limit: need}, Policy(cfg.DayLength), nil)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(cfg.Out, "screened the book: %d selected, %d cases started, %d already open\n", res.Selected, res.Started, res.AlreadyOpen)
	} else {
		fmt.Fprintf(cfg.Out, "reusing the %d cases already started\n", have)
	}
	// the cases table fills as each case's first step is recorded
	deadline := time.Now().Add(time.Minute)
	for {
		var ids []string
		rows, err := db.Query(ctx, `SELECT case_id FROM cases ORDER BY case_id LIMIT $1`, cfg.Cases)
		if err != nil {
			return nil, fmt.Errorf("demo: list cases: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return nil, fmt.Errorf("demo: list cases: %w", err)
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("demo: list cases: %w", err)
		}
		if len(ids) >= cfg.Cases || time.Now().After(deadline) {
			return ids, nil
		}
		time.Sleep(500 * time.Millisecond)
	}
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
