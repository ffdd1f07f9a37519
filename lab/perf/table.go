package perf

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// TopologyName is the short name of the Temporal under test, for file names:
// CASEWORK_TOPOLOGY ("server" for the production topology), "dev" by default.
func TopologyName() string {
	if t := os.Getenv("CASEWORK_TOPOLOGY"); t != "" {
		return t
	}
	return "dev"
}

// SpeedTable is the speed run's markdown table.
func SpeedTable(r *SpeedResult) *Table {
	t := &Table{Title: "Speed: cases against the Temporal floor"}
	c, f := r.Cases, r.Floor
	t.Add("cases end to end", fmt.Sprintf("%d in %.1f s: **%.2f cases/s**", c.Workflows, c.Seconds, c.PerSecond),
		fmt.Sprintf("%d in flight, %s, %s case days, %d worker process(es), simulated agents, real activities and PostgreSQL%s", r.InFlight, paceText(r.Pace), r.DayLength, max(1, r.Workers), warmUpText(r.WarmUp)))
	t.Add("floor of the same shape", fmt.Sprintf("%d in %.1f s: **%.2f workflows/s**", f.Workflows, f.Seconds, f.PerSecond),
		"the same activities, local activities, timers, updates and signals per workflow; activities and handlers do nothing")
	t.Add("case / floor", fmt.Sprintf("**%.2f**", r.Ratio), "target 0.95 or more")
	if n := r.CasesNoCodec; n != nil {
		t.Add("payload codec's cost", fmt.Sprintf("with %.2f cases/s, update p95 %.0f ms; without %.2f cases/s, p95 %.0f ms: **%.2f** of the speed",
			c.PerSecond, c.Updates.P95, n.PerSecond, n.Updates.P95, c.PerSecond/n.PerSecond),
			fmt.Sprintf("AES-256-GCM on every payload; %d more cases in the same run with the codec off in the worker and the agents", n.Workflows))
	}
	t.Add("update round trip, cases", fmt.Sprintf("p50 %.0f ms, p95 %.0f ms, p99 %.0f ms", c.Updates.P50, c.Updates.P95, c.Updates.P99),
		fmt.Sprintf("%d updates sent, %d rejected on purpose (bad input)", c.UpdatesSent, r.Rejected))
	if len(c.UpdatesByAction) > 0 {
		var by []string
		for _, a := range slices.Sorted(maps.Keys(c.UpdatesByAction)) {
			l := c.UpdatesByAction[a]
			by = append(by, fmt.Sprintf("%s %d: p50 %.0f, p95 %.0f", a, l.Sent, l.P50, l.P95))
		}
		t.Add("update round trip by action, cases (ms)", strings.Join(by, "; "),
			"phone-verified, visit-report and negotiation-result are answered before their records are written, and are a case's first actions (the ramp's); payments, holds, pauses and closing actions once they are written")
	}
	t.Add("update round trip, floor", fmt.Sprintf("p50 %.0f ms, p95 %.0f ms, p99 %.0f ms", f.Updates.P50, f.Updates.P95, f.Updates.P99),
		fmt.Sprintf("%d inputs sent", f.UpdatesSent))
	if f.Updates.P95 > 0 {
		t.Add("update p95, case / floor", fmt.Sprintf("**%.2f**", c.Updates.P95/f.Updates.P95),
			"target 1.5 or less: an action is answered once the case applied it, its records written after")
	}
	if f.AfterRamp.P95 > 0 {
		t.Add("update round trip after the ramp", fmt.Sprintf("cases p50 %.0f ms, p95 %.0f ms, p99 %.0f ms; floor p50 %.0f ms, p95 %.0f ms, p99 %.0f ms",
			c.AfterRamp.P50, c.AfterRamp.P95, c.AfterRamp.P99, f.AfterRamp.P50, f.AfterRamp.P95, f.AfterRamp.P99),
			fmt.Sprintf("%d and %d updates: those to the first %d workflows (the first to start, on a fresh worker) left out on both sides", c.AfterRampSent, f.AfterRampSent, r.InFlight))
		t.Add("update p95 after the ramp, case / floor", fmt.Sprintf("**%.2f**", c.AfterRamp.P95/f.AfterRamp.P95), "target 1.5 or less, in the steady state")
	}
	if fs := r.FloorSearchAttributes; fs != nil && fs.Updates.P95 > 0 {
		t.Add("floor with the cases' search attributes", fmt.Sprintf("%d in %.1f s: %.2f workflows/s; update p50 %.0f ms, p95 %.0f ms, after the ramp %.0f ms",
			fs.Workflows, fs.Seconds, fs.PerSecond, fs.Updates.P50, fs.Updates.P95, fs.AfterRamp.P95),
			fmt.Sprintf("a diagnostic, not the targets' floor: the floor again, after it, starting with a search attribute and upserting one where each case did (%.1f a case), as DESIGN.md has every case keep its search attributes current", r.Shape.Upserts))
		ratio := fmt.Sprintf("%.2f", c.Updates.P95/fs.Updates.P95)
		if fs.AfterRamp.P95 > 0 {
			ratio += fmt.Sprintf(" (after the ramp %.2f)", c.AfterRamp.P95/fs.AfterRamp.P95)
		}
		t.Add("update p95, case / floor with search attributes", ratio,
			"what is left of the gap once the floor pays for the contract's search-attribute upserts too")
	}
	t.Add("events per case", fmt.Sprintf("mean %.1f, max %d", c.EventsMean, c.EventsMax), fmt.Sprintf("floor: mean %.1f, max %d; runs per case at most %d", f.EventsMean, f.EventsMax, r.Shape.RunsMax))
	s := r.Shape
	t.Add("shape of a case (mean)", fmt.Sprintf("%.1f activities, %.1f local activities, %.1f timers fired, %.1f canceled, %.1f updates, %.1f signals, %.1f search-attribute upserts",
		s.Activities, s.LocalActivities, s.TimersFired, s.TimersCanceled, s.Updates, s.Signals, s.Upserts), "what each floor workflow repeats (the upserts only in the diagnostic floor with search attributes)")
	if c.Server != nil && f.Server != nil {
		with := ""
		if fs := r.FloorSearchAttributes; fs != nil && fs.Server != nil {
			with = fmt.Sprintf("; floor with search attributes: state %.1f in %.0f ms, visibility %.1f in %.0f ms",
				fs.Server.State, fs.Server.StateMs, fs.Server.Visibility, fs.Server.VisibilityMs)
		}
		t.Add("the server's writes per workflow", fmt.Sprintf("cases: state %.1f in %.0f ms, visibility %.1f in %.0f ms; floor: state %.1f in %.0f ms, visibility %.1f in %.0f ms%s",
			c.Server.State, c.Server.StateMs, c.Server.Visibility, c.Server.VisibilityMs, f.Server.State, f.Server.StateMs, f.Server.Visibility, f.Server.VisibilityMs, with),
			"the Temporal server's own metrics: writes of a workflow's state (mutable state and history) and of its visibility record (start, search attributes, close), and the time they took (on the dev server, waits for its one SQLite connection included)")
	}
	t.Add("worker peak RSS / goroutines", fmt.Sprintf("cases %.0f MiB / %d; floor %.0f MiB / %d", c.WorkerRSSMiB, c.WorkerRoutines, f.WorkerRSSMiB, f.WorkerRoutines), "sampled every second")
	var by []string
	for _, k := range slices.Sorted(maps.Keys(r.PGRowsByTable)) {
		if r.PGRowsByTable[k] > 0 {
			by = append(by, fmt.Sprintf("%s %.1f", k, r.PGRowsByTable[k]))
		}
	}
	t.Add("PostgreSQL rows per case", fmt.Sprintf("%.1f", r.PGRowsPerCase), strings.Join(by, ", "))
	t.Add("outcomes", r.Outcomes, "every case against its scenario")
	sr := r.StartRate
	t.Add("start rate", fmt.Sprintf("back office %.1f/s, plain loop %.1f/s: **%.2f**", sr.BackOffice, sr.PlainLoop, sr.Ratio),
		fmt.Sprintf("%d starts each, %d at once, no worker running; goal 0.9 or more", sr.Starts, sr.Concurrency))
	im := r.Import
	t.Add("import of the demo book", fmt.Sprintf("%d rows: import %.2f s, COPY %.2f s (%.1f×)", im.Rows, im.ImportSeconds, im.CopySeconds, im.Ratio),
		"import into empty tables (parse, validate, normalise, upsert) against COPY of the same file into text columns")
	return t
}

// ParkedTable is the scale run's markdown table.
func ParkedTable(r *ParkedResult) *Table {
	t := &Table{Title: "Scale: cases parked at a human wait"}
	t.Add("cases parked", fmt.Sprintf("%d in %.0f s (%.1f a second)", r.Cases, r.StartSeconds, r.StartsPerSec),
		fmt.Sprintf("screened, started and waiting for the phone agents (24-hour days); %.0f events each", r.EventsPerCase))
	row := func(name string, w WorkerAtRest, note string) {
		t.Add(name, fmt.Sprintf("%d cached: %.0f MiB RSS, %d goroutines", w.Cached, w.RSSMiB, w.Goroutines), note)
	}
	row("worker, nothing cached", r.Idle, "at start")
	row("worker, default sticky cache (10,000)", r.Default, fmt.Sprintf("after parking; about %.0f KiB a cached case", r.Default.KiBPerCached))
	row(fmt.Sprintf("worker, sticky cache %d", r.Tuned.StickyCache), r.Tuned, fmt.Sprintf("after waking %d cases; about %.0f KiB a cached case", r.Woken, r.Tuned.KiBPerCached))
	t.Add("wake a parked case, not cached", fmt.Sprintf("p50 %.0f ms, p95 %.0f ms, p99 %.0f ms", r.WakeUncached.P50, r.WakeUncached.P95, r.WakeUncached.P99),
		"a supervisor's pause: the worker replays the case's history first")
	t.Add("the same case again, cached", fmt.Sprintf("p50 %.0f ms, p95 %.0f ms, p99 %.0f ms", r.WakeCached.P50, r.WakeCached.P95, r.WakeCached.P99), "the resume right after")
	return t
}

// ChaosTable is the fault run's markdown table.
func ChaosTable(r *ChaosResult) *Table {
	t := &Table{Title: fmt.Sprintf("Faults: %d cases while the worker is killed and PostgreSQL and Temporal restart", r.Cases)}
	var faults []string
	for _, f := range r.Faults {
		faults = append(faults, fmt.Sprintf("%.0fs %s (%.1f s)", f.At, f.Kind, f.Took))
	}
	t.Add("run", fmt.Sprintf("%.0f s, seed %d", r.Seconds, r.Seed), strings.Join(faults, "; "))
	for _, c := range r.Checks {
		v := "ok"
		if !c.OK {
			v = "**FAILED**"
		}
		t.Add(c.Name, v, c.Detail)
	}
	t.Add("simulation retries", fmt.Sprintf("%d", r.SimErrors), "reads and sends of the simulated agents tried again while something was down")
	return t
}

// paceText says how fast the cases and the floor's workflows were started.
func paceText(perSecond float64) string {
	if perSecond <= 0 {
		return "started as fast as they close (no pace)"
	}
	return fmt.Sprintf("started at most %g a second like the back office's screening (the floor's too)", perSecond)
}

// warmUpText says what ran through the server before anything was measured.
func warmUpText(workflows int) string {
	if workflows <= 0 {
		return "; no warm-up"
	}
	return fmt.Sprintf("; first, %d workflows of a short shape warmed the server up, not measured", workflows)
}
