//go:build integration

package itest

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/casework/casework/httpapi"
)

// cliAPI serves the real agents' API over the shared stack for the test and returns its
// URL: what bin/agent talks to in the CLI tests.
func cliAPI(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer((&httpapi.Server{DB: stack.db, TC: stack.tc}).Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// cliToken issues the agent a token of the default lifetime, as operations would.
func cliToken(t *testing.T, agent string) string {
	t.Helper()
	tok, _, err := httpapi.Issue(context.Background(), stack.db, "itest", agent, 0)
	if err != nil {
		t.Fatalf("issue a token for %s: %v", agent, err)
	}
	return tok
}

// runAgent runs bin/agent against the API at apiURL with the token (none when empty) and
// nothing else in its environment: no database, Temporal or codec settings, so that a
// test proves the tool needs nothing but the API.
func runAgent(t *testing.T, apiURL, token, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	env := []string{"CASEWORK_API_URL=" + apiURL, "HOME=" + t.TempDir()}
	if token != "" {
		env = append(env, "CASEWORK_TOKEN="+token)
	}
	return runWith(t, "agent", env, stdin, args...)
}
