package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/casework/casework/cli"
	"github.com/casework/casework/contract"
)

// contactCmd is what an agent runs before a contact: the guardrails (asked through the
// API, for the token's owner) say whether it may start now, and if not, when and why.
func contactCmd(o *options) *cobra.Command {
	var agent, channel string
	cmd := &cobra.Command{
		Use:   "contact CASE",
		Short: "Ask before a call or a visit: refused (exit 1) when a guardrail forbids it now, with the time it becomes allowed",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if channel != "call" && channel != "visit" {
				return fmt.Errorf("--channel %q: want call or visit", channel)
			}
			remote, err := o.remote(cmd)
			if err != nil {
				return err
			}
			if agent != "" { // the check is for the token's owner: say so rather than answer for another
				m, err := remote.Me(cmd.Context())
				if err != nil {
					return err
				}
				if agent != m.AgentID {
					return cli.Usage(fmt.Errorf("--agent %s: the contact check is for the token's owner, %s", agent, m.AgentID))
				}
			}
			id := caseID(args[0])
			ans, err := remote.ContactCheck(cmd.Context(), id, channel)
			if err != nil {
				return fmt.Errorf("%s of %s: %w", channel, id, err)
			}
			if f, _ := cli.Format(cmd); f == "json" {
				// the answer as it is; a refusal still exits 3
				if err := cli.Print(cmd, ans, nil); err != nil {
					return err
				}
			} else if ans.Allowed {
				if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%s of %s allowed now (%s)\n", channel, ans.CaseID, pendingLine(ans.Pending)); err != nil {
					return err
				}
			}
			if ans.Allowed {
				return nil
			}
			if ans.From == nil {
				return cli.Refused(fmt.Errorf("%s of %s refused: %s", channel, ans.CaseID, ans.Reason))
			}
			if ans.Reason == "" {
				return errors.New("the API refused the contact without a time or a reason") // not an answer this API gives
			}
			return cli.Refused(fmt.Errorf("%s of %s refused until %s: %s", channel, ans.CaseID, ans.From.Local().Format(time.DateTime), ans.Reason))
		},
	}
	cmd.Flags().StringVar(&agent, "agent", "", "your agent id (optional: the check is always for the token's owner)")
	cmd.Flags().StringVar(&channel, "channel", "call", "call or visit")
	return cmd
}

func pendingLine(p *contract.Pending) string {
	if p == nil {
		return "the case waits for nobody"
	}
	return fmt.Sprintf("the case waits for %s by %s", p.Action, p.Deadline.Local().Format(time.DateTime))
}
