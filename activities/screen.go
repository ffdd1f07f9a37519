package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casework/casework/contract"
)

// Screen re-reads the account and decides whether it is selected for field collection. The
// case's policy is the deployment's with the request's overrides on top.
func (a *Activities) Screen(ctx context.Context, req ScreenRequest) (ScreenResult, error) {
	res := ScreenResult{Policy: a.Policy}
	if p, err := a.Policy.WithOverrides(req.Overrides); err != nil {
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
