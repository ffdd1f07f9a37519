//go:build integration

package itest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/casework/casework/contract"
	"github.com/casework/casework/httpapi"
)

// The agents' HTTP API over real HTTP, the real dev server and PostgreSQL: every 401 and
// 403 path, malformed and invalid bodies, and the calls that work.
func TestHTTPAPI(t *testing.T) {
	need(t)
	ctx := context.Background()
	srv := httptest.NewServer((&httpapi.Server{DB: stack.db, TC: stack.tc}).Handler())
	defer srv.Close()
	caseID := startCase(t, newAccount(t))
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	mine := st.Pending.Assignees[0]
	other := "phone-north-1"
	if other == mine {
		other = "phone-north-2"
	}
	otherTok, supTok := token(t, other), token(t, "sup-2")
	revoked := token(t, mine)
	if _, err := httpapi.Revoke(ctx, stack.db, "sup-1", mine); err != nil {
		t.Fatal(err)
	}
	agentTok := token(t, mine) // a fresh one after the revocation
	expired := token(t, mine)
	if _, err := stack.db.Exec(ctx, `UPDATE agent_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = encode(sha256($1::bytea), 'hex')`, expired); err != nil {
		t.Fatal(err)
	}
	call := func(method, path, tok, body string) (int, string) {
		t.Helper()
		code, b, _ := apiCall(t, method, srv.URL+path, tok, body)
		return code, b
	}
	good := `{"agentId":"` + mine + `","calledAt":"` + nowRFC() + `","outcome":"confirmed"}`
	tests := []struct {
		name, method, path, tok, body string
		code                          int
		want                          string
	}{
		{"no token", "GET", "/v1/inbox", "", "", 401, "token"},
		{"unknown token", "GET", "/v1/inbox", "cw_nope", "", 401, "token"},
		{"revoked token", "GET", "/v1/cases/" + caseID, revoked, "", 401, "token"},
		{"expired token", "GET", "/v1/me", expired, "", 401, "expired"},
		{"another agent's case: the same answer as no case", "GET", "/v1/cases/" + caseID, otherTok, "", 404, "no case " + caseID},
		{"another agent's inbox", "GET", "/v1/inbox?agent=" + mine, otherTok, "", 403, "own inbox"},
		{"acting on another agent's case", "POST", "/v1/cases/" + caseID + "/actions/phone-verified", otherTok,
			`{"agentId":"` + other + `","calledAt":"` + nowRFC() + `","outcome":"confirmed"}`, 404, "no case"},
		{"a body over the limit", "POST", "/v1/cases/" + caseID + "/actions/phone-verified", agentTok,
			`{"agentId":"` + mine + `","note":"` + strings.Repeat("x", httpapi.MaxBody) + `"}`, 413, "larger than"},
		{"a note with a NUL", "POST", "/v1/cases/" + caseID + "/actions/phone-verified", agentTok, strings.Replace(good, `}`, `,"note":"a\u0000b"}`, 1), 422, `"field":"note"`},
		{"an agent issues a token", "POST", "/v1/tokens", agentTok, `{"agentId":"` + other + `"}`, 403, "only supervisors"},
		{"an agent revokes tokens", "DELETE", "/v1/agents/" + other + "/tokens", agentTok, "", 403, "only supervisors"},
		{"another debtor's address recorded through my case", "POST", "/v1/cases/" + caseID + "/addresses", otherTok, `{"address":"No. 9 Elsewhere"}`, 404, "no case"},
		{"an address with a control character", "POST", "/v1/cases/" + caseID + "/addresses", agentTok, `{"address":"No. 9\u001b[2J"}`, 422, `"field":"address"`},
		{"acting in another's name", "POST", "/v1/cases/" + caseID + "/actions/phone-verified", agentTok, strings.Replace(good, mine, other, 1), 403, "own name"},
		{"another agent, in their own name", "POST", "/v1/cases/" + caseID + "/actions/phone-verified", otherTok, strings.Replace(good, mine, other, 1), 404, "no case"},
		{"malformed body", "POST", "/v1/cases/" + caseID + "/actions/phone-verified", agentTok, `{"agentId":`, 400, `"field":"payload"`},
		{"unknown field", "POST", "/v1/cases/" + caseID + "/actions/phone-verified", agentTok, strings.Replace(good, `}`, `,"mood":1}`, 1), 422, `"field":"mood"`},
		{"bad value", "POST", "/v1/cases/" + caseID + "/actions/phone-verified", agentTok, strings.Replace(good, "confirmed", "maybe", 1), 422, `"field":"outcome"`},
		{"an action of another role", "POST", "/v1/cases/" + caseID + "/actions/pause", agentTok, `{"by":"` + mine + `","reason":"x"}`, 403, "is sent by supervisor"},
		{"rule of the case", "POST", "/v1/cases/" + caseID + "/actions/phone-verified", agentTok, strings.Replace(good, nowRFC()[:4], "2020", 1), 422, "before its task opened"},
		{"unknown case", "GET", "/v1/cases/case-nobody", supTok, "", 404, "no case"},
		{"not a case id", "GET", "/v1/cases/nobody", supTok, "", 404, "no case"},
		{"who am I", "GET", "/v1/me", agentTok, "", 200, `"agentId":"` + mine},
		{"the contact check", "GET", "/v1/cases/" + caseID + "/contact?channel=call", agentTok, "", 200, `"allowed":true`},
		{"a new address of the case's account", "POST", "/v1/cases/" + caseID + "/addresses", agentTok, `{"address":"No. 7 Synthetic Road (synthetic)"}`, 201, `"addressId":"adr-`},
		{"unknown action", "POST", "/v1/cases/" + caseID + "/actions/dance", agentTok, "{}", 404, "no action"},
		{"my inbox", "GET", "/v1/inbox", agentTok, "", 200, caseID},
		{"a supervisor reads any case", "GET", "/v1/cases/" + caseID, supTok, "", 200, `"caseId":"` + caseID},
		{"accepted", "POST", "/v1/cases/" + caseID + "/actions/phone-verified", agentTok, good, 200, `"accepted":true`},
		{"openapi", "GET", "/openapi.json", "", "", 200, `"openapi"`},
		{"a supervisor issues a token", "POST", "/v1/tokens", supTok, `{"agentId":"` + other + `","ttl":"1h"}`, 201, `"token":"cw_`},
		{"a supervisor issues a supervisor's token", "POST", "/v1/tokens", supTok, `{"agentId":"sup-1"}`, 403, "issued by operations"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := call(tc.method, tc.path, tc.tok, tc.body)
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Errorf("%s %s: %d %s; want %d with %q", tc.method, tc.path, code, body, tc.code, tc.want)
			}
			if code >= 400 {
				var e httpapi.Error
				if err := json.NewDecoder(bytes.NewReader([]byte(body))).Decode(&e); err != nil || e.Error == "" {
					t.Errorf("error body %q is not {\"error\": ...}: %v", body, err)
				}
			}
		})
	}
	// a refused report of a contact is still in the audit log (the call happened); one for a
	// case the caller cannot see leaves nothing there
	var mineRefused, otherRows int
	if err := stack.db.QueryRow(ctx, `SELECT count(*) FILTER (WHERE actor = $2 AND contact AND NOT accepted AND reason LIKE 'refused report:%'),
		count(*) FILTER (WHERE actor = $3) FROM audit_log WHERE case_id = $1`, caseID, mine, other).Scan(&mineRefused, &otherRows); err != nil {
		t.Fatal(err)
	}
	if mineRefused < 4 || otherRows != 0 {
		t.Errorf("audit: %d refused reports of %s (want the malformed, unknown-field, bad-value and NUL ones), %d rows by %s (want none)", mineRefused, mine, otherRows, other)
	}
	var doc map[string]any
	_, body := call("GET", "/openapi.json", "", "")
	if err := json.Unmarshal([]byte(body), &doc); err != nil || doc["paths"] == nil {
		t.Errorf("openapi.json: %v", err)
	}
	mustUpdate(t, caseID, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "test over"})
}

// token issues a token for the agent, as operations would for a first supervisor.
func token(t *testing.T, agent string) string {
	t.Helper()
	tok, _, err := httpapi.Issue(context.Background(), stack.db, "itest", agent, 0)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// apiCall calls the API at url with a token and returns the status and the body.
func apiCall(t *testing.T, method, url, tok, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// The API's limits: a token's request rate (429 with Retry-After), a case that does not
// answer in time because no worker serves it (503 with a reason, never a hang), and an
// access log that names the agent but holds no token and no body.
func TestHTTPAPILimits(t *testing.T) {
	need(t)
	core, logs := observer.New(zap.InfoLevel)
	api := &httpapi.Server{DB: stack.db, TC: stack.tc, Logger: zap.New(core), CallTimeout: 2 * time.Second, Limit: httpapi.Rate{PerSecond: 1, Burst: 3}}
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	sup := token(t, "sup-1")

	codes := map[int]int{}
	var retry string
	for range 6 {
		code, _, h := apiCall(t, "GET", srv.URL+"/v1/me", sup, "")
		codes[code]++
		if code == http.StatusTooManyRequests {
			retry = h.Get("Retry-After")
		}
	}
	if codes[200] < 3 || codes[429] == 0 || retry == "" {
		t.Errorf("six quick requests: %v (Retry-After %q), want the burst of 3 served and the rest 429 with Retry-After", codes, retry)
	}

	// guessing tokens: after a burst of failures, the address is slowed down
	var slowed bool
	for i := range 15 {
		code, _, _ := apiCall(t, "GET", srv.URL+"/v1/me", fmt.Sprintf("cw_guess%d", i), "")
		slowed = slowed || code == http.StatusTooManyRequests
	}
	if !slowed {
		t.Error("15 bad tokens in a row from one address: never slowed down (429)")
	}
	time.Sleep(time.Second) // the token's own bucket refills
	if code, body, _ := apiCall(t, "GET", srv.URL+"/v1/me", sup, ""); code != http.StatusOK {
		t.Errorf("a valid token from the throttled address: %d %s, want served (its neighbours' failures are not its own)", code, body)
	}

	// a case on a task queue no worker serves: its status cannot be answered
	account := newAccount(t)
	orphan := contract.WorkflowID(account)
	if _, err := stack.tc.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: orphan, TaskQueue: "nobody-serves-this"},
		contract.WorkflowType, contract.CaseInput{AccountID: account}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stack.tc.TerminateWorkflow(context.Background(), orphan, "", "test over") }()
	time.Sleep(3 * time.Second) // the bucket refills
	start := time.Now()
	code, body, h := apiCall(t, "GET", srv.URL+"/v1/cases/"+orphan, sup, "")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "worker may be down") || h.Get("Retry-After") == "" || time.Since(start) > 10*time.Second {
		t.Errorf("status of a case nobody serves: %d %s after %s, want 503 with a reason within the call timeout", code, body, time.Since(start))
	}

	// an agent asking for that case, which is not theirs, is told "no case" by PostgreSQL at
	// once: no Temporal call, so no difference in time or answer from a case that does not exist
	agent := token(t, "phone-north-1")
	start = time.Now()
	code, body, _ = apiCall(t, "GET", srv.URL+"/v1/cases/"+orphan, agent, "")
	if code != http.StatusNotFound || time.Since(start) > time.Second {
		t.Errorf("an agent asking for a case not theirs: %d %s after %s, want 404 at once", code, body, time.Since(start))
	}

	for _, e := range logs.All() {
		line := fmt.Sprint(e.Message, e.ContextMap())
		if strings.Contains(line, sup) || strings.Contains(line, "Bearer") {
			t.Fatalf("the access log holds the token: %s", line)
		}
	}
	var named bool
	for _, e := range logs.FilterMessage("http").All() {
		named = named || (e.ContextMap()["agent"] == "sup-1" && e.ContextMap()["route"] == "GET /v1/me")
	}
	if !named {
		t.Error("the access log does not name the agent and the route")
	}
}
