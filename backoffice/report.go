package backoffice

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Range is the period a report covers: cases closed, and contacts made, in [From, To).
type Range struct {
	From, To time.Time
}

// Report is the lessons-learned view of the cases, from PostgreSQL.
type Report struct {
	From          time.Time          `json:"from"`
	To            time.Time          `json:"to"`
	Open          map[string]int     `json:"open"` // open cases by stage (now)
	Outcomes      []OutcomeLine      `json:"outcomes"`
	StageSeconds  map[string]float64 `json:"avgStageSeconds"` // average time in each stage
	Anomalies     map[string]int     `json:"anomalies"`
	RemindersSent int                `json:"remindersSent"`
	Simulated     int                `json:"simulatedCases"` // closed cases of a simulation (short case days)
	Total         Figures            `json:"total"`
	Regions       []RegionLine       `json:"regions"`
	Agents        []AgentLine        `json:"agents"`
}

// Figures are the rates a collection agency steers by.
type Figures struct {
	Cases        int     `json:"cases"`        // closed in the range
	Due          int64   `json:"amountDue"`    // of those cases
	Collected    int64   `json:"collected"`    // of those cases
	Recovery     float64 `json:"recoveryRate"` // collected / due
	PromisesKept float64 `json:"promiseKeptRate"`
	RightParty   float64 `json:"rightPartyContactRate"` // calls that reached the debtor
	Satisfaction float64 `json:"avgSatisfaction"`       // of surveys that reached the debtor
	Rejected     int     `json:"rejectedReports"`
	Violations   int     `json:"guardrailViolations"`
}

// OutcomeLine is the closed cases of one outcome.
type OutcomeLine struct {
	Outcome   string `json:"outcome"`
	Cases     int    `json:"cases"`
	AmountDue int64  `json:"amountDue"`
	Collected int64  `json:"collected"`
}

// RegionLine is one region's figures.
type RegionLine struct {
	Region string `json:"region"`
	Figures
}

// AgentLine is one agent's figures: contacts made, and how they went.
type AgentLine struct {
	Agent      string  `json:"agent"`
	Role       string  `json:"role"`
	Region     string  `json:"region"`
	Contacts   int     `json:"contacts"`
	Calls      int     `json:"calls"`
	RightParty float64 `json:"rightPartyContactRate"`
	Plans      int     `json:"plansAgreed"`
	Rejected   int     `json:"rejectedReports"`
	Violations int     `json:"guardrailViolations"`
}

// rightParty is the phone-verify outcomes that reached the debtor.
const rightParty = `('confirmed', 'address-changed', 'refused')`

// regionFigures computes Figures per region (” for all) in one query.
const regionFigures = `
WITH s AS (SELECT * FROM case_summaries WHERE closed_at >= $1 AND closed_at < $2),
inst AS (SELECT s.region, count(*) FILTER (WHERE i.paid >= i.amount) AS kept, count(*) FILTER (WHERE i.missed) AS broken
	FROM installments i JOIN s USING (case_id) GROUP BY ROLLUP (s.region)),
calls AS (SELECT c.region, count(*) AS n, count(*) FILTER (WHERE a.reason IN ` + rightParty + `) AS rpc
	FROM audit_trail a JOIN cases c USING (case_id)
	WHERE a.kind = 'phone-verified' AND a.accepted AND a.at >= $1 AND a.at < $2 GROUP BY ROLLUP (c.region)),
audit AS (SELECT c.region, count(*) FILTER (WHERE NOT a.accepted AND a.actor <> 'workflow') AS rejected,
		count(*) FILTER (WHERE a.violation <> '') AS violations
	FROM audit_trail a JOIN cases c USING (case_id) WHERE a.at >= $1 AND a.at < $2 GROUP BY ROLLUP (c.region)),
sat AS (SELECT s.region, avg(v.satisfaction) AS avg FROM surveys v JOIN s USING (case_id) WHERE v.reached GROUP BY ROLLUP (s.region)),
tot AS (SELECT region, count(*) AS cases, sum(amount_due) AS due, sum(amount_paid) AS paid FROM s GROUP BY ROLLUP (region))
SELECT coalesce(r.region, ''), coalesce(t.cases, 0), coalesce(t.due, 0), coalesce(t.paid, 0),
	coalesce(i.kept, 0), coalesce(i.broken, 0), coalesce(c.n, 0), coalesce(c.rpc, 0), coalesce(v.avg, 0),
	coalesce(a.rejected, 0), coalesce(a.violations, 0)
FROM (SELECT region FROM tot UNION SELECT region FROM audit UNION SELECT region FROM calls) r
LEFT JOIN tot t ON t.region IS NOT DISTINCT FROM r.region
LEFT JOIN inst i ON i.region IS NOT DISTINCT FROM r.region
LEFT JOIN calls c ON c.region IS NOT DISTINCT FROM r.region
LEFT JOIN sat v ON v.region IS NOT DISTINCT FROM r.region
LEFT JOIN audit a ON a.region IS NOT DISTINCT FROM r.region
ORDER BY r.region NULLS FIRST`

const agentFigures = `
SELECT g.agent_id, g.role, g.region,
	count(*) FILTER (WHERE a.contact AND a.accepted),
	count(*) FILTER (WHERE a.kind = 'phone-verified' AND a.accepted),
	count(*) FILTER (WHERE a.kind = 'phone-verified' AND a.accepted AND a.reason IN ` + rightParty + `),
	count(*) FILTER (WHERE a.kind = 'negotiation-result' AND a.accepted AND a.reason LIKE 'plan-agreed%'),
	count(*) FILTER (WHERE NOT a.accepted),
	count(*) FILTER (WHERE a.violation <> '')
FROM agents g JOIN audit_trail a ON a.actor = g.agent_id AND a.at >= $1 AND a.at < $2
GROUP BY 1, 2, 3 ORDER BY 3, 2, 1`

// BuildReport reads the report of the range from PostgreSQL. A zero To means now.
func BuildReport(ctx context.Context, db *pgxpool.Pool, rg Range) (Report, error) {
	if rg.To.IsZero() {
		rg.To = time.Now().Add(time.Second)
	}
	r := Report{From: rg.From, To: rg.To, Open: map[string]int{}, StageSeconds: map[string]float64{}, Anomalies: map[string]int{}}
	counts := []struct {
		what string
		q    string
		into map[string]int
	}{
		{"open cases", `SELECT stage, count(*)::int FROM cases WHERE stage <> 'closed' AND $1::timestamptz <= $2 GROUP BY stage`, r.Open},
		{"anomalies", `SELECT key, sum(value::int)::int FROM case_summaries, jsonb_each_text(anomalies) WHERE closed_at >= $1 AND closed_at < $2 GROUP BY key`, r.Anomalies},
	}
	for _, c := range counts {
		if err := scanMap(ctx, db, c.q, rg, c.into); err != nil {
			return r, fmt.Errorf("report: %s: %w", c.what, err)
		}
	}
	rows, err := db.Query(ctx, `SELECT key, avg(value::float8) FROM case_summaries, jsonb_each_text(stage_seconds)
		WHERE closed_at >= $1 AND closed_at < $2 GROUP BY key`, rg.From, rg.To)
	if err != nil {
		return r, fmt.Errorf("report: stage times: %w", err)
	}
	var key string
	var secs float64
	if _, err := pgx.ForEachRow(rows, []any{&key, &secs}, func() error { r.StageSeconds[key] = secs; return nil }); err != nil {
		return r, fmt.Errorf("report: stage times: %w", err)
	}
	rows, err = db.Query(ctx, `SELECT outcome, count(*)::int, sum(amount_due), sum(amount_paid) FROM case_summaries
		WHERE closed_at >= $1 AND closed_at < $2 GROUP BY outcome ORDER BY count(*) DESC, outcome`, rg.From, rg.To)
	if err != nil {
		return r, fmt.Errorf("report: outcomes: %w", err)
	}
	if r.Outcomes, err = pgx.CollectRows(rows, pgx.RowToStructByPos[OutcomeLine]); err != nil {
		return r, fmt.Errorf("report: outcomes: %w", err)
	}
	if err := db.QueryRow(ctx, `SELECT count(*) FROM case_summaries WHERE simulation AND closed_at >= $1 AND closed_at < $2`, rg.From, rg.To).Scan(&r.Simulated); err != nil {
		return r, fmt.Errorf("report: simulated cases: %w", err)
	}
	if err := db.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE sent_at >= $1 AND sent_at < $2`, rg.From, rg.To).Scan(&r.RemindersSent); err != nil {
		return r, fmt.Errorf("report: reminders: %w", err)
	}
	rows, err = db.Query(ctx, regionFigures, rg.From, rg.To)
	if err != nil {
		return r, fmt.Errorf("report: regions: %w", err)
	}
	lines, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (RegionLine, error) {
		var l RegionLine
		var kept, broken, calls, rpc int
		err := row.Scan(&l.Region, &l.Cases, &l.Due, &l.Collected, &kept, &broken, &calls, &rpc, &l.Satisfaction, &l.Rejected, &l.Violations)
		l.Recovery, l.PromisesKept, l.RightParty = ratio(float64(l.Collected), float64(l.Due)), ratio(float64(kept), float64(kept+broken)), ratio(float64(rpc), float64(calls))
		return l, err
	})
	if err != nil {
		return r, fmt.Errorf("report: regions: %w", err)
	}
	for _, l := range lines {
		if l.Region == "" {
			r.Total = l.Figures
		} else {
			r.Regions = append(r.Regions, l)
		}
	}
	rows, err = db.Query(ctx, agentFigures, rg.From, rg.To)
	if err != nil {
		return r, fmt.Errorf("report: agents: %w", err)
	}
	r.Agents, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (AgentLine, error) {
		var l AgentLine
		var rpc int
		err := row.Scan(&l.Agent, &l.Role, &l.Region, &l.Contacts, &l.Calls, &rpc, &l.Plans, &l.Rejected, &l.Violations)
		l.RightParty = ratio(float64(rpc), float64(l.Calls))
		return l, err
	})
	if err != nil {
		return r, fmt.Errorf("report: agents: %w", err)
	}
	return r, nil
}

func scanMap(ctx context.Context, db *pgxpool.Pool, q string, rg Range, into map[string]int) error {
	rows, err := db.Query(ctx, q, rg.From, rg.To)
	if err != nil {
		return err
	}
	var k string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&k, &n}, func() error { into[k] = n; return nil })
	return err
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// money prints minor units with two decimals.
func money(v int64) string { return fmt.Sprintf("%d.%02d", v/100, v%100) }

func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

// WriteText prints the report as tables.
func (r Report) WriteText(out io.Writer) error {
	// The report is many small writes: w keeps the first one's error and Flush returns it.
	w := bufio.NewWriter(out)
	from := "the beginning"
	if !r.From.IsZero() {
		from = r.From.Format(time.DateTime)
	}
	fmt.Fprintf(w, "cases closed from %s to %s\n\n", from, r.To.Format(time.DateTime))
	if r.Simulated > 0 {
		fmt.Fprintf(w, "SIMULATION: %d of these cases ran in a declared simulation (short case days, nobody contacted): not a deployment's figures\n\n", r.Simulated)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "outcome\tcases\tamount due\tcollected\t")
	for _, l := range r.Outcomes {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t\n", l.Outcome, l.Cases, money(l.AmountDue), money(l.Collected))
	}
	fmt.Fprintf(tw, "closed\t%d\t%s\t%s\t\n", r.Total.Cases, money(r.Total.Due), money(r.Total.Collected))
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "region\tcases\trecovery\tpromises kept\tright-party contact\tsatisfaction\trejected reports\tviolations\t")
	for _, l := range append(r.Regions, RegionLine{Region: "all", Figures: r.Total}) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%.2f\t%d\t%d\t\n", l.Region, l.Cases, pct(l.Recovery), pct(l.PromisesKept), pct(l.RightParty), l.Satisfaction, l.Rejected, l.Violations)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	fmt.Fprintln(w, "\naverage time in each stage:")
	for _, s := range []string{"screen", "phone-verify", "visit", "negotiate", "repayment", "survey"} {
		if v, ok := r.StageSeconds[s]; ok {
			fmt.Fprintf(w, "  %-13s %12s\n", s, time.Duration(v*float64(time.Second)).Round(time.Millisecond))
		}
	}
	writeCounts(w, "open cases by stage (now)", r.Open)
	writeCounts(w, "anomalies", r.Anomalies)
	fmt.Fprintln(w, "\nby agent:")
	tw = tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "agent\trole\tregion\tcontacts\tcalls\tright-party\tplans\trejected\tviolations\t")
	for _, a := range r.Agents {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%d\t%d\t%d\t\n", a.Agent, a.Role, a.Region, a.Contacts, a.Calls, pct(a.RightParty), a.Plans, a.Rejected, a.Violations)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	fmt.Fprintf(w, "\nreminders sent: %d · reports rejected: %d · guardrail violations flagged: %d\n", r.RemindersSent, r.Total.Rejected, r.Total.Violations)
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

func writeCounts(w *bufio.Writer, title string, m map[string]int) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s:\n", title)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-16s %6d\n", k, m[k])
	}
}

// WriteCSV prints the report for spreadsheets: one row a figure (section, key, figure,
// value).
func (r Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	rows := [][]string{{"section", "key", "figure", "value"}}
	add := func(section, key, figure string, v any) {
		rows = append(rows, []string{section, key, figure, fmt.Sprint(v)})
	}
	figures := func(section, key string, f Figures) {
		add(section, key, "cases", f.Cases)
		add(section, key, "amountDue", f.Due)
		add(section, key, "collected", f.Collected)
		add(section, key, "recoveryRate", strconv.FormatFloat(f.Recovery, 'f', 4, 64))
		add(section, key, "promiseKeptRate", strconv.FormatFloat(f.PromisesKept, 'f', 4, 64))
		add(section, key, "rightPartyContactRate", strconv.FormatFloat(f.RightParty, 'f', 4, 64))
		add(section, key, "avgSatisfaction", strconv.FormatFloat(f.Satisfaction, 'f', 2, 64))
		add(section, key, "rejectedReports", f.Rejected)
		add(section, key, "guardrailViolations", f.Violations)
	}
	figures("total", "all", r.Total)
	for _, l := range r.Regions {
		figures("region", l.Region, l.Figures)
	}
	for _, l := range r.Outcomes {
		add("outcome", l.Outcome, "cases", l.Cases)
		add("outcome", l.Outcome, "collected", l.Collected)
	}
	for k, v := range r.StageSeconds {
		add("stage", k, "avgSeconds", strconv.FormatFloat(v, 'f', 1, 64))
	}
	for k, v := range r.Anomalies {
		add("anomaly", k, "count", v)
	}
	for _, a := range r.Agents {
		add("agent", a.Agent, "contacts", a.Contacts)
		add("agent", a.Agent, "calls", a.Calls)
		add("agent", a.Agent, "rightPartyContactRate", strconv.FormatFloat(a.RightParty, 'f', 4, 64))
		add("agent", a.Agent, "plansAgreed", a.Plans)
		add("agent", a.Agent, "rejectedReports", a.Rejected)
		add("agent", a.Agent, "guardrailViolations", a.Violations)
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
