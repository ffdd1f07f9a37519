package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/casework/casework/contract"
	"github.com/casework/casework/rules"
)

// recordContact records an address or a phone an agent typed in for the case's account,
// and returns the id the case gets: personal data stays in PostgreSQL.
func recordContact(ctx context.Context, caseID string, record func(context.Context, *pgxpool.Pool, string, string, string) (string, error), text, by string) (string, error) {
	account, err := contract.AccountFromWorkflowID(caseID)
	if err != nil {
		return "", err
	}
	var id string
	err = withDB(ctx, func(db *pgxpool.Pool) error {
		id, err = record(ctx, db, account, text, by)
		return err
	})
	return id, err
}

// contactCmd is what an agent runs before a contact: the guardrails say whether it may
// start now, and if not, when and why.
func contactCmd() *cobra.Command {
	var agent, channel string
	cmd := &cobra.Command{
		Use:   "contact CASE",
		Short: "Ask before a call or a visit: refused when a guardrail forbids it now, with the time it becomes allowed",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if channel != "call" && channel != "visit" {
				return fmt.Errorf("--channel %q: want call or visit", channel)
			}
			st, err := caseStatus(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			allowed, why, err := contactAllowed(st, agent, channel, time.Now())
			if err != nil {
				return err
			}
			if !allowed.IsZero() && !allowed.After(time.Now()) {
				fmt.Printf("%s of %s allowed now (%s)\n", channel, st.CaseID, pendingLine(st))
				return nil
			}
			if allowed.IsZero() {
				return fmt.Errorf("%s of %s refused: %s", channel, st.CaseID, why)
			}
			return fmt.Errorf("%s of %s refused until %s: %s", channel, st.CaseID, allowed.Local().Format(time.DateTime), why)
		},
	}
	cmd.Flags().StringVar(&agent, "agent", "", "your agent id")
	cmd.Flags().StringVar(&channel, "channel", "call", "call or visit")
	return cmd
}

// contactAllowed says when the agent may start a contact of the channel: at (now or
// later) and why not earlier; a zero time when no time is allowed (a closed case, a
// dispute hold). It is an error for an agent who is not on the case.
func contactAllowed(st *contract.Status, agent, channel string, now time.Time) (time.Time, string, error) {
	if st.Stage == contract.StageClosed {
		return time.Time{}, "the case is closed", nil
	}
	role := contract.RolePhone
	if channel == "visit" {
		role = contract.RoleField
	}
	if !slices.Contains(st.Assigned[role], agent) && !slices.Contains(st.Supervisors, agent) {
		return time.Time{}, "", fmt.Errorf("%s is not the %s agent of %s", agent, role, st.CaseID)
	}
	clock, err := rules.NewClock(st.Epoch, st.Policy.DayLength.D(), st.Timezone)
	if err != nil {
		return time.Time{}, "", err
	}
	k := rules.ContactsOf(st)
	if channel == "call" {
		at, why := rules.NextCall(now, k, st.Policy, clock)
		return at, why, nil
	}
	if k.Hold {
		return time.Time{}, rules.ReasonHold, nil
	}
	w := rules.WindowOf(st.Policy)
	if at := clock.NextInWindow(now, w); at.After(now) {
		return at, rules.ReasonWindow + " " + w.String(), nil
	}
	return now, "", nil
}

func pendingLine(st *contract.Status) string {
	if st.Pending == nil {
		return "the case waits for nobody"
	}
	return fmt.Sprintf("the case waits for %s by %s", st.Pending.Action, st.Pending.Deadline.Local().Format(time.DateTime))
}
