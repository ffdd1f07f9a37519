package backoffice

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casework/casework/contract"
	"github.com/casework/casework/trial"
)

// Unit costs of the trial's cost figure, in minor units: a call or message, and a field
// visit (two agents, travel). Assumptions of the report, documented in the README.
const (
	CostPerContact = 500
	CostPerVisit   = 8000
)

// Arm is one strategy's closed cases: each KPI with its 95% interval and, for a
// challenger, its difference from the champion with the test's p-value.
type Arm struct {
	Strategy    string         `json:"strategy"`
	Champion    bool           `json:"champion"`
	Cases       int            `json:"cases"`
	Recovered   trial.Interval `json:"recovered"`   // share of cases repaid (paid-in-full, plan-completed)
	PromiseKept trial.Interval `json:"promiseKept"` // share of cases with a plan whose plan was kept
	Recovery    trial.Interval `json:"recovery"`    // mean share of the amount due recovered
	Contacts    trial.Interval `json:"contacts"`    // mean contacts per case
	Visits      trial.Interval `json:"visits"`      // mean field visits per case
	Cost        trial.Interval `json:"cost"`        // mean cost per case, minor units
	Hours       trial.Interval `json:"hours"`       // mean hours from start to a repaid close
	// Versus is the difference from the champion, KPI by KPI.
	Versus map[string]trial.Difference `json:"versus,omitempty"`

	recovered, kept                      []bool
	recovery, contacts, visits, cost, hr []float64
}

// KPIs names the report's figures, in order.
var KPIs = []string{"recovered", "promiseKept", "recovery", "contacts", "visits", "cost", "hours"}

// ByStrategy compares the strategies' closed cases in the range.
func ByStrategy(ctx context.Context, db *pgxpool.Pool, rg Range) ([]*Arm, error) {
	if rg.To.IsZero() {
		rg.To = time.Now().Add(time.Second)
	}
	rows, err := db.Query(ctx, `SELECT coalesce(nullif(s.strategy, ''), '(none)'), s.outcome, s.amount_due, s.amount_paid, s.contacts, s.visits,
			extract(epoch FROM s.closed_at - s.started_at)::float8 / 3600,
			EXISTS (SELECT 1 FROM payment_plans p WHERE p.case_id = s.case_id), coalesce(g.champion, false)
		FROM case_summaries s LEFT JOIN strategies g ON g.name = s.strategy
		WHERE s.closed_at >= $1 AND s.closed_at < $2 AND s.outcome <> 'not-selected'`, rg.From, rg.To)
	if err != nil {
		return nil, fmt.Errorf("report by strategy: %w", err)
	}
	defer rows.Close()
	arms := map[string]*Arm{}
	for rows.Next() {
		var name string
		var outcome contract.Outcome
		var due, paid int64
		var contacts, visits int
		var hours float64
		var planned, champion bool
		if err := rows.Scan(&name, &outcome, &due, &paid, &contacts, &visits, &hours, &planned, &champion); err != nil {
			return nil, fmt.Errorf("report by strategy: %w", err)
		}
		a := arms[name]
		if a == nil {
			a = &Arm{Strategy: name, Champion: champion}
			arms[name] = a
		}
		a.Cases++
		a.recovered = append(a.recovered, outcome.Resolved())
		if planned {
			a.kept = append(a.kept, outcome == contract.OutcomePlanCompleted || outcome == contract.OutcomePaidInFull)
		}
		a.recovery = append(a.recovery, ratio(float64(paid), float64(due)))
		a.contacts = append(a.contacts, float64(contacts))
		a.visits = append(a.visits, float64(visits))
		a.cost = append(a.cost, float64(max(0, contacts-visits)*CostPerContact+visits*CostPerVisit)) // a visit is a contact too
		if outcome.Resolved() {
			a.hr = append(a.hr, hours)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report by strategy: %w", err)
	}
	list := make([]*Arm, 0, len(arms))
	var champion *Arm
	for _, a := range arms {
		a.Recovered = trial.Proportion(count(a.recovered), len(a.recovered))
		a.PromiseKept = trial.Proportion(count(a.kept), len(a.kept))
		a.Recovery, a.Contacts, a.Visits = trial.Mean(a.recovery), trial.Mean(a.contacts), trial.Mean(a.visits)
		a.Cost, a.Hours = trial.Mean(a.cost), trial.Mean(a.hr)
		if a.Champion {
			champion = a
		}
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].Champion != list[j].Champion {
			return list[i].Champion
		}
		return list[i].Strategy < list[j].Strategy
	})
	if champion != nil {
		for _, a := range list {
			if a == champion {
				continue
			}
			a.Versus = map[string]trial.Difference{
				"recovered":   trial.Proportions(count(champion.recovered), len(champion.recovered), count(a.recovered), len(a.recovered)),
				"promiseKept": trial.Proportions(count(champion.kept), len(champion.kept), count(a.kept), len(a.kept)),
				"recovery":    trial.Means(champion.recovery, a.recovery),
				"contacts":    trial.Means(champion.contacts, a.contacts),
				"visits":      trial.Means(champion.visits, a.visits),
				"cost":        trial.Means(champion.cost, a.cost),
				"hours":       trial.Means(champion.hr, a.hr),
			}
		}
	}
	return list, nil
}

func count(xs []bool) int {
	n := 0
	for _, x := range xs {
		if x {
			n++
		}
	}
	return n
}

// WriteArms writes the comparison as text: each arm's KPIs with their intervals, then each
// challenger's differences from the champion and whether they are significant.
func WriteArms(out io.Writer, arms []*Arm) error {
	// The comparison is many small writes: w keeps the first one's error and Flush returns it.
	w := bufio.NewWriter(out)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "strategy\tcases\trepaid\tplan kept\trecovered\tcontacts\tvisits\tcost\thours to repay\t")
	iv := func(i trial.Interval, scale float64, format string) string {
		if i.N == 0 {
			return "—"
		}
		return fmt.Sprintf(format+" ["+format+", "+format+"]", i.Value*scale, i.Low*scale, i.High*scale)
	}
	for _, a := range arms {
		name := a.Strategy
		if a.Champion {
			name += " (champion)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, a.Cases,
			iv(a.Recovered, 100, "%.1f%%"), iv(a.PromiseKept, 100, "%.1f%%"), iv(a.Recovery, 100, "%.1f%%"),
			iv(a.Contacts, 1, "%.2f"), iv(a.Visits, 1, "%.2f"), iv(a.Cost, 0.01, "%.2f"), iv(a.Hours, 1, "%.3g"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nClosed cases only: read the comparison once every case of the trial has closed (arms close at different speeds).\n"+
		"Plan kept is among the cases that agreed a plan; hours to repay among the repaid. Seven figures are tested at 5% each: one may be\n"+
		"significant by chance; decide on the one the trial was run for.")
	for _, a := range arms {
		if a.Versus == nil {
			continue
		}
		fmt.Fprintf(w, "\n%s against the champion (95%% interval of the difference; p-value; significant at 5%%):\n", a.Strategy)
		for _, k := range KPIs {
			d := a.Versus[k]
			verdict := "not significant"
			if d.Significant {
				verdict = "SIGNIFICANT"
			}
			fmt.Fprintf(w, "  %-12s %+.4f [%+.4f, %+.4f]  p %.4f  %s\n", k, d.Diff, d.Low, d.High, d.P, verdict)
		}
	}
	return w.Flush()
}
