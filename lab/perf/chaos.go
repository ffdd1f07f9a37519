package perf

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/casework/casework/backoffice"
	"github.com/casework/casework/caseclient/direct"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/lab/demo"
)

// ChaosConfig says what the fault run breaks, and how often.
type ChaosConfig struct {
	Cases            int
	InFlight         int
	DayLength        time.Duration
	Workers          int      // worker processes (1 when 0); a kill takes one of them
	Kills            int      // SIGKILLs of a worker (restarted a second later, as a supervisor would)
	PGRestarts       int      // PostgreSQL restarts
	TemporalRestarts int      // Temporal server restarts, its data kept
	RestartPG        []string // the command that restarts PostgreSQL
	RestartTemporal  []string // the command that restarts the Temporal server
	Seed             uint64   // for the fault moments (0: from the clock)
	Timeout          time.Duration
	UCIFile, Dir     string
	Worker           []string
	Out              io.Writer
}

// Fault is one fault injected.
type Fault struct {
	Kind   string  `json:"kind"`
	At     float64 `json:"atSecond"`
	Took   float64 `json:"tookSeconds"`
	Detail string  `json:"detail,omitempty"`
}

// Check is one verdict over every case.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// ChaosResult is the fault run's figures and verdicts.
type ChaosResult struct {
	Cases     int     `json:"cases"`
	Seconds   float64 `json:"seconds"`
	Faults    []Fault `json:"faults"`
	Checks    []Check `json:"checks"`
	SimErrors int64   `json:"simulationRetries"`
	Seed      uint64  `json:"seed"`
}

// OK tells whether every check passed.
func (r *ChaosResult) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return len(r.Checks) > 0
}

// Chaos drives cases end to end while it kills the worker, restarts PostgreSQL and the
// Temporal server at random moments, then checks every case.
func Chaos(ctx context.Context, db *pgxpool.Pool, tc client.Client, cfg ChaosConfig) (*ChaosResult, error) {
	out := cfg.Out
	if cfg.Seed == 0 {
		cfg.Seed = uint64(time.Now().UnixNano())
	}
	res := &ChaosResult{Cases: cfg.Cases, Seed: cfg.Seed}
	if err := demo.Prepare(ctx, db, cfg.UCIFile, cfg.Dir, out); err != nil {
		return nil, err
	}
	policy, err := contract.DefaultPolicy().WithOverrides(demo.Policy(cfg.DayLength))
	if err != nil {
		return nil, err
	}
	accounts, err := backoffice.Selected(ctx, db, policy, backoffice.Filter{Limit: cfg.Cases})
	if err != nil {
		return nil, err
	}
	if len(accounts) < cfg.Cases {
		return nil, fmt.Errorf("chaos: only %d accounts without a case are left, %d needed", len(accounts), cfg.Cases)
	}
	ids := make([]string, len(accounts))
	for i, a := range accounts {
		ids[i] = contract.WorkflowID(a)
	}
	env := []string{"LOG_FORMAT=json"}
	workers := make([]atomic.Pointer[Proc], max(1, cfg.Workers))
	logOf := func(i int) string { return filepath.Join(cfg.Dir, fmt.Sprintf("chaos-worker-%d.log", i+1)) }
	for i := range workers {
		if err := os.Remove(logOf(i)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("chaos: %w", err)
		}
		// StartProc gives each its own metrics address: several on one machine
		p, err := StartProc(ctx, fmt.Sprintf("case worker %d", i+1), logOf(i), env, cfg.Worker[0], cfg.Worker[1:]...)
		if err != nil {
			return nil, err
		}
		workers[i].Store(p)
	}
	defer func() {
		for i := range workers {
			if p := workers[i].Load(); p != nil {
				_ = p.Stop() // cleanup on the way out: the run's own result is what is returned
			}
		}
	}()

	var faults []string
	for range cfg.Kills {
		faults = append(faults, "kill worker")
	}
	for range cfg.PGRestarts {
		faults = append(faults, "restart PostgreSQL")
	}
	for range cfg.TemporalRestarts {
		faults = append(faults, "restart Temporal")
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 1))
	rng.Shuffle(len(faults), func(i, j int) { faults[i], faults[j] = faults[j], faults[i] })
	// spread over the run: it lasts about half a case day a case at 50 in flight
	mean := max(3*time.Second, time.Duration(float64(cfg.Cases)*float64(cfg.DayLength)*0.5*50/float64(max(1, cfg.InFlight)))/time.Duration(len(faults)+1))
	say(out, "\n%d cases, %d in flight, %s days; faults in this order, about %s apart (seed %d): %s\n",
		cfg.Cases, cfg.InFlight, cfg.DayLength, mean.Round(time.Second), cfg.Seed, strings.Join(faults, ", "))

	runCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	t0 := time.Now()
	injected := make(chan error, 1)
	var mu sync.Mutex
	go func() {
		kills := 0
		for _, f := range faults {
			select {
			case <-runCtx.Done():
				injected <- runCtx.Err()
				return
			case <-time.After(time.Duration(float64(mean) * (0.5 + rng.Float64()))):
			}
			at := time.Since(t0)
			var detail string
			var err error
			switch f {
			case "kill worker":
				i := kills % len(workers) // each in turn: the other keeps working meanwhile
				kills++
				old := workers[i].Load()
				detail = fmt.Sprintf("worker %d of %d, pid %d", i+1, len(workers), old.Pid())
				old.Kill()
				time.Sleep(time.Second)
				var p *Proc
				if p, err = StartProc(runCtx, fmt.Sprintf("case worker %d", i+1), logOf(i), env, cfg.Worker[0], cfg.Worker[1:]...); err == nil {
					workers[i].Store(p)
				}
			case "restart PostgreSQL":
				err = command(runCtx, cfg.RestartPG)
			case "restart Temporal":
				err = command(runCtx, cfg.RestartTemporal)
			}
			took := time.Since(t0) - at
			mu.Lock()
			res.Faults = append(res.Faults, Fault{Kind: f, At: at.Seconds(), Took: took.Seconds(), Detail: detail})
			mu.Unlock()
			say(out, "   %4.0fs  %s (%s) in %.1f s\n", at.Seconds(), f, detail, took.Seconds())
			if err != nil {
				injected <- fmt.Errorf("chaos: %s: %w", f, err)
				return
			}
		}
		injected <- nil
	}()

	sim := &demo.Sim{DB: db, Cases: &direct.Client{TC: tc, DB: db}}
	var started atomic.Int64
	fed := make(chan error, 1)
	go func() { fed <- demo.Feed(runCtx, db, tc, ids, cfg.InFlight, 0, demo.Policy(cfg.DayLength), &started) }()
	last := time.Now()
	simErr := sim.Run(runCtx, ids, func(closed int) {
		if time.Since(last) > 10*time.Second {
			last = time.Now()
			say(out, "   %4.0fs  %d of %d closed\n", time.Since(t0).Seconds(), closed, len(ids))
		}
	})
	res.Seconds = time.Since(t0).Seconds()
	res.SimErrors = sim.Errors.Load()
	injErr := <-injected
	if simErr == nil {
		simErr = <-fed
	}
	say(out, "   %d cases driven in %.0f s; the simulated agents tried again %d times\n", len(ids), res.Seconds, res.SimErrors)

	mu.Lock()
	done := len(res.Faults)
	mu.Unlock()
	res.Checks = append(res.Checks, Check{Name: "faults injected", OK: injErr == nil && done == len(faults),
		Detail: fmt.Sprintf("%d of %d (%d worker kills, %d PostgreSQL restarts, %d Temporal restarts)%s", done, len(faults), cfg.Kills, cfg.PGRestarts, cfg.TemporalRestarts, errText(injErr))})
	res.Checks = append(res.Checks, Check{Name: "every case driven to its end", OK: simErr == nil, Detail: "the simulation" + errText(simErr)})
	logs := make([]string, len(workers))
	for i := range workers {
		logs[i] = logOf(i)
	}
	checks, err := verify(ctx, db, tc, ids, logs)
	if err != nil {
		return nil, err
	}
	res.Checks = append(res.Checks, checks...)
	return res, nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}

func command(ctx context.Context, argv []string) error {
	if len(argv) == 0 {
		return errors.New("no command given")
	}
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// verify checks every case against its scenario, its own final status and PostgreSQL.
func verify(ctx context.Context, db *pgxpool.Pool, tc client.Client, ids []string, logs []string) ([]Check, error) {
	var checks []Check
	add := func(name string, bad []string, total int, what string) {
		detail := fmt.Sprintf("%d of %d %s", total-len(bad), total, what)
		if len(bad) > 0 {
			detail += "; wrong: " + strings.Join(bad[:min(5, len(bad))], "; ")
		}
		checks = append(checks, Check{Name: name, OK: len(bad) == 0, Detail: detail})
	}

	vs, err := demo.Verdicts(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	var wrong []string
	for _, v := range vs {
		wrong = append(wrong, v.Wrong...)
	}
	add("expected outcome reached", wrong, len(ids), "cases reached their scenario's outcome")

	// the workflows' own final status: completed, with what they recorded
	finals := map[string]*contract.Status{}
	var notDone []string
	for _, id := range ids {
		d, err := tc.DescribeWorkflow(ctx, id, "")
		if err != nil {
			return nil, fmt.Errorf("chaos: describe %s: %w", id, err)
		}
		if s := d.RawResponse.GetWorkflowExecutionInfo().GetStatus(); s != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
			notDone = append(notDone, fmt.Sprintf("%s: %s", id, s))
			continue
		}
		var st contract.Status
		if err := tc.GetWorkflow(ctx, id, "").Get(ctx, &st); err != nil {
			return nil, fmt.Errorf("chaos: result of %s: %w", id, err)
		}
		finals[id] = &st
	}
	add("workflow completed", notDone, len(ids), "workflows completed (none failed, none stuck)")

	// audit log: one row per event the case recorded, none twice, none lost
	var auditBad, payBad, caseBad []string
	for _, id := range ids {
		st := finals[id]
		if st == nil {
			continue
		}
		var rows, distinct int
		if err := db.QueryRow(ctx, `SELECT count(*), count(DISTINCT (kind, actor, at, accepted, reason, violation, detail::text)) FROM audit_trail WHERE case_id = $1`, id).Scan(&rows, &distinct); err != nil {
			return nil, fmt.Errorf("chaos: audit of %s: %w", id, err)
		}
		if want := len(st.Timeline) + st.TimelineDropped; rows != want || distinct != rows {
			auditBad = append(auditBad, fmt.Sprintf("%s: %d rows (%d distinct), the case recorded %d", id, rows, distinct, want))
		}
		var payments []string
		var sum int64
		r, err := db.Query(ctx, `SELECT payment_id, amount FROM payments WHERE case_id = $1 ORDER BY payment_id`, id)
		if err != nil {
			return nil, fmt.Errorf("chaos: payments of %s: %w", id, err)
		}
		for r.Next() {
			var p string
			var a int64
			if err := r.Scan(&p, &a); err != nil {
				r.Close()
				return nil, fmt.Errorf("chaos: payments of %s: %w", id, err)
			}
			payments, sum = append(payments, p), sum+a
		}
		r.Close()
		if err := r.Err(); err != nil {
			return nil, fmt.Errorf("chaos: payments of %s: %w", id, err)
		}
		applied := slices.Sorted(slices.Values(st.PaymentIDs))
		if !slices.Equal(payments, applied) || sum != st.AmountPaid {
			payBad = append(payBad, fmt.Sprintf("%s: rows %v summing %d, the case applied %v summing %d", id, payments, sum, applied, st.AmountPaid))
		}
		var stage, outcome string
		var summaries int
		var summaryPaid *int64
		if err := db.QueryRow(ctx, `SELECT c.stage, c.outcome, (SELECT count(*) FROM case_summaries s WHERE s.case_id = c.case_id),
			(SELECT amount_paid FROM case_summaries s WHERE s.case_id = c.case_id) FROM cases c WHERE c.case_id = $1`, id).Scan(&stage, &outcome, &summaries, &summaryPaid); err != nil {
			return nil, fmt.Errorf("chaos: case row of %s: %w", id, err)
		}
		if stage != string(contract.StageClosed) || outcome != string(st.Outcome) || summaries != 1 || summaryPaid == nil || *summaryPaid != st.AmountPaid {
			caseBad = append(caseBad, fmt.Sprintf("%s: row %s/%s, %d summaries; the case closed %s", id, stage, outcome, summaries, st.Outcome))
		}
	}
	var voided int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM voided_records WHERE case_id = ANY($1)`, ids).Scan(&voided); err != nil {
		return nil, fmt.Errorf("chaos: voided records: %w", err)
	}
	add("audit log exact", auditBad, len(finals), fmt.Sprintf("cases have one audit row per event they recorded, none twice (%d rows of lost workflow task attempts voided)", voided))
	add("payments exact", payBad, len(finals), "cases have exactly the payments they applied, none twice")
	add("case row and summary", caseBad, len(finals), "cases' rows and summaries match their final status")

	// reminders: every outbox row sent, handed to the channel once by each worker process;
	// a second hand-off only by a later process, after the one before died between the
	// hand-off and the outbox's commit (the message's key is the channel's idempotency
	// key, so the channel delivers it once)
	handed := map[string][]int{}
	for i, logFile := range logs {
		h, err := handOffs(logFile)
		if err != nil {
			return nil, err
		}
		for key, procs := range h {
			for _, p := range procs {
				handed[key] = append(handed[key], 1000*(i+1)+p) // worker i's p-th process
			}
		}
	}
	r, err := db.Query(ctx, `SELECT message_key, sent_at IS NOT NULL, skipped_at IS NOT NULL FROM outbox WHERE case_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("chaos: outbox: %w", err)
	}
	var remBad []string
	total, again, skipped := 0, 0, 0
	for r.Next() {
		var key string
		var sent, skip bool
		if err := r.Scan(&key, &sent, &skip); err != nil {
			r.Close()
			return nil, fmt.Errorf("chaos: outbox: %w", err)
		}
		total++
		procs := handed[key]
		switch {
		case skip && len(procs) == 0: // re-checked at the hand-off and too late (a fault outlasted its window): recorded, never sent late
			skipped++
		case skip:
			remBad = append(remBad, fmt.Sprintf("%s: marked skipped, yet handed to the channel (%v)", key, procs))
		case !sent:
			remBad = append(remBad, key+": never sent")
		case len(procs) == 0:
			remBad = append(remBad, key+": marked sent, never handed to the channel")
		case len(slices.Compact(slices.Clone(procs))) != len(procs):
			remBad = append(remBad, fmt.Sprintf("%s: handed to the channel twice by one worker process (%v)", key, procs))
		case len(procs) > 1:
			again++
		}
	}
	r.Close()
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("chaos: outbox: %w", err)
	}
	add("reminders sent once", remBad, total, fmt.Sprintf("reminders sent or skipped, each handed to the channel once (%d again, with the same idempotency key, by the next worker after a kill between hand-off and commit; %d skipped at the hand-off, too late for their window after a fault, never sent late)", again, skipped))
	return checks, nil
}

// handOffs lists, per message key, the worker processes (numbered in the order they
// started, from one worker's log, shared by its restarts) whose development channel
// logged the reminder.
func handOffs(logFile string) (map[string][]int, error) {
	f, err := os.Open(logFile)
	if err != nil {
		return nil, fmt.Errorf("chaos: %w", err)
	}
	defer func() { _ = f.Close() }() // read only
	n := map[string][]int{}
	proc := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			Msg string `json:"msg"`
			Key string `json:"key"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		switch {
		case line.Msg == "worker starting":
			proc++
		case strings.HasPrefix(line.Msg, "reminder sent"):
			n[line.Key] = append(n[line.Key], proc)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("chaos: read %s: %w", logFile, err)
	}
	return n, nil
}

// WriteChecks prints the verdict table.
func WriteChecks(w io.Writer, checks []Check) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "check\tverdict\tdetail")
	for _, c := range checks {
		v := "ok"
		if !c.OK {
			v = "FAILED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, v, c.Detail)
	}
	return tw.Flush()
}
