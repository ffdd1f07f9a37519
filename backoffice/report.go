package backoffice

import (
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Report is the back office's view of the cases, from PostgreSQL.
type Report struct {
	Open          map[string]int     `json:"open"` // open cases by stage
	Outcomes      []OutcomeLine      `json:"outcomes"`
	StageSeconds  map[string]float64 `json:"avgStageSeconds"` // average time in each stage, closed cases
	Collected     int64              `json:"collected"`
	Due           int64              `json:"due"`
	Anomalies     map[string]int     `json:"anomalies"`
	Violations    int                `json:"violations"`
	Rejected      int                `json:"rejected"` // reports recorded as rejected
	RemindersSent int                `json:"remindersSent"`
}

// OutcomeLine is the closed cases of one outcome.
type OutcomeLine struct {
	Outcome   string `json:"outcome"`
	Cases     int    `json:"cases"`
	AmountDue int64  `json:"amountDue"`
	Collected int64  `json:"collected"`
}

// BuildReport reads the report from PostgreSQL.
func BuildReport(ctx context.Context, db *pgxpool.Pool) (Report, error) {
	r := Report{Open: map[string]int{}, StageSeconds: map[string]float64{}, Anomalies: map[string]int{}}
	rows, err := db.Query(ctx, `SELECT stage, count(*) FROM cases WHERE stage <> 'closed' GROUP BY stage`)
	if err != nil {
		return r, fmt.Errorf("report: open cases: %w", err)
	}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return r, fmt.Errorf("report: open cases: %w", err)
		}
		r.Open[s] = n
	}
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("report: open cases: %w", err)
	}
	rows, err = db.Query(ctx, `SELECT outcome, count(*), sum(amount_due), sum(amount_paid) FROM case_summaries GROUP BY outcome ORDER BY count(*) DESC, outcome`)
	if err != nil {
		return r, fmt.Errorf("report: outcomes: %w", err)
	}
	for rows.Next() {
		var l OutcomeLine
		if err := rows.Scan(&l.Outcome, &l.Cases, &l.AmountDue, &l.Collected); err != nil {
			return r, fmt.Errorf("report: outcomes: %w", err)
		}
		r.Outcomes = append(r.Outcomes, l)
		r.Collected += l.Collected
		r.Due += l.AmountDue
	}
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("report: outcomes: %w", err)
	}
	rows, err = db.Query(ctx, `SELECT key, avg(value::float8) FROM case_summaries, jsonb_each_text(stage_seconds) GROUP BY key`)
	if err != nil {
		return r, fmt.Errorf("report: stage times: %w", err)
	}
	for rows.Next() {
		var k string
		var v float64
		if err := rows.Scan(&k, &v); err != nil {
			return r, fmt.Errorf("report: stage times: %w", err)
		}
		r.StageSeconds[k] = v
	}
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("report: stage times: %w", err)
	}
	rows, err = db.Query(ctx, `SELECT key, sum(value::int) FROM case_summaries, jsonb_each_text(anomalies) GROUP BY key`)
	if err != nil {
		return r, fmt.Errorf("report: anomalies: %w", err)
	}
	for rows.Next() {
		var k string
		var v int
		if err := rows.Scan(&k, &v); err != nil {
			return r, fmt.Errorf("report: anomalies: %w", err)
		}
		r.Anomalies[k] = v
	}
	if err := rows.Err(); err != nil {
		return r, fmt.Errorf("report: anomalies: %w", err)
	}
	if err := db.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM audit_log WHERE violation <> ''),
			(SELECT count(*) FROM audit_log WHERE NOT accepted AND actor <> 'workflow'),
			(SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL)`).Scan(&r.Violations, &r.Rejected, &r.RemindersSent); err != nil {
		return r, fmt.Errorf("report: audit counts: %w", err)
	}
	return r, nil
}

// WriteText prints the report as tables.
func (r Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "outcome\tcases\tamount due\tcollected\t")
	total := 0
	for _, l := range r.Outcomes {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t\n", l.Outcome, l.Cases, money(l.AmountDue), money(l.Collected))
		total += l.Cases
	}
	fmt.Fprintf(tw, "closed\t%d\t%s\t%s\t\n", total, money(r.Due), money(r.Collected))
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if r.Due > 0 {
		fmt.Fprintf(w, "\nrecovery rate: %.1f%% of the amount due in closed cases\n", 100*float64(r.Collected)/float64(r.Due))
	}
	fmt.Fprintln(w, "\naverage time in each stage (closed cases):")
	stages := []string{"screen", "phone-verify", "visit", "negotiate", "repayment", "survey"}
	for _, s := range stages {
		if v, ok := r.StageSeconds[s]; ok {
			fmt.Fprintf(w, "  %-13s %8.1fs\n", s, v)
		}
	}
	if len(r.Open) > 0 {
		fmt.Fprintln(w, "\nopen cases by stage:")
		keys := make([]string, 0, len(r.Open))
		for k := range r.Open {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %-13s %6d\n", k, r.Open[k])
		}
	}
	fmt.Fprintln(w, "\nanomalies:")
	keys := make([]string, 0, len(r.Anomalies))
	for k := range r.Anomalies {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-16s %6d\n", k, r.Anomalies[k])
	}
	_, err := fmt.Fprintf(w, "\nreminders sent: %d · reports rejected: %d · guardrail violations flagged: %d\n", r.RemindersSent, r.Rejected, r.Violations)
	return err
}

// money prints minor units with two decimals.
func money(v int64) string { return fmt.Sprintf("%d.%02d", v/100, v%100) }
