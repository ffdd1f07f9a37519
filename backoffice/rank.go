package backoffice

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/casework/casework/contract"
	"github.com/casework/casework/score"
)

// Ranked is an account the screening selects, with the champion's score.
type Ranked struct {
	AccountID   string  `json:"accountId"`
	Region      string  `json:"region"`
	DaysPastDue int     `json:"daysPastDue"`
	AmountDue   int64   `json:"amountDue"`
	Score       float64 `json:"score"`    // the probability of paying (the base rate without history)
	Expected    float64 `json:"expected"` // expected recovery: Score x AmountDue, in minor units
	History     bool    `json:"history"`
	Arm         string  `json:"arm,omitempty"` // the strategy it joins, when the capacity is shared out
}

// Ranking is the screening's selection ranked by expected recovery, and the plain order
// (most overdue and largest first) it replaces.
type Ranking struct {
	Model  int      `json:"model"` // the champion's version; 0: none trained, plain order
	Ranked []Ranked `json:"ranked"`
	Plain  []Ranked `json:"-"`
}

// Rank selects the accounts the policy selects that have no case yet and ranks them by
// expected recovery with the champion model. Without a model, the plain order stays.
func Rank(ctx context.Context, db *pgxpool.Pool, p contract.Policy, f Filter) (*Ranking, error) {
	plain, err := candidates(ctx, db, p, f)
	if err != nil {
		return nil, err
	}
	r := &Ranking{Plain: plain}
	version, model, err := Champion(ctx, db)
	switch {
	case errors.Is(err, ErrNoModel):
		r.Ranked = plain
	case err != nil:
		return nil, err
	default:
		r.Model = version
		if err := scoreAccounts(ctx, db, model, plain); err != nil {
			return nil, err
		}
		r.Ranked = append([]Ranked(nil), plain...)
		sort.SliceStable(r.Ranked, func(i, j int) bool { return r.Ranked[i].Expected > r.Ranked[j].Expected })
	}
	n := capacity(f, len(r.Ranked))
	if n == len(r.Ranked) {
		return r, nil // everyone starts: no arm's rule has anything to choose
	}
	arms, err := Strategies(ctx, db)
	if err != nil {
		return nil, err
	}
	if byArm := r.shareOut(arms, n); byArm != nil {
		r.Ranked = byArm
		return r, nil
	}
	r.Ranked = r.Ranked[:n]
	return r, nil
}

// candidates are the accounts the policy selects that have no case yet (of the filter's
// region), in the plain order: most overdue first, then the largest.
func candidates(ctx context.Context, db *pgxpool.Pool, p contract.Policy, f Filter) ([]Ranked, error) {
	rows, err := db.Query(ctx, `
		SELECT a.account_id, a.region, a.days_past_due, a.amount_due FROM accounts a
		WHERE a.status = 'open' AND a.days_past_due >= $1 AND a.amount_due >= $2
		  AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.account_id = a.account_id)
		  AND ($3 = '' OR a.region = $3)
		ORDER BY a.days_past_due DESC, a.amount_due DESC, a.account_id`, p.MinDaysPastDue, p.MinAmount, f.Region)
	if err != nil {
		return nil, fmt.Errorf("screen: select accounts: %w", err)
	}
	plain, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Ranked, error) {
		var a Ranked
		return a, r.Scan(&a.AccountID, &a.Region, &a.DaysPastDue, &a.AmountDue)
	})
	if err != nil {
		return nil, fmt.Errorf("screen: select accounts: %w", err)
	}
	return plain, nil
}

// capacity is how many accounts start: Capacity or Limit when set and smaller.
func capacity(f Filter, selected int) int {
	n := selected
	for _, c := range []int{f.Capacity, f.Limit} {
		if c > 0 && c < n {
			n = c
		}
	}
	return n
}

// shareOut shares the capacity out among the strategies' arms by their shares: each arm
// takes its accounts (by the stable hash) in the order of its own screening rule. Nil
// when no strategy has a share.
func (r *Ranking) shareOut(arms []Strategy, n int) []Ranked {
	total := 0
	for _, s := range arms {
		total += s.Share
	}
	if total == 0 {
		return nil
	}
	byArm := map[string][]Ranked{}
	order := r.Ranked // by expected recovery (or plain, without a model)
	for _, a := range order {
		if arm, ok := ArmOf(arms, a.AccountID); ok {
			a.Arm = arm.Name
			byArm[arm.Name] = append(byArm[arm.Name], a)
		}
	}
	plainOrder := map[string]int{}
	for i, a := range r.Plain {
		plainOrder[a.AccountID] = i
	}
	// each arm's quota by its share (the largest remainders get the rounding's extra), its
	// accounts in its rule's order; what an arm cannot fill goes to the arms that can
	var pos []Strategy
	for _, s := range arms {
		if s.Share > 0 {
			pos = append(pos, s)
		}
	}
	quota := make([]int, len(pos))
	given := 0
	for i, s := range pos {
		quota[i] = n * s.Share / total
		given += quota[i]
	}
	byRemainder := make([]int, len(pos))
	for i := range byRemainder {
		byRemainder[i] = i
	}
	sort.SliceStable(byRemainder, func(a, b int) bool {
		return n*pos[byRemainder[a]].Share%total > n*pos[byRemainder[b]].Share%total
	})
	for k := 0; given < n; k++ {
		quota[byRemainder[k%len(pos)]]++
		given++
	}
	lists := make([][]Ranked, len(pos))
	taken, slack := make([]int, len(pos)), 0
	for i, s := range pos {
		lists[i] = byArm[s.Name]
		if s.Rule == RulePlain {
			l := lists[i]
			sort.SliceStable(l, func(a, b int) bool { return plainOrder[l[a].AccountID] < plainOrder[l[b].AccountID] })
		}
		taken[i] = min(quota[i], len(lists[i]))
		slack += quota[i] - taken[i]
	}
	for more := true; slack > 0 && more; {
		more = false
		for i := range pos {
			if slack > 0 && taken[i] < len(lists[i]) {
				taken[i]++
				slack--
				more = true
			}
		}
	}
	var out []Ranked
	for i := range pos {
		out = append(out, lists[i][:taken[i]]...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Expected > out[j].Expected })
	return out
}

// scoreAccounts sets each account's score from its history (the model's base rate when it
// has none) and its expected recovery.
func scoreAccounts(ctx context.Context, db *pgxpool.Pool, m *score.Model, accounts []Ranked) error {
	ids := make([]string, len(accounts))
	for i, a := range accounts {
		ids[i] = a.AccountID
	}
	rows, err := db.Query(ctx, `SELECT account_id, month, days_past_due, bill_amount, paid_amount, coalesce(credit_limit, 0)
		FROM account_history WHERE account_id = ANY($1) ORDER BY account_id, month`, ids)
	if err != nil {
		return fmt.Errorf("screen: read the history: %w", err)
	}
	defer rows.Close()
	history := map[string][]score.Month{}
	for rows.Next() {
		var id string
		var m score.Month
		if err := rows.Scan(&id, &m.Month, &m.DaysPastDue, &m.Bill, &m.Paid, &m.CreditLimit); err != nil {
			return fmt.Errorf("screen: read the history: %w", err)
		}
		history[id] = append(history[id], m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("screen: read the history: %w", err)
	}
	base := 1 / (1 + math.Exp(-m.Base))
	for i := range accounts {
		a := &accounts[i]
		a.Score = base
		if h := history[a.AccountID]; len(h) > 0 {
			a.Score, a.History = m.Score(score.Features(h)), true
		}
		a.Expected = a.Score * float64(a.AmountDue)
	}
	return nil
}

// Expected sums the expected recovery of the first n accounts of a list.
func Expected(list []Ranked, n int) float64 {
	var s float64
	for i := 0; i < n && i < len(list); i++ {
		s += list[i].Expected
	}
	return s
}
