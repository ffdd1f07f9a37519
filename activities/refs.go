package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/casework/casework/contract"
)

// AgentRef is an agent an action names: the payload field it came from and the roles it
// may have there. Field agents must also hold a work badge number.
type AgentRef struct {
	Field string   `json:"field"`
	ID    string   `json:"id"`
	Roles []string `json:"roles"`
}

// ContactRef is an address or phone an action names, with the payload field it came from.
type ContactRef struct {
	Field string `json:"field"`
	ID    string `json:"id"`
}

// RefCheck asks whether the ids an action names are what it claims: addresses and phones
// recorded for the case's account, agents active in the right role.
type RefCheck struct {
	CaseID    string       `json:"caseId"`
	AccountID string       `json:"accountId"`
	Addresses []ContactRef `json:"addresses,omitempty"`
	Phones    []ContactRef `json:"phones,omitempty"`
	Agents    []AgentRef   `json:"agents,omitempty"`
}

// Empty reports whether there is nothing to check.
func (r RefCheck) Empty() bool { return len(r.Addresses)+len(r.Phones)+len(r.Agents) == 0 }

// CheckRefs checks every id of an action against PostgreSQL and returns the problems,
// each naming the payload's field (none: all good). It only reads.
func (a *Activities) CheckRefs(ctx context.Context, req RefCheck) ([]*contract.FieldError, error) {
	var out []*contract.FieldError
	for _, kind := range []struct {
		table, key, what string
		refs             []ContactRef
	}{
		{"addresses", "address_id", "address", req.Addresses},
		{"phones", "phone_id", "phone", req.Phones},
	} {
		for _, ref := range kind.refs {
			var owner string
			err := a.DB.QueryRow(ctx, `SELECT account_id FROM `+kind.table+` WHERE `+kind.key+` = $1`, ref.ID).Scan(&owner)
			switch {
			case errors.Is(err, pgx.ErrNoRows) || (err == nil && owner != req.AccountID):
				// the same answer whether the id is unknown or another debtor's: a
				// caller learns nothing about other accounts
				out = append(out, contract.Invalid(ref.Field, "%s is not a %s recorded for this case's account", ref.ID, kind.what))
			case err != nil:
				return nil, fmt.Errorf("check %s %s of %s: %w", kind.what, ref.ID, req.CaseID, err)
			}
		}
	}
	for _, ref := range req.Agents {
		var role, badge string
		var active bool
		err := a.DB.QueryRow(ctx, `SELECT role, coalesce(badge_no, ''), active FROM agents WHERE agent_id = $1`, ref.ID).Scan(&role, &badge, &active)
		switch {
		case errors.Is(err, pgx.ErrNoRows) || (err == nil && !active):
			out = append(out, contract.Invalid(ref.Field, "%s is not an active agent", ref.ID))
		case err != nil:
			return nil, fmt.Errorf("check agent %s of %s: %w", ref.ID, req.CaseID, err)
		case !slices.Contains(ref.Roles, role):
			out = append(out, contract.Invalid(ref.Field, "%s is a %s agent, not %s", ref.ID, role, strings.Join(ref.Roles, " or ")))
		case role == contract.RoleField && strings.TrimSpace(badge) == "":
			out = append(out, contract.Invalid(ref.Field, "%s has no work badge number: a field agent at a visit shows a badge", ref.ID))
		}
	}
	return out, nil
}
