package perf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/casework/casework/backoffice"
	"github.com/casework/casework/caseclient/direct"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/lab/demo"
	"github.com/casework/casework/lab/perf/floor"
	"github.com/casework/casework/platform"
	"github.com/casework/casework/store"
)

// SpeedConfig says what the speed benchmark runs.
type SpeedConfig struct {
	Cases    int // cases driven end to end
	InFlight int // open at once, cases and floor workflows alike
	// Pace is how many cases (and floor workflows) start a second at most, both sides alike;
	// 0 is no limit (the command's flag defaults to the back office's pace, 20).
	Pace      float64
	DayLength time.Duration // a case day in real time
	Starts    int           // workflows started by each of the back office and a plain loop
	UCIFile   string        // the demo book's source
	Dir       string        // where logs and the demo book go
	Worker    []string      // the case worker's program and arguments
	Workers   int           // case worker processes (and floor worker processes), 1 when 0
	Floor     []string      // the floor worker's
	Out       io.Writer
	// OnlyStarts measures the start rates alone (to work on them), and writes no results.
	OnlyStarts bool
	// Plain, when set, is a client without the payload codec: the cases run a second time
	// with the codec off in the worker and the simulated agents, to measure its cost.
	Plain client.Client
	// ServerMetrics are the Temporal server's /metrics (host:port, one per process), read
	// before and after each side for what the server wrote (Run.Server) for the workflows
	// of Namespace; none: not read.
	ServerMetrics []string
	Namespace     string
	// FloorSearchAttributes runs the floor a second time with the cases' search-attribute
	// upserts (floor.Script.SearchAttributes): how much of the gap is the upserts of the
	// search attributes DESIGN.md has every case keep current, and how much is the rest.
	FloorSearchAttributes bool
	// WarmUp is how many workflows of a short synthetic shape run through the server
	// before anything is measured (0: none), so that neither side pays for a server just
	// started (its connection pools, caches and heap growing during the first burst); the
	// cases, measured first, otherwise did.
	WarmUp int
}

// Quantiles are a latency's p50, p95 and p99 in milliseconds.
type Quantiles struct {
	P50 float64 `json:"p50Ms"`
	P95 float64 `json:"p95Ms"`
	P99 float64 `json:"p99Ms"`
}

func quantiles(l []time.Duration) Quantiles {
	if len(l) == 0 {
		return Quantiles{}
	}
	l = slices.Clone(l)
	slices.Sort(l)
	at := func(q float64) float64 { return ms(l[min(len(l)-1, int(q*float64(len(l))))]) }
	return Quantiles{at(0.5), at(0.95), at(0.99)}
}

// ActionLatency is one action's update round trips: how many, and their quantiles.
type ActionLatency struct {
	Sent int `json:"sent"`
	Quantiles
}

// Run is one side of the comparison: the cases or the floor.
type Run struct {
	Workflows int       `json:"workflows"`
	Seconds   float64   `json:"seconds"`
	PerSecond float64   `json:"perSecond"`
	Updates   Quantiles `json:"updateRoundTrip"`
	// UpdatesByAction are the cases' round trips by action (the floor's have no names).
	UpdatesByAction map[string]ActionLatency `json:"updateRoundTripByAction,omitempty"`
	UpdatesSent     int64                    `json:"updatesSent"`
	// AfterRamp are the round trips of the updates to the workflows started after the
	// first in-flight cohort. That cohort starts together (within a few seconds at the
	// pace) on a freshly started worker, and the updates its workflows send a moment later
	// are the ramp, not the steady state; the floor's workflow i repeats case i, so both
	// sides leave out the same.
	AfterRamp      Quantiles `json:"updateRoundTripAfterRamp"`
	AfterRampSent  int       `json:"updatesSentAfterRamp"`
	EventsMean     float64   `json:"eventsPerWorkflowMean"`
	EventsMax      int       `json:"eventsPerWorkflowMax"`
	WorkerRSSMiB   float64   `json:"workerPeakRssMiB"`
	WorkerRoutines int       `json:"workerPeakGoroutines"`
	// Server is what the Temporal server wrote per workflow (when its metrics were read).
	Server *ServerWrites `json:"serverWritesPerWorkflow,omitempty"`
}

// Shape is the mean steps of one case, which each floor workflow repeats.
type Shape struct {
	Activities      float64 `json:"activities"`
	LocalActivities float64 `json:"localActivities"`
	TimersFired     float64 `json:"timersFired"`
	TimersCanceled  float64 `json:"timersCanceled"`
	Updates         float64 `json:"updates"`
	Signals         float64 `json:"signals"`
	Upserts         float64 `json:"searchAttributeUpserts"`
	RunsMax         int     `json:"runsPerCaseMax"`
}

// StartRate compares the back office's screening with a plain loop of client starts.
type StartRate struct {
	Starts      int     `json:"starts"`
	Concurrency int     `json:"concurrency"`
	BackOffice  float64 `json:"backOfficePerSecond"`
	PlainLoop   float64 `json:"plainLoopPerSecond"`
	Ratio       float64 `json:"ratio"`
}

// SpeedResult is every figure of a speed run.
type SpeedResult struct {
	DayLength     string  `json:"dayLength"`
	InFlight      int     `json:"inFlight"`
	Pace          float64 `json:"startedPerSecondAtMost"`  // 0: no limit
	Workers       int     `json:"workers"`                 // worker processes, cases and floor alike
	WarmUp        int     `json:"warmUpWorkflows"`         // workflows run before anything was measured
	WarmUpSeconds float64 `json:"warmUpSeconds,omitempty"` // how long they took
	Cases         Run     `json:"cases"`
	CasesNoCodec  *Run    `json:"casesWithoutCodec,omitempty"` // the same cases, payloads in the clear
	Floor         Run     `json:"floor"`
	// FloorSearchAttributes is the floor again with the cases' search-attribute upserts
	// (a diagnostic: the targets are against Floor).
	FloorSearchAttributes *Run               `json:"floorWithSearchAttributes,omitempty"`
	Ratio                 float64            `json:"caseToFloorRatio"`
	Shape                 Shape              `json:"shape"`
	Rejected              int64              `json:"updatesRejectedOnPurpose"`
	Outcomes              string             `json:"outcomes"`
	Wrong                 int                `json:"casesWithAWrongOutcome"`
	PGRowsPerCase         float64            `json:"postgresRowsPerCase"`
	PGRowsByTable         map[string]float64 `json:"postgresRowsPerCaseByTable"`
	StartRate             StartRate          `json:"startRate"`
	Import                ImportResult       `json:"import"`
}

// Speed runs the benchmark: the cases end to end with the simulated agents, then the floor
// of the same shape on the same server (and again with the cases' search-attribute
// upserts, when FloorSearchAttributes), then the start rates and the import against COPY.
func Speed(ctx context.Context, db *pgxpool.Pool, tc client.Client, cfg SpeedConfig) (*SpeedResult, error) {
	out := cfg.Out
	res := &SpeedResult{DayLength: cfg.DayLength.String(), InFlight: cfg.InFlight, Pace: cfg.Pace, Workers: max(1, cfg.Workers)}
	if err := demo.Prepare(ctx, db, cfg.UCIFile, cfg.Dir, out); err != nil {
		return nil, err
	}
	if err := analyze(ctx, db); err != nil {
		return nil, err
	}
	policy, err := contract.DefaultPolicy().WithOverrides(demo.Policy(cfg.DayLength))
	if err != nil {
		return nil, err
	}
	plainCases := 0
	if cfg.Plain != nil {
		plainCases = cfg.Cases
	}
	need := cfg.Cases + plainCases + cfg.Starts
	accounts, err := backoffice.Selected(ctx, db, policy, backoffice.Filter{Limit: need})
	if err != nil {
		return nil, err
	}
	if len(accounts) < need {
		return nil, fmt.Errorf("bench: only %d accounts without a case are left, %d needed: reset the database (scripts/stack.sh down; rm -rf .dev/pg)", len(accounts), need)
	}
	ids := make([]string, cfg.Cases)
	for i, a := range accounts[:cfg.Cases] {
		ids[i] = contract.WorkflowID(a)
	}
	plainIDs := make([]string, plainCases)
	for i, a := range accounts[cfg.Cases : cfg.Cases+plainCases] {
		plainIDs[i] = contract.WorkflowID(a)
	}

	if cfg.OnlyStarts {
		res.StartRate, err = startRates(ctx, db, tc, policy, cfg.Starts)
		say(out, "back office %.1f/s, plain loop %.1f/s: %.2f\n", res.StartRate.BackOffice, res.StartRate.PlainLoop, res.StartRate.Ratio)
		return res, err
	}

	// 0. The server warmed up, with nothing measured.
	if cfg.WarmUp > 0 {
		say(out, "\n0. warming the server up: %d workflows of a short shape, not measured\n", cfg.WarmUp)
		took, err := warmServer(ctx, tc, cfg)
		if err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
		res.WarmUp, res.WarmUpSeconds = cfg.WarmUp, took.Seconds()
		say(out, "   %d workflows in %.1f s\n", cfg.WarmUp, took.Seconds())
	}

	// 1. The cases.
	say(out, "\n1. %d cases end to end, %d in flight, %s days, simulated agents\n", cfg.Cases, cfg.InFlight, cfg.DayLength)
	var sim *demo.Sim
	if res.Cases, sim, err = driveCases(ctx, db, tc, ids, cfg, nil, "bench-worker.log"); err != nil {
		return nil, err
	}
	res.Rejected = sim.Rejected.Load()
	say(out, "   %d cases closed in %.1f s: %.2f cases/s\n", len(ids), res.Cases.Seconds, res.Cases.PerSecond)
	vs, err := demo.Verdicts(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	reached := 0
	for _, v := range vs {
		reached += v.Reached
	}
	res.Outcomes = fmt.Sprintf("%d of %d reached their scenario's outcome", reached, len(ids))
	if reached != len(ids) {
		if err := demo.WriteVerdicts(out, vs); err != nil {
			return nil, err
		}
		res.Wrong = len(ids) - reached // reported with the figures, then the run fails
	}
	shapes, err := Shapes(ctx, tc, ids)
	if err != nil {
		return nil, err
	}
	res.Shape, res.Cases.EventsMean, res.Cases.EventsMax = meanShape(shapes)
	if res.PGRowsPerCase, res.PGRowsByTable, err = rowsPerCase(ctx, db, ids); err != nil {
		return nil, err
	}

	// 1b. The same cases with the payload codec off, in the same run: its cost.
	if cfg.Plain != nil {
		say(out, "\n1b. %d more cases with the payload codec off (payloads in the clear), to measure its cost\n", len(plainIDs))
		plain, _, err := driveCases(ctx, db, cfg.Plain, plainIDs, cfg, []string{platform.EnvCodecOff + "=1"}, "bench-worker-nocodec.log")
		if err != nil {
			return nil, fmt.Errorf("the cases without the codec: %w", err)
		}
		res.CasesNoCodec = &plain
		say(out, "   %d cases closed in %.1f s: %.2f cases/s (with the codec %.2f); update p95 %.0f ms (with the codec %.0f)\n",
			len(plainIDs), plain.Seconds, plain.PerSecond, res.Cases.PerSecond, plain.Updates.P95, res.Cases.Updates.P95)
	}

	// 2. The floor: each case's shape again, with nothing in its activities and handlers.
	say(out, "\n2. the Temporal floor: %d workflows of the cases' shapes, activities and handlers doing nothing\n", len(shapes))
	if res.Floor, err = driveFloor(ctx, tc, shapes, cfg, "bench-floor"); err != nil {
		return nil, fmt.Errorf("the floor: %w", err)
	}
	res.Ratio = res.Cases.PerSecond / res.Floor.PerSecond
	say(out, "   %d floor workflows in %.1f s: %.2f/s; the case runs at %.2f of the floor\n", res.Floor.Workflows, res.Floor.Seconds, res.Floor.PerSecond, res.Ratio)

	// 2b. The floor again, paying for the search-attribute upserts too: a diagnostic.
	if cfg.FloorSearchAttributes {
		say(out, "\n2b. the floor again, upserting a search attribute where each case did (%.1f a case): a diagnostic\n", res.Shape.Upserts)
		with := make([]CaseShape, len(shapes))
		for i, sh := range shapes {
			with[i] = sh
			with[i].Script.SearchAttributes = true
		}
		run, err := driveFloor(ctx, tc, with, cfg, "bench-floor-sa")
		if err != nil {
			return nil, fmt.Errorf("the floor with search attributes: %w", err)
		}
		res.FloorSearchAttributes = &run
		say(out, "   %d workflows in %.1f s: %.2f/s; update p95 %.0f ms (the bare floor's %.0f, the cases' %.0f)\n",
			run.Workflows, run.Seconds, run.PerSecond, run.Updates.P95, res.Floor.Updates.P95, res.Cases.Updates.P95)
	}

	// 3. Start rates, with no worker running: the back office against a plain loop.
	say(out, "\n3. starting %d cases: the back office's screening against a plain loop of client starts\n", cfg.Starts)
	if res.StartRate, err = startRates(ctx, db, tc, policy, cfg.Starts); err != nil {
		return nil, err
	}
	say(out, "   back office %.1f/s, plain loop %.1f/s: %.2f\n", res.StartRate.BackOffice, res.StartRate.PlainLoop, res.StartRate.Ratio)

	// 4. The import against COPY.
	say(out, "\n4. importing the demo book against PostgreSQL's COPY of the same rows\n")
	if res.Import, err = ImportAgainstCopy(ctx, db, filepath.Join(cfg.Dir, "demo-book.csv")); err != nil {
		return nil, err
	}
	say(out, "   %d rows: import %.2f s, COPY %.2f s (%.1f×)\n", res.Import.Rows, res.Import.ImportSeconds, res.Import.CopySeconds, res.Import.ImportSeconds/res.Import.CopySeconds)
	return res, nil
}

// driveCases runs the cases end to end with the simulated agents, on a case worker started
// with env added to its environment, and measures them.
func driveCases(ctx context.Context, db *pgxpool.Pool, tc client.Client, ids []string, cfg SpeedConfig, env []string, log string) (Run, *demo.Sim, error) {
	out := cfg.Out
	w, err := StartProcs(ctx, "case worker", filepath.Join(cfg.Dir, strings.Replace(log, ".log", "-%d.log", 1)), cfg.Workers, env, cfg.Worker[0], cfg.Worker[1:]...)
	if err != nil {
		return Run{}, nil, err
	}
	watch, stopWatch := context.WithCancel(ctx)
	w.Watch(watch, time.Second)
	sim := &demo.Sim{DB: db, Cases: &direct.Client{TC: tc, DB: db}}
	server := watchServer(ctx, cfg.ServerMetrics, cfg.Namespace)
	var started atomic.Int64
	fed := make(chan error, 1)
	t0 := time.Now()
	go func() {
		fed <- demo.Feed(ctx, db, tc, ids, cfg.InFlight, cfg.Pace, demo.Policy(cfg.DayLength), &started)
	}()
	last := time.Now()
	err = sim.Run(ctx, ids, func(closed int) {
		if time.Since(last) > 10*time.Second {
			last = time.Now()
			say(out, "   %4.0fs  %d of %d closed\n", time.Since(t0).Seconds(), closed, len(ids))
		}
	})
	caseTime := time.Since(t0)
	stopWatch()
	if err == nil {
		err = <-fed
	}
	if mErr := w.SaveMetrics(ctx, filepath.Join(cfg.Dir, strings.TrimSuffix(log, ".log")+"-%d-metrics.txt")); mErr != nil {
		say(out, "   (the worker's metrics were not saved: %v)\n", mErr) // a diagnostic: the run stands without it
	}
	if stopErr := w.Stop(); err == nil {
		err = stopErr
	}
	if err != nil {
		return Run{}, nil, fmt.Errorf("the cases: %w", err)
	}
	peak := w.Peak()
	written, sErr := server.writes(ctx, len(ids))
	if sErr != nil {
		say(out, "   (what the server wrote for the cases was not read: %v)\n", sErr) // a diagnostic: the run stands without it
	}
	ramp := map[string]bool{} // the first cohort: the feed starts the cases in order
	for _, id := range ids[:min(len(ids), cfg.InFlight)] {
		ramp[id] = true
	}
	var all, steady []time.Duration
	by := map[string][]time.Duration{}
	trace := [][]string{{"sentSeconds", "caseId", "action", "roundTripMs"}}
	for _, u := range sim.Updates() {
		trace = append(trace, []string{fmt.Sprintf("%.3f", u.At.Sub(t0).Seconds()), u.CaseID, u.Action, fmt.Sprintf("%.1f", ms(u.Took))})
		all = append(all, u.Took)
		by[u.Action] = append(by[u.Action], u.Took)
		if !ramp[u.CaseID] {
			steady = append(steady, u.Took)
		}
	}
	if err := writeCSV(filepath.Join(cfg.Dir, strings.Replace(strings.TrimSuffix(log, ".log"), "worker", "updates", 1)+".csv"), trace); err != nil {
		say(out, "   (the round trips one by one were not saved: %v)\n", err) // a diagnostic: the run stands without it
	}
	byAction := map[string]ActionLatency{}
	for a, l := range by {
		byAction[a] = ActionLatency{Sent: len(l), Quantiles: quantiles(l)}
	}
	return Run{Workflows: len(ids), Seconds: caseTime.Seconds(), PerSecond: float64(len(ids)) / caseTime.Seconds(),
		Updates: quantiles(all), UpdatesByAction: byAction, UpdatesSent: sim.Accepted.Load() + sim.Rejected.Load(),
		AfterRamp: quantiles(steady), AfterRampSent: len(steady),
		WorkerRSSMiB: mib(peak.RSSBytes), WorkerRoutines: peak.Goroutines, Server: written}, sim, nil
}

// driveFloor runs one floor workflow per shape on fresh floor workers and measures them;
// its logs and its round trips one by one are named after name.
func driveFloor(ctx context.Context, tc client.Client, shapes []CaseShape, cfg SpeedConfig, name string) (Run, error) {
	out := cfg.Out
	fw, err := StartProcs(ctx, name+" worker", filepath.Join(cfg.Dir, name+"-worker-%d.log"), cfg.Workers, nil, cfg.Floor[0], cfg.Floor[1:]...)
	if err != nil {
		return Run{}, err
	}
	watch, stopWatch := context.WithCancel(ctx)
	fw.Watch(watch, time.Second)
	server := watchServer(ctx, cfg.ServerMetrics, cfg.Namespace)
	ids, took, lat, steady, trace, sent, err := runFloor(ctx, tc, shapes, cfg.InFlight, cfg.Pace)
	if tErr := writeCSV(filepath.Join(cfg.Dir, name+"-updates.csv"), trace); tErr != nil {
		say(out, "   (%s: the round trips one by one were not saved: %v)\n", name, tErr) // a diagnostic: the run stands without it
	}
	stopWatch()
	if mErr := fw.SaveMetrics(ctx, filepath.Join(cfg.Dir, name+"-worker-%d-metrics.txt")); mErr != nil {
		say(out, "   (%s: the worker's metrics were not saved: %v)\n", name, mErr) // a diagnostic: the run stands without it
	}
	if stopErr := fw.Stop(); err == nil {
		err = stopErr
	}
	if err != nil {
		return Run{}, err
	}
	peak := fw.Peak()
	run := Run{Workflows: len(ids), Seconds: took.Seconds(), PerSecond: float64(len(ids)) / took.Seconds(),
		Updates: quantiles(lat), UpdatesSent: sent, AfterRamp: quantiles(steady), AfterRampSent: len(steady),
		WorkerRSSMiB: mib(peak.RSSBytes), WorkerRoutines: peak.Goroutines}
	var sErr error
	if run.Server, sErr = server.writes(ctx, len(ids)); sErr != nil {
		say(out, "   (%s: what the server wrote was not read: %v)\n", name, sErr) // a diagnostic: the run stands without it
	}
	floorShapes, err := Shapes(ctx, tc, ids)
	if err != nil {
		return Run{}, err
	}
	_, run.EventsMean, run.EventsMax = meanShape(floorShapes)
	return run, nil
}

func meanShape(shapes []CaseShape) (Shape, float64, int) {
	var s Shape
	var events float64
	most := 0
	for _, c := range shapes {
		s.Activities += float64(c.Script.Count(floor.Activity))
		s.LocalActivities += float64(c.Script.Count(floor.LocalActivity))
		s.TimersFired += float64(c.Script.Count(floor.Timer))
		s.TimersCanceled += float64(c.Script.Count(floor.CanceledTimer))
		s.Updates += float64(c.Script.Count(floor.Update))
		s.Signals += float64(c.Script.Count(floor.Signal))
		s.Upserts += float64(c.Script.Count(floor.Upsert))
		s.RunsMax = max(s.RunsMax, c.Runs)
		events += float64(c.Events)
		most = max(most, c.Events)
	}
	n := float64(max(1, len(shapes)))
	s.Activities /= n
	s.LocalActivities /= n
	s.TimersFired /= n
	s.TimersCanceled /= n
	s.Updates /= n
	s.Signals /= n
	s.Upserts /= n
	return s, events / n, most
}

// analyze gathers the planner's statistics of the whole database (as the owner, when
// MIGRATION_DATABASE_URL is set), which the book's import has just filled. Autovacuum would
// within a minute, and an operator does after a bulk load; measured before, the first
// side ran its queries (the id checks, the records' writes) on plans made without them:
// in one run on the production topology the cases' p50 was 16 ms on a database reset
// seconds before, 13 on the same database a run later.
func analyze(ctx context.Context, db *pgxpool.Pool) error {
	if u := os.Getenv("MIGRATION_DATABASE_URL"); u != "" {
		owner, err := store.Open(ctx, u)
		if err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
		defer owner.Close()
		db = owner
	}
	if _, err := db.Exec(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	// a role that does not own a table is only warned: the book's tables must have their
	// statistics now (reltuples is -1 until a table is first analyzed or vacuumed)
	var skipped []string
	rows, err := db.Query(ctx, `SELECT relname::text FROM pg_class
		WHERE oid IN ('accounts'::regclass, 'addresses'::regclass, 'phones'::regclass) AND reltuples < 0 ORDER BY 1`)
	if err == nil {
		skipped, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	if len(skipped) > 0 {
		return fmt.Errorf("analyze: %s not analyzed: set MIGRATION_DATABASE_URL to the tables' owner", strings.Join(skipped, ", "))
	}
	return nil
}

// warmShape is the warm-up's workflow: a case's kinds of steps, short.
var warmShape = floor.Script{Ops: []floor.Op{
	{Kind: floor.LocalActivity}, {Kind: floor.Timer, D: 50 * time.Millisecond}, {Kind: floor.Update, Gap: 100 * time.Millisecond},
	{Kind: floor.Activity}, {Kind: floor.LocalActivity}, {Kind: floor.CanceledTimer, D: time.Hour},
	{Kind: floor.Update, Gap: 100 * time.Millisecond}, {Kind: floor.Activity}, {Kind: floor.Timer, D: 50 * time.Millisecond},
}}

// warmServer runs cfg.WarmUp floor workflows of warmShape on the floor's workers, in flight
// and paced as the measured runs are, and returns how long they took.
func warmServer(ctx context.Context, tc client.Client, cfg SpeedConfig) (time.Duration, error) {
	fw, err := StartProcs(ctx, "warm-up worker", filepath.Join(cfg.Dir, "bench-warm-up-worker-%d.log"), cfg.Workers, nil, cfg.Floor[0], cfg.Floor[1:]...)
	if err != nil {
		return 0, err
	}
	shapes := make([]CaseShape, cfg.WarmUp)
	for i := range shapes {
		shapes[i].Script = warmShape
	}
	_, took, _, _, _, _, err := runFloor(ctx, tc, shapes, cfg.InFlight, cfg.Pace)
	if stopErr := fw.Stop(); err == nil {
		err = stopErr
	}
	return took, err
}

// runFloor runs one floor workflow per shape, inFlight at once and started at most
// perSecond a second (0: no limit) as the cases are, each driven by a client
// that sends its human inputs in order as fast as the workflow takes them. It returns the
// workflow ids, the time they took, the updates' round trips (all, and after the ramp: to
// the workflows after the first inFlight), the same one by one (CSV rows, a header first)
// and the inputs sent.
func runFloor(ctx context.Context, tc client.Client, shapes []CaseShape, inFlight int, perSecond float64) ([]string, time.Duration, []time.Duration, []time.Duration, [][]string, int64, error) {
	stamp := time.Now().UTC().Format("20060102T150405")
	ids := make([]string, len(shapes))
	var mu sync.Mutex
	var all, steady []time.Duration
	trace := [][]string{{"sentSeconds", "workflowId", "input", "roundTripMs"}}
	var inputs atomic.Int64
	errs := make(chan error, len(shapes))
	sem := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	pace := backoffice.Pace{PerSecond: perSecond}.Limiter()
	t0 := time.Now()
	for i, shape := range shapes {
		ids[i] = fmt.Sprintf("floor-%s-%04d", stamp, i)
		sem <- struct{}{}
		if err := pace.Wait(ctx); err != nil {
			errs <- fmt.Errorf("start %s: %w", ids[i], err)
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			opts := client.StartWorkflowOptions{ID: ids[i], TaskQueue: floor.TaskQueue}
			if shape.Script.SearchAttributes { // as a case starts with its stage
				opts.TypedSearchAttributes = temporal.NewSearchAttributes(floor.StageKey.ValueSet("floor"))
			}
			run, err := tc.ExecuteWorkflow(ctx, opts, floor.WorkflowType, shape.Script)
			if err != nil {
				errs <- fmt.Errorf("start %s: %w", ids[i], err)
				return
			}
			for k, in := range shape.Script.Inputs() {
				time.Sleep(in.Gap) // the person's time, as the case's history shows it
				t := time.Now()
				if in.Kind == floor.Signal {
					err = tc.SignalWorkflow(ctx, ids[i], "", floor.SignalName, k)
				} else {
					var h client.WorkflowUpdateHandle
					h, err = tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: ids[i], UpdateName: floor.UpdateName,
						Args: []any{k}, WaitForStage: client.WorkflowUpdateStageAccepted})
					d := time.Since(t) // accepted: the floor's handler has nothing to do
					mu.Lock()
					trace = append(trace, []string{fmt.Sprintf("%.3f", t.Sub(t0).Seconds()), ids[i], fmt.Sprint(k), fmt.Sprintf("%.1f", ms(d))})
					all = append(all, d)
					if i >= inFlight {
						steady = append(steady, d)
					}
					mu.Unlock()
					if err == nil {
						err = h.Get(ctx, nil) // the workflow has fallen quiet again
					}
				}
				if err != nil {
					errs <- fmt.Errorf("%s input %d: %w", ids[i], k, err)
					return
				}
				inputs.Add(1)
			}
			if err := run.Get(ctx, nil); err != nil {
				errs <- fmt.Errorf("%s: %w", ids[i], err)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	close(errs)
	var failed []error
	for err := range errs {
		failed = append(failed, err)
	}
	return ids, elapsed, all, steady, trace, inputs.Load(), errors.Join(failed...)
}

// rowsPerCase counts the PostgreSQL rows the cases wrote, in every table with a case_id.
func rowsPerCase(ctx context.Context, db *pgxpool.Pool, ids []string) (float64, map[string]float64, error) {
	rows, err := db.Query(ctx, `SELECT c.table_name FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
		WHERE c.column_name = 'case_id' AND c.table_schema = current_schema() ORDER BY c.table_name`)
	if err != nil {
		return 0, nil, fmt.Errorf("bench: rows per case: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, nil, fmt.Errorf("bench: rows per case: %w", err)
	}
	by := map[string]float64{}
	total := 0.0
	for _, t := range tables {
		var n int64
		if err := db.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{t}.Sanitize()+` WHERE case_id = ANY($1)`, ids).Scan(&n); err != nil {
			return 0, nil, fmt.Errorf("bench: rows of %s: %w", t, err)
		}
		by[t] = float64(n) / float64(len(ids))
		total += by[t]
	}
	return total, by, nil
}
