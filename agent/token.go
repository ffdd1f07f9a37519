package main

import (
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/spf13/cobra"

	"github.com/casework/casework/httpapi"
)

// tokenCmd issues and revokes agents' API tokens (a supervisor's command).
func tokenCmd() *cobra.Command {
	var by, agent string
	root := &cobra.Command{Use: "token", Short: "Issue or revoke an agent's token for the HTTP API (supervisors)"}
	issue := &cobra.Command{
		Use:   "issue",
		Short: "Issue a token for an agent; it is shown once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDB(cmd.Context(), func(db *pgxpool.Pool) error {
				token, err := httpapi.Issue(cmd.Context(), db, by, agent)
				if err == nil {
					fmt.Println(token)
				}
				return err
			})
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke",
		Short: "Revoke every token of an agent",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withDB(cmd.Context(), func(db *pgxpool.Pool) error {
				n, err := httpapi.Revoke(cmd.Context(), db, by, agent)
				if err == nil {
					fmt.Printf("revoked %d tokens of %s\n", n, agent)
				}
				return err
			})
		},
	}
	for _, c := range []*cobra.Command{issue, revoke} {
		c.Flags().StringVar(&by, "by", "", "your supervisor id")
		c.Flags().StringVar(&agent, "agent", "", "the agent")
		root.AddCommand(c)
	}
	return root
}
