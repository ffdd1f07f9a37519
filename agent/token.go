package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/casework/casework/cli"
	"github.com/spf13/cobra"
)

// tokenCmd issues and revokes agents' API tokens through the API: a supervisor's command
// (the API refuses anyone else).
func tokenCmd(o *options) *cobra.Command {
	root := &cobra.Command{
		Use:   "token",
		Short: "Issue or revoke an agent's token for the API (supervisors)",
		Long: `Issue or revoke an agent's token for the API (supervisors, with their own token).

A first supervisor's token comes from operations (bin/starter token issue).`,
	}
	var agent, ttl string
	issue := &cobra.Command{
		Use:     "issue --agent ID [--ttl 12h]",
		Short:   "Issue a token for an agent: printed once on standard output, its expiry on standard error",
		Example: `  export CASEWORK_TOKEN=$(agent token issue --agent phone-central-1)   # as a supervisor`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if agent == "" {
				return cli.Usage(errors.New("token issue: --agent is required"))
			}
			if ttl != "" {
				if _, err := time.ParseDuration(ttl); err != nil {
					return cli.Usage(fmt.Errorf("--ttl %q: want a duration such as 12h", ttl))
				}
			}
			remote, err := o.remote(cmd)
			if err != nil {
				return err
			}
			res, err := remote.IssueToken(cmd.Context(), agent, ttl)
			if err != nil {
				return err
			}
			return cli.Print(cmd, res, func(w io.Writer) error {
				_, _ = fmt.Fprintf(cmd.ErrOrStderr(), "token of %s valid until %s: shown once, keep it secret\n", res.AgentID, res.ExpiresAt.Local().Format(time.DateTime)) // a note beside the token
				_, err := fmt.Fprintln(w, res.Token)
				return err
			})
		},
	}
	issue.Flags().StringVar(&agent, "agent", "", "the agent the token is for")
	issue.Flags().StringVar(&ttl, "ttl", "", "how long the token lasts (default 12h, at most 720h)")
	var revoked string
	revoke := &cobra.Command{
		Use:   "revoke --agent ID",
		Short: "Revoke every token of an agent",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if revoked == "" {
				return cli.Usage(errors.New("token revoke: --agent is required"))
			}
			remote, err := o.remote(cmd)
			if err != nil {
				return err
			}
			n, err := remote.RevokeTokens(cmd.Context(), revoked)
			if err != nil {
				return err
			}
			return cli.Print(cmd, map[string]any{"agent": revoked, "revoked": n}, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "revoked %d tokens of %s\n", n, revoked)
				return err
			})
		},
	}
	revoke.Flags().StringVar(&revoked, "agent", "", "the agent whose tokens to revoke")
	root.AddCommand(issue, revoke)
	return root
}
