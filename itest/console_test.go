//go:build integration

package itest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/casework/casework/contract"
	"github.com/casework/casework/httpapi"
)

// consoleUser is a browser-like client of the console: its own cookie jar, no redirects
// followed (the tests look at them).
type consoleUser struct {
	t    *testing.T
	base string
	http *http.Client
}

func newConsoleUser(t *testing.T, base string) *consoleUser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &consoleUser{t: t, base: base, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request with the headers and returns the status, body and headers.
func (u *consoleUser) do(method, path string, form url.Values, headers map[string]string) (int, string, http.Header) {
	u.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u.base+path, body)
	if err != nil {
		u.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := u.http.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		u.t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

// signIn signs in with a fresh one-time code of the agent and returns the session
// cookie's Set-Cookie line.
func (u *consoleUser) signIn(agent string) string {
	u.t.Helper()
	code, _, err := httpapi.IssueCode(context.Background(), stack.db, "sup-1", agent)
	if err != nil {
		u.t.Fatal(err)
	}
	status, body, h := u.do("POST", "/login", url.Values{"code": {code}}, nil)
	if status != http.StatusSeeOther {
		u.t.Fatalf("sign in as %s: %d %s", agent, status, body)
	}
	return h.Get("Set-Cookie")
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`)

// csrf reads the form token from a page.
func (u *consoleUser) csrf(path string) string {
	u.t.Helper()
	status, body, _ := u.do("GET", path, nil, nil)
	m := csrfField.FindStringSubmatch(body)
	if status != 200 || m == nil {
		u.t.Fatalf("GET %s: %d, no form token in the page:\n%.600s", path, status, body)
	}
	return m[1]
}

// The console's trust boundary: the session cookie is HttpOnly and SameSite=Strict; a code
// works once; every form is refused without the session's cross-site token, with a forged
// one, from another site, and with another agent's session; nothing reaches the case.
func TestConsoleRefusesForgedAndForeignForms(t *testing.T) {
	need(t)
	ctx := context.Background()
	// every forged form is a request of the session: the rate limit is not what is tested
	srv := httptest.NewServer((&httpapi.Server{DB: stack.db, TC: stack.tc, Limit: httpapi.Rate{PerSecond: 1000, Burst: 1000}}).Handler())
	defer srv.Close()
	caseID := startCase(t, newAccount(t))
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	mine := st.Pending.Assignees[0]

	agent, stranger, sup := newConsoleUser(t, srv.URL), newConsoleUser(t, srv.URL), newConsoleUser(t, srv.URL)
	cookie := agent.signIn(mine)
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("session cookie %q: no %s", cookie, attr)
		}
	}
	stranger.signIn(otherPhoneAgent(mine))
	sup.signIn("sup-1")

	// a code works once
	code, _, err := httpapi.IssueCode(ctx, stack.db, "sup-1", mine)
	if err != nil {
		t.Fatal(err)
	}
	if s, _, _ := newConsoleUser(t, srv.URL).do("POST", "/login", url.Values{"code": {code}}, nil); s != http.StatusSeeOther {
		t.Fatalf("first use of a code: %d", s)
	}
	if s, body, _ := newConsoleUser(t, srv.URL).do("POST", "/login", url.Values{"code": {code}}, nil); s != http.StatusUnauthorized || !strings.Contains(body, "already used") {
		t.Errorf("second use of a code: %d, want 401", s)
	}
	// pages need a session
	if s, _, h := newConsoleUser(t, srv.URL).do("GET", "/cases/"+caseID, nil, nil); s != http.StatusSeeOther || h.Get("Location") != "/login" {
		t.Errorf("case page without a session: %d %s, want a redirect to /login", s, h.Get("Location"))
	}

	token := agent.csrf("/cases/" + caseID)
	strangerToken := stranger.csrf("/")
	supToken := sup.csrf("/alerts")
	before := len(status(t, caseID).Timeline)
	good := url.Values{"outcome": {contract.PhoneConfirmed}, "key": {"k-" + mine}}
	with := func(v url.Values, csrf string) url.Values {
		out := url.Values{}
		for k, vs := range v {
			out[k] = vs
		}
		if csrf != "" {
			out.Set("csrf", csrf)
		}
		return out
	}
	forms := []struct {
		path string
		form url.Values
	}{
		{"/cases/" + caseID + "/contacts", url.Values{"kind": {"address"}, "text": {"No. 1 Forged Road"}}},
		{"/alerts/ack", url.Values{"alertKey": {"nope"}}},
		{"/tokens", url.Values{"agentId": {mine}, "op": {"code"}}},
		{"/logout", url.Values{}},
	}
	for _, spec := range contract.Table {
		forms = append(forms, struct {
			path string
			form url.Values
		}{"/cases/" + caseID + "/act/" + spec.Name, good})
	}
	for _, f := range forms {
		for _, user := range []*consoleUser{agent, sup} {
			own := token
			if user == sup {
				own = supToken
			}
			cases := []struct {
				name    string
				form    url.Values
				headers map[string]string
			}{
				{"no token", with(f.form, ""), nil},
				{"forged token", with(f.form, strings.Repeat("ab", 32)), nil},
				{"another session's token", with(f.form, strangerToken), nil},
				{"from another site", with(f.form, own), map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}},
			}
			for _, c := range cases {
				if s, body, _ := user.do("POST", f.path, c.form, c.headers); s != http.StatusForbidden {
					t.Errorf("POST %s, %s: %d, want 403\n%.300s", f.path, c.name, s, body)
				}
			}
		}
	}
	// another agent's own session, with its own valid token: not their case
	for _, spec := range contract.Table {
		s, body, _ := stranger.do("POST", "/cases/"+caseID+"/act/"+spec.Name, with(good, strangerToken), nil)
		if s != http.StatusNotFound {
			t.Errorf("%s by another agent's session: %d, want 404\n%.300s", spec.Name, s, body)
		}
	}
	if s, _, _ := stranger.do("GET", "/cases/"+caseID, nil, nil); s != http.StatusNotFound {
		t.Errorf("another agent reads the case page: %d, want 404", s)
	}
	if s, _, _ := stranger.do("POST", "/cases/"+caseID+"/contacts", with(forms[0].form, strangerToken), nil); s != http.StatusNotFound {
		t.Errorf("another agent records an address on the case: %d, want 404", s)
	}
	if s, _, _ := agent.do("POST", "/tokens", with(forms[2].form, token), nil); s != http.StatusForbidden {
		t.Errorf("an agent issues a code: %d, want 403", s)
	}
	// the case's own agent: in another's name, or an action of another role, with a new
	// address typed in: refused, and the address is not recorded
	forged := url.Values{"csrf": {token}, "key": {"k2"}, "agentId": {otherPhoneAgent(mine)}, "outcome": {contract.PhoneAddressChanged}, "addressId.new": {"No. 1 Forged Road"}}
	if s, body, _ := agent.do("POST", "/cases/"+caseID+"/act/"+contract.ActionPhoneVerified, forged, nil); s != http.StatusUnprocessableEntity || !strings.Contains(body, "own name") {
		t.Errorf("a call in another's name: %d, want 422 naming the agent field\n%.300s", s, body)
	}
	visit := url.Values{"csrf": {token}, "key": {"k3"}, "agentIds": {"field-north-1"}, "addressId.new": {"No. 1 Forged Road"}}
	if s, _, _ := agent.do("POST", "/cases/"+caseID+"/act/"+contract.ActionVisitReport, visit, nil); s != http.StatusForbidden {
		t.Errorf("a phone agent's visit report: %d, want 403", s)
	}
	if got := len(status(t, caseID).Timeline); got != before {
		t.Errorf("the case's timeline grew from %d to %d entries: a refused form reached it", before, got)
	}
	var recorded int
	if err := stack.db.QueryRow(ctx, `SELECT count(*) FROM addresses WHERE address = 'No. 1 Forged Road'`).Scan(&recorded); err != nil || recorded != 0 {
		t.Errorf("a refused form recorded an address: %d, %v", recorded, err)
	}
	// and the real form, from the real session, works once however often it is sent
	for range 2 {
		if s, body, h := agent.do("POST", "/cases/"+caseID+"/act/"+contract.ActionPhoneVerified, with(good, token), map[string]string{"Origin": srv.URL, "Sec-Fetch-Site": "same-origin"}); s != http.StatusSeeOther {
			t.Fatalf("the agent's form: %d %s\n%.500s", s, h.Get("Location"), body)
		}
	}
	waitFor(t, caseID, "the visit", func(s *contract.Status) bool { return s.Stage == contract.StageVisit })
	calls := 0
	for _, e := range status(t, caseID).Timeline {
		if e.Kind == contract.ActionPhoneVerified && e.Accepted {
			calls++
		}
	}
	if calls != 1 {
		t.Errorf("a form sent twice with its key: %d accepted calls, want 1", calls)
	}
	// signing out ends the session on the server, not only in the browser
	if s, _, _ := agent.do("POST", "/logout", url.Values{"csrf": {token}}, nil); s != http.StatusSeeOther {
		t.Errorf("sign out: %d", s)
	}
	if s, _, _ := agent.do("GET", "/", nil, nil); s != http.StatusSeeOther {
		t.Errorf("inbox after signing out: %d, want a redirect to /login", s)
	}
	mustUpdate(t, caseID, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "test over"})
}

// greeting is the payload of a made-up action: the action table is the only place an
// action is described, so one entry puts it in the API and the console (and bin/agent:
// see agent's tests).
type greeting struct {
	AgentID string `json:"agentId"`
	Words   string `json:"words"`
}

func (g *greeting) Validate() error {
	if strings.TrimSpace(g.Words) == "" {
		return &contract.ValidationError{Fields: []*contract.FieldError{contract.Invalid("words", "say something")}}
	}
	return nil
}

func TestMadeUpActionNeedsOnlyATableEntry(t *testing.T) {
	need(t)
	table := append(contract.ActionTable{}, contract.Table...)
	table = append(table, contract.ActionSpec{
		Name: "greet", Title: contract.Text{En: "Greet the debtor", Zh: "问候债务人"},
		Payload: func() any { return new(greeting) }, Actor: "agentId",
		Roles: []string{contract.RolePhone}, Stages: []contract.Stage{contract.StagePhoneVerify},
		Fields: []contract.Field{
			{Name: "agentId", Kind: contract.KindAgent, Label: contract.Text{En: "Agent", Zh: "催收员"}},
			{Name: "words", Kind: contract.KindText, Label: contract.Text{En: "Kind words", Zh: "问候语"}},
		},
	})
	srv := httptest.NewServer((&httpapi.Server{DB: stack.db, TC: stack.tc, Actions: table}).Handler())
	defer srv.Close()
	caseID := startCase(t, newAccount(t))
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	mine := st.Pending.Assignees[0]
	tok := token(t, mine)
	if code, body, _ := apiCall(t, "GET", srv.URL+"/openapi.json", "", ""); code != 200 || !strings.Contains(body, `"greet"`) {
		t.Errorf("openapi.json does not list the made-up action: %d", code)
	}
	code, body, _ := apiCall(t, "POST", srv.URL+"/v1/cases/"+caseID+"/actions/greet", tok, `{"agentId":"`+mine+`","words":" "}`)
	if code != 422 || !strings.Contains(body, `"field":"words"`) {
		t.Errorf("the API's check of the made-up action: %d %s, want 422 naming words", code, body)
	}
	u := newConsoleUser(t, srv.URL)
	u.signIn(mine)
	status, page, _ := u.do("GET", "/cases/"+caseID+"?lang=zh", nil, nil)
	for _, want := range []string{`id="form-greet"`, "问候债务人", `for="greet-words"`, "问候语", "待办"} {
		if status != 200 || !strings.Contains(page, want) {
			t.Errorf("the case page (in Chinese) has no %s (%d)", want, status)
		}
	}
	if _, page, _ := newConsoleUser(t, srv.URL).do("GET", "/login?lang=zh", nil, nil); !strings.Contains(page, "一次性登录码") {
		t.Error("the sign-in page in Chinese is not")
	}
	mustUpdate(t, caseID, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "test over"})
}

// Guessing sign-in codes is slowed down per address (the codes are 80 bits anyway), and a
// supervisor's codes are operations' to issue, not another supervisor's.
func TestConsoleSignInAndCodesAreGuarded(t *testing.T) {
	need(t)
	srv := httptest.NewServer((&httpapi.Server{DB: stack.db, TC: stack.tc, Limit: httpapi.Rate{PerSecond: 1000, Burst: 1000}}).Handler())
	defer srv.Close()
	guesser := newConsoleUser(t, srv.URL)
	slowed := false
	for i := range 15 {
		s, _, h := guesser.do("POST", "/login", url.Values{"code": {fmt.Sprintf("AAAA-BBBB-CCCC-%04d", i)}}, nil)
		if s == http.StatusTooManyRequests && h.Get("Retry-After") != "" {
			slowed = true
		} else if s != http.StatusUnauthorized {
			t.Fatalf("a wrong code: %d, want 401 or 429", s)
		}
	}
	if !slowed {
		t.Error("15 wrong codes from one address: never slowed down (429)")
	}
	// (the address is throttled now, a right code too: the supervisor signs in elsewhere)
	other := httptest.NewServer((&httpapi.Server{DB: stack.db, TC: stack.tc, Limit: httpapi.Rate{PerSecond: 1000, Burst: 1000}}).Handler())
	defer other.Close()
	sup := newConsoleUser(t, other.URL)
	sup.signIn("sup-1")
	token := sup.csrf("/tokens")
	if s, body, _ := sup.do("POST", "/tokens", url.Values{"csrf": {token}, "agentId": {"sup-2"}, "op": {"code"}}, nil); s != http.StatusForbidden || strings.Contains(body, `id="secret"`) {
		t.Errorf("a supervisor issues another supervisor's code: %d, want 403 and no code", s)
	}
	if s, body, _ := sup.do("POST", "/tokens", url.Values{"csrf": {token}, "agentId": {"phone-north-1"}, "op": {"code"}}, nil); s != http.StatusOK || !strings.Contains(body, `id="secret"`) {
		t.Errorf("a supervisor issues an agent's code: %d, want the code shown once", s)
	}
}
