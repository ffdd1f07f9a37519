package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casework/casework/contract"
)

// Screen re-reads the account and decides whether it is selected for field collection. The
// case's policy is the deployment's with the request's overrides on top, when they only
// tighten it; otherwise the deployment's, and the refusal is reported.
func (a *Activities) Screen(ctx context.Context, req ScreenRequest) (ScreenResult, error) {
	res := ScreenResult{Policy: a.Policy}
	if p, err := a.Policy.Tighten(req.Overrides); err != nil { // a case may only tighten it
		res.PolicyError = err.Error()
	} else {
		res.Policy = p
	}
	var status string
	var addr, phone *string
	err := a.DB.QueryRow(ctx, `SELECT region, timezone, currency, amount_due, days_past_due, status, address_id, phone_id
		FROM accounts WHERE account_id = $1`, req.AccountID).
		Scan(&res.Region, &res.Timezone, &res.Currency, &res.AmountDue, &res.DaysPastDue, &status, &addr, &phone)
	if errors.Is(err, pgx.ErrNoRows) {
		res.Reason = "account not found in the book"
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("screen %s: read account: %w", req.AccountID, err)
	}
	res.Found = true
	if req.FirstRunID != "" {
		if res.CaseKey, err = a.caseKey(ctx, req); err != nil {
			return res, err
		}
	}
	if addr != nil {
		res.AddressID = *addr
	}
	if phone != nil {
		res.PhoneID = *phone
	}
	rows, err := a.DB.Query(ctx, `SELECT agent_id FROM agents WHERE role = 'supervisor' AND active ORDER BY agent_id`)
	if err != nil {
		return res, fmt.Errorf("screen %s: read supervisors: %w", req.AccountID, err)
	}
	res.Supervisors, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return res, fmt.Errorf("screen %s: read supervisors: %w", req.AccountID, err)
	}
	res.Selected, res.Reason = Decide(res.Policy, status, res.DaysPastDue, res.AmountDue)
	return res, nil
}

// caseKey gives the case its key in PostgreSQL, once per case (its first run id): the
// workflow id for an account's first case, "<workflow id>#<n>" for the n-th case of an
// account that defaulted again, so a new case's records stand beside the old one's.
// Cases recorded before case keys existed count too.
func (a *Activities) caseKey(ctx context.Context, req ScreenRequest) (string, error) {
	var key string
	err := a.DB.QueryRow(ctx, `WITH n AS (
			SELECT 1 + greatest(
				(SELECT coalesce(max(case_no), 0) FROM case_keys WHERE workflow_id = $2),
				(SELECT count(*) FROM cases c WHERE c.case_id = $2 AND NOT EXISTS (SELECT 1 FROM case_keys k WHERE k.case_key = c.case_id))) AS no),
		ins AS (INSERT INTO case_keys (first_run_id, workflow_id, case_no, case_key)
			SELECT $1, $2, no, CASE WHEN no = 1 THEN $2 ELSE $2 || '#' || no END FROM n
			ON CONFLICT (first_run_id) DO NOTHING RETURNING case_key)
		SELECT case_key FROM ins UNION ALL SELECT case_key FROM case_keys WHERE first_run_id = $1 LIMIT 1`,
		req.FirstRunID, req.CaseID).Scan(&key)
	if err != nil {
		return "", fmt.Errorf("screen %s: case key: %w", req.CaseID, err)
	}
	return key, nil
}

// Decide is the screening rule: an open account at least minDaysPastDue overdue and owing
// at least minAmount is selected; every other is not, with the reason.
func Decide(p contract.Policy, status string, daysPastDue int, amountDue int64) (bool, string) {
	switch {
	case status == "disputed":
		return false, "disputed"
	case status == "deceased":
		return false, "deceased"
	case status == "bankrupt":
		return false, "bankrupt"
	case status == "paid" || amountDue == 0:
		return false, "already paid"
	case status != "open":
		return false, fmt.Sprintf("status %q", status)
	case daysPastDue < p.MinDaysPastDue:
		return false, fmt.Sprintf("below the days-past-due threshold (%d < %d)", daysPastDue, p.MinDaysPastDue)
	case amountDue < p.MinAmount:
		return false, fmt.Sprintf("below the amount threshold (%d < %d)", amountDue, p.MinAmount)
	}
	return true, fmt.Sprintf("selected: %d days past due, %d due", daysPastDue, amountDue)
}
