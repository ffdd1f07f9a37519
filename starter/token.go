package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/casework/casework/cli"
	"github.com/casework/casework/cli/conn"
	"github.com/casework/casework/httpapi"
)

// tokenCmd lets operations (who hold the database credentials) issue a supervisor's first
// API token, or revoke any agent's tokens at once (a lost phone, a leaver). Supervisors
// issue their agents' tokens through the API as themselves: bin/agent token issue.
func tokenCmd() *cobra.Command {
	var agent string
	var ttl time.Duration
	root := &cobra.Command{Use: "token", Short: "Issue or revoke an agent's API token or console sign-in code (operations; supervisors use the console or bin/agent token)"}
	issue := conn.Command(&cobra.Command{
		Use:   "issue",
		Short: "Issue a token for an agent (a supervisor, usually): printed once on standard output",
		Example: "  export CASEWORK_TOKEN=$(bin/starter token issue --agent sup-1)\n" +
			"  bin/agent token issue --agent phone-central-1   # then, as that supervisor, through the API",
		Args: cobra.NoArgs,
	}, conn.Database, func(ctx context.Context, cmd *cobra.Command, b *conn.Conns, _ []string) error {
		token, expires, err := httpapi.Issue(ctx, b.DB, "operations", agent, ttl)
		if err != nil {
			return err
		}
		return cli.Print(cmd, map[string]any{"agent": agent, "token": token, "expiresAt": expires}, func(w io.Writer) error {
			_, _ = fmt.Fprintf(cmd.ErrOrStderr(), "token for %s, valid until %s\n", agent, expires.Local().Format(time.DateTime)) // a note beside the token
			_, err := fmt.Fprintln(w, token)
			return err
		})
	})
	revoke := conn.Command(&cobra.Command{Use: "revoke", Short: "Revoke every token, console session and sign-in code of an agent", Args: cobra.NoArgs}, conn.Database,
		func(ctx context.Context, cmd *cobra.Command, b *conn.Conns, _ []string) error {
			n, err := httpapi.Revoke(ctx, b.DB, "operations", agent)
			if err != nil {
				return err
			}
			return cli.Print(cmd, map[string]any{"agent": agent, "revoked": n}, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "revoked %d tokens of %s\n", n, agent)
				return err
			})
		})
	code := conn.Command(&cobra.Command{
		Use:     "code",
		Short:   "Issue a one-time sign-in code for the web console (a supervisor's, usually): printed once",
		Example: "  bin/starter token code --agent sup-1   # then sign in at " + "http://127.0.0.1:8088/login",
		Args:    cobra.NoArgs,
	}, conn.Database, func(ctx context.Context, cmd *cobra.Command, b *conn.Conns, _ []string) error {
		code, expires, err := httpapi.IssueCode(ctx, b.DB, "operations", agent)
		if err != nil {
			return err
		}
		return cli.Print(cmd, map[string]any{"agent": agent, "code": code, "expiresAt": expires}, func(w io.Writer) error {
			_, _ = fmt.Fprintf(cmd.ErrOrStderr(), "sign-in code for %s, usable once until %s\n", agent, expires.Local().Format(time.DateTime)) // a note beside the code
			_, err := fmt.Fprintln(w, code)
			return err
		})
	})
	issue.Flags().DurationVar(&ttl, "ttl", httpapi.DefaultTokenTTL, "how long the token is valid (at most 720h)")
	for _, c := range []*cobra.Command{issue, code, revoke} {
		c.Flags().StringVar(&agent, "agent", "", "the agent")
		if err := c.MarkFlagRequired("agent"); err != nil {
			panic(err) // the flag was just defined
		}
		root.AddCommand(c)
	}
	return root
}
