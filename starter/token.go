package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/casework/casework/httpapi"
)

// tokenCmd lets operations (who hold the database credentials) issue a supervisor's first
// API token, or revoke any agent's tokens at once (a lost phone, a leaver). Supervisors
// issue their agents' tokens through the API as themselves: bin/agent token issue.
func tokenCmd() *cobra.Command {
	var agent string
	var ttl time.Duration
	root := &cobra.Command{Use: "token", Short: "Issue or revoke an agent's API token (operations; supervisors use bin/agent token)"}
	issue := command(&cobra.Command{
		Use:   "issue",
		Short: "Issue a token for an agent (a supervisor, usually): printed once on standard output",
		Example: "  export CASEWORK_TOKEN=$(bin/starter token issue --agent sup-1)\n" +
			"  bin/agent token issue --agent phone-central-1   # then, as that supervisor, through the API",
		Args: cobra.NoArgs,
	}, database, func(ctx context.Context, b *backOffice, _ []string) error {
		token, expires, err := httpapi.Issue(ctx, b.db, "operations", agent, ttl)
		if err != nil {
			return err
		}
		fmt.Println(token)
		fmt.Fprintf(os.Stderr, "token for %s, valid until %s\n", agent, expires.Local().Format(time.DateTime))
		return nil
	})
	revoke := command(&cobra.Command{Use: "revoke", Short: "Revoke every token of an agent", Args: cobra.NoArgs}, database,
		func(ctx context.Context, b *backOffice, _ []string) error {
			n, err := httpapi.Revoke(ctx, b.db, "operations", agent)
			if err == nil {
				fmt.Printf("revoked %d tokens of %s\n", n, agent)
			}
			return err
		})
	issue.Flags().DurationVar(&ttl, "ttl", httpapi.DefaultTokenTTL, "how long the token is valid (at most 720h)")
	for _, c := range []*cobra.Command{issue, revoke} {
		c.Flags().StringVar(&agent, "agent", "", "the agent")
		_ = c.MarkFlagRequired("agent")
		root.AddCommand(c)
	}
	return root
}
