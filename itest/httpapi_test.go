package itest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
	token := func(agent string) string {
		tok, err := httpapi.Issue(ctx, stack.db, "sup-1", agent)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	otherTok, supTok := token(other), token("sup-2")
	revoked := token(mine)
	if _, err := httpapi.Revoke(ctx, stack.db, "sup-1", mine); err != nil {
		t.Fatal(err)
	}
	agentTok := token(mine) // a fresh one after the revocation
	if _, err := httpapi.Issue(ctx, stack.db, mine, other); err == nil {
		t.Error("an agent issued a token: only supervisors may")
	}
	call := func(method, path, tok, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, strings.NewReader(body))
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
		return resp.StatusCode, string(b)
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
		{"another agent's case", "GET", "/v1/cases/" + caseID, otherTok, "", 403, "not assigned"},
		{"another agent's inbox", "GET", "/v1/inbox?agent=" + mine, otherTok, "", 403, "own inbox"},
		{"acting on another agent's case", "POST", "/v1/cases/" + caseID + "/actions/phone-verified", otherTok,
			`{"agentId":"` + other + `","calledAt":"` + nowRFC() + `","outcome":"confirmed"}`, 403, "not assigned"},
		{"acting in another's name", "POST", "/v1/cases/" + caseID + "/actions/phone-verified", otherTok, good, 403, "own name"},
		{"malformed body", "POST", "/v1/cases/" + caseID + "/actions/phone-verified", agentTok, `{"agentId":`, 400, `"field":"payload"`},
		{"unknown field", "POST", "/v1/cases/" + caseID + "/actions/phone-verified", agentTok, strings.Replace(good, `}`, `,"mood":1}`, 1), 422, `"field":"mood"`},
		{"bad value", "POST", "/v1/cases/" + caseID + "/actions/phone-verified", agentTok, strings.Replace(good, "confirmed", "maybe", 1), 422, `"field":"outcome"`},
		{"rule of the case", "POST", "/v1/cases/" + caseID + "/actions/pause", agentTok, `{"by":"` + mine + `","reason":"x"}`, 422, "not a supervisor"},
		{"unknown case", "GET", "/v1/cases/case-nobody", supTok, "", 404, "no case"},
		{"unknown action", "POST", "/v1/cases/" + caseID + "/actions/dance", agentTok, "{}", 404, "no action"},
		{"my inbox", "GET", "/v1/inbox", agentTok, "", 200, caseID},
		{"a supervisor reads any case", "GET", "/v1/cases/" + caseID, supTok, "", 200, `"caseId":"` + caseID},
		{"accepted", "POST", "/v1/cases/" + caseID + "/actions/phone-verified", agentTok, good, 200, `"accepted":true`},
		{"openapi", "GET", "/openapi.json", "", "", 200, `"openapi"`},
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
	var doc map[string]any
	_, body := call("GET", "/openapi.json", "", "")
	if err := json.Unmarshal([]byte(body), &doc); err != nil || doc["paths"] == nil {
		t.Errorf("openapi.json: %v", err)
	}
	mustUpdate(t, caseID, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "test over"})
}
