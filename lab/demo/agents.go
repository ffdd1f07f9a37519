package demo

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Agent is one demo agent.
type Agent struct {
	ID, Name, Role, Region, Badge string
}

// Agents are the demo's staff: in each region three phone agents and six field agents
// (each with a work badge), and two supervisors for all regions.
func Agents() []Agent {
	var out []Agent
	for _, r := range Regions {
		for i := 1; i <= 3; i++ {
			out = append(out, Agent{ID: fmt.Sprintf("phone-%s-%d", r, i), Name: fmt.Sprintf("Phone Agent %s %d", r, i), Role: "phone", Region: r})
		}
		for i := 1; i <= 6; i++ {
			out = append(out, Agent{ID: fmt.Sprintf("field-%s-%d", r, i), Name: fmt.Sprintf("Field Agent %s %d", r, i), Role: "field", Region: r,
				Badge: fmt.Sprintf("B-%s-%03d", r[:1], i)})
		}
	}
	for i := 1; i <= 2; i++ {
		out = append(out, Agent{ID: fmt.Sprintf("sup-%d", i), Name: fmt.Sprintf("Supervisor %d", i), Role: "supervisor", Region: "all"})
	}
	return out
}

// SeedAgents writes the demo agents; running it again changes nothing.
func SeedAgents(ctx context.Context, db *pgxpool.Pool) (int, error) {
	b := &pgx.Batch{}
	for _, a := range Agents() {
		var badge any
		if a.Badge != "" {
			badge = a.Badge
		}
		b.Queue(`INSERT INTO agents (agent_id, name, role, region, badge_no) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (agent_id) DO NOTHING`, a.ID, a.Name, a.Role, a.Region, badge)
	}
	if err := db.SendBatch(ctx, b).Close(); err != nil {
		return 0, fmt.Errorf("seed demo agents: %w", err)
	}
	return len(Agents()), nil
}
