package demo

import (
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casework/casework/contract"
)

// Verdict is, for one scenario, how many cases reached the outcome they should.
type Verdict struct {
	Scenario Scenario
	Expected contract.Outcome
	Cases    int
	Reached  int
	Wrong    []string // "case-id: outcome"
}

// Verdicts checks every demo case's outcome in PostgreSQL against its scenario.
func Verdicts(ctx context.Context, db *pgxpool.Pool, caseIDs []string) ([]Verdict, error) {
	ids := slices.Clone(caseIDs)
	slices.Sort(ids)
	outcomes := map[string]string{}
	rows, err := db.Query(ctx, `SELECT case_id, outcome FROM cases WHERE case_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("verdicts: %w", err)
	}
	for rows.Next() {
		var id, o string
		if err := rows.Scan(&id, &o); err != nil {
			return nil, fmt.Errorf("verdicts: %w", err)
		}
		outcomes[id] = o
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("verdicts: %w", err)
	}
	by := map[Scenario]*Verdict{}
	var out []Verdict
	for _, m := range mix {
		by[m.s] = &Verdict{Scenario: m.s, Expected: m.expect}
	}
	for i, id := range ids {
		v := by[ScenarioAt(i)]
		v.Cases++
		if outcomes[id] == string(v.Expected) {
			v.Reached++
		} else {
			v.Wrong = append(v.Wrong, fmt.Sprintf("%s: %q", id, outcomes[id]))
		}
	}
	for _, m := range mix {
		out = append(out, *by[m.s])
	}
	return out, nil
}

// WriteVerdicts prints the verdict table.
func WriteVerdicts(w io.Writer, vs []Verdict) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\texpected outcome\tcases\treached\t")
	for _, v := range vs {
		mark := "ok"
		if v.Reached != v.Cases {
			mark = fmt.Sprintf("WRONG %v", v.Wrong)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", v.Scenario, v.Expected, v.Cases, v.Reached, mark)
	}
	return tw.Flush()
}
