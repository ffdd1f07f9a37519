package activities

import (
	"context"
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

// CheckRefs checks every id of an action against PostgreSQL, in one round trip, and
// returns the problems, each naming the payload's field (none: all good). It only reads.
func (a *Activities) CheckRefs(ctx context.Context, req RefCheck) ([]*contract.FieldError, error) {
	type found struct {
		owner, role, badge string
		active             bool
	}
	seen := map[string]map[string]found{"address": {}, "phone": {}, "agent": {}}
	rows, err := a.DB.Query(ctx, `
		SELECT 'address', address_id, account_id, '', '', true FROM addresses WHERE address_id = ANY($1)
		UNION ALL
		SELECT 'phone', phone_id, account_id, '', '', true FROM phones WHERE phone_id = ANY($2)
		UNION ALL
		SELECT 'agent', agent_id, '', role, coalesce(badge_no, ''), active FROM agents WHERE agent_id = ANY($3)`,
		idsOf(req.Addresses, ContactRef.id), idsOf(req.Phones, ContactRef.id), idsOf(req.Agents, AgentRef.id))
	if err != nil {
		return nil, fmt.Errorf("check the ids of %s: %w", req.CaseID, err)
	}
	var kind, id string
	var f found
	if _, err := pgx.ForEachRow(rows, []any{&kind, &id, &f.owner, &f.role, &f.badge, &f.active}, func() error {
		seen[kind][id] = f
		return nil
	}); err != nil {
		return nil, fmt.Errorf("check the ids of %s: %w", req.CaseID, err)
	}
	var out []*contract.FieldError
	for _, kind := range []struct {
		what string
		refs []ContactRef
	}{{"address", req.Addresses}, {"phone", req.Phones}} {
		for _, ref := range kind.refs {
			if f, ok := seen[kind.what][ref.ID]; !ok || f.owner != req.AccountID {
				// the same answer whether the id is unknown or another debtor's: a caller
				// learns nothing about other accounts
				out = append(out, contract.Invalid(ref.Field, "%s is not a %s recorded for this case's account", ref.ID, kind.what))
			}
		}
	}
	for _, ref := range req.Agents {
		f, ok := seen["agent"][ref.ID]
		switch {
		case !ok || !f.active:
			out = append(out, contract.Invalid(ref.Field, "%s is not an active agent", ref.ID))
		case !slices.Contains(ref.Roles, f.role):
			out = append(out, contract.Invalid(ref.Field, "%s is a %s agent, not %s", ref.ID, f.role, strings.Join(ref.Roles, " or ")))
		case f.role == contract.RoleField && strings.TrimSpace(f.badge) == "":
			out = append(out, contract.Invalid(ref.Field, "%s has no work badge number: a field agent at a visit shows a badge", ref.ID))
		}
	}
	return out, nil
}

func (r ContactRef) id() string { return r.ID }
func (r AgentRef) id() string   { return r.ID }

// idsOf lists the ids of refs.
func idsOf[R any](refs []R, id func(R) string) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = id(r)
	}
	return out
}
