package activities

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/casework/casework/contract"
)

// AssignAgents picks up to Count active agents of the role in the region, other than those
// excluded: the least loaded first (open tasks), ties spread by the case. Field agents
// must have a work badge number.
func (a *Activities) AssignAgents(ctx context.Context, req AssignRequest) ([]string, error) {
	if req.Role != contract.RolePhone && req.Role != contract.RoleField {
		return nil, fmt.Errorf("assign agents to %s: role %q is not phone or field", req.CaseID, req.Role)
	}
	exclude := req.Exclude
	if exclude == nil {
		exclude = []string{}
	}
	rows, err := a.DB.Query(ctx, `
		SELECT g.agent_id FROM agents g
		WHERE g.role = $1 AND g.region = $2 AND g.active AND NOT (g.agent_id = ANY($3))
		  AND (g.role <> 'field' OR coalesce(g.badge_no, '') <> '')
		ORDER BY (SELECT count(*) FROM tasks t WHERE t.status = 'open' AND t.assignees @> ARRAY[g.agent_id]),
		         md5(g.agent_id || $4)
		LIMIT $5`, req.Role, req.Region, exclude, req.CaseID, req.Count)
	if err != nil {
		return nil, fmt.Errorf("assign %s agents to %s: %w", req.Role, req.CaseID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("assign %s agents to %s: %w", req.Role, req.CaseID, err)
	}
	return ids, nil
}
