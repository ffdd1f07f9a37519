package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casework/casework/caseclient"
	"github.com/casework/casework/caseclient/apitest"
	"github.com/casework/casework/cli"
	"github.com/casework/casework/contract"
)

// startFake serves f and points the tool at it with a token.
func startFake(t *testing.T, f *apitest.FakeAPI) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	t.Setenv("CASEWORK_API_URL", srv.URL)
	t.Setenv("CASEWORK_TOKEN", "cw_test")
}

// runTool runs the tool's command line in-process with Casework's table.
func runTool(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	return runWith(t, contract.Table, stdin, args...)
}

// runWith runs the tool's command line in-process with the action table.
func runWith(t *testing.T, table contract.ActionTable, stdin string, args ...string) (string, error) {
	t.Helper()
	root := rootCmd(table)
	cli.Prepare(root, env...)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(io.Discard)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestNoTokenSaysHowToGetOne(t *testing.T) {
	t.Setenv("CASEWORK_TOKEN", "")
	_, err := runTool(t, "", "inbox")
	if err == nil || !strings.Contains(err.Error(), "CASEWORK_TOKEN") || !strings.Contains(err.Error(), "agent token issue --agent") {
		t.Fatalf("err = %v, want the hint", err)
	}
}

// Every field of every action of the table is a flag of its subcommand, a new address or
// phone has its own, and the help says what each is.
func TestFlagsComeFromTheTable(t *testing.T) {
	root := rootCmd(contract.Table)
	for _, spec := range contract.Table {
		cmd, _, err := root.Find([]string{spec.Name})
		if err != nil || cmd.Name() != spec.Name {
			t.Fatalf("%s: no subcommand (%v)", spec.Name, err)
		}
		if !strings.HasPrefix(cmd.Short, spec.Title.En) || !strings.Contains(cmd.Long, spec.Help.En) {
			t.Errorf("%s: help %q %q", spec.Name, cmd.Short, cmd.Long)
		}
		for _, f := range spec.Fields {
			fl := cmd.Flags().Lookup(f.FlagName())
			if fl == nil || !strings.HasPrefix(fl.Usage, f.Label.En) {
				t.Errorf("%s: field %s has no flag --%s", spec.Name, f.Name, f.FlagName())
				continue
			}
			for _, o := range f.Options {
				if !strings.Contains(fl.Usage, o) {
					t.Errorf("%s --%s: help %q does not list %s", spec.Name, f.FlagName(), fl.Usage, o)
				}
			}
			if (f.Kind == contract.KindAddress || f.Kind == contract.KindPhone) && cmd.Flags().Lookup(f.NewFlagName()) == nil {
				t.Errorf("%s: no --%s", spec.Name, f.NewFlagName())
			}
		}
	}
}

// The actor is the token's owner; each invocation has its own idempotency key.
func TestActionInTheOwnersName(t *testing.T) {
	f := &apitest.FakeAPI{Answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		apitest.WriteJSON(w, 200, map[string]any{"accepted": true, "message": "paused", "stage": "phone-verify", "paused": true})
	}}
	startFake(t, f)
	for _, reason := range []string{"review", "again"} {
		out, err := runTool(t, "", "pause", "A1", "--reason", reason)
		if err != nil || out != "pause accepted by case-A1: paused (stage phone-verify, paused)\n" {
			t.Fatalf("out %q err %v", out, err)
		}
	}
	sent := f.Sent("/v1/cases/case-A1/actions/pause")
	if len(sent) != 2 || sent[0].Key == "" || sent[0].Key == sent[1].Key {
		t.Fatalf("keys %q %q", sent[0].Key, sent[len(sent)-1].Key)
	}
	if p := f.Last(t, "/v1/cases/case-A1/actions/pause"); p["by"] != "p1" || p["reason"] != "again" {
		t.Errorf("payload %v: want by the token's owner", p)
	}
	// a payment names nobody: the tool does not ask who it is
	if _, err := runTool(t, "", "payment-received", "A1", "--payment-id", "PAY-1", "--amount", "500", "--channel", "bank-transfer"); err != nil {
		t.Fatal(err)
	}
	if p := f.Last(t, "/v1/cases/case-A1/actions/payment-received"); p["amount"] != 500.0 || p["paidAt"] == "" {
		t.Errorf("payment %v", p)
	}
	if n := len(f.Sent("/v1/me")); n != 2 {
		t.Errorf("asked who I am %d times, want once per pause", n)
	}
}

func TestRejectionPrintsTheFields(t *testing.T) {
	f := &apitest.FakeAPI{Answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		apitest.WriteJSON(w, 422, map[string]any{"error": "pause rejected", "fields": []map[string]string{{"field": "by", "reason": "p1 is not a supervisor"}}})
	}}
	startFake(t, f)
	_, err := runTool(t, "", "pause", "A1", "--reason", "x")
	var refused *caseclient.Refused
	if err == nil || err.Error() != `pause rejected by case-A1: field "by": p1 is not a supervisor` || !errors.As(err, &refused) {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.Sent("/v1/cases/case-A1/actions/pause")); n != 1 {
		t.Errorf("a rejection sent %d times", n)
	}
}

func TestNoCaseKeepsTheAPIsWords(t *testing.T) {
	f := &apitest.FakeAPI{Answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		apitest.WriteJSON(w, 404, map[string]any{"error": "no case case-A1 among the cases of p1"})
	}}
	startFake(t, f)
	_, err := runTool(t, "", "pause", "A1", "--reason", "x")
	if !errors.Is(err, caseclient.ErrNoCase) || !strings.Contains(err.Error(), "no case case-A1 among the cases of p1") {
		t.Fatalf("err = %v", err)
	}
}

// A new address is recorded only once the payload passes the shape check, and its id sent
// in the payload; the outcome is not guessed.
func TestNewAddressRecordedThenSent(t *testing.T) {
	f := &apitest.FakeAPI{Answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if r.URL.Path == "/v1/cases/case-A1/addresses" {
			apitest.WriteJSON(w, 201, map[string]string{"addressId": "ADDR-9"})
			return
		}
		apitest.Accept(w, r, nil)
	}}
	startFake(t, f)
	for _, args := range [][]string{
		{"--new-address", "No. 9 Road"},                       // no outcome
		{"--new-address", "No. 9 Road", "--outcome", "maybe"}, // not an outcome
		{"--new-address", "No. 9 Road", "--address-id", "AD1", "--outcome", contract.PhoneAddressChanged},
	} {
		if _, err := runTool(t, "", append([]string{"phone-verified", "A1"}, args...)...); err == nil || !strings.Contains(err.Error(), `field "`) {
			t.Errorf("%v: err = %v", args, err)
		}
	}
	if n := len(f.Sent("/v1/cases/case-A1/addresses")); n != 0 {
		t.Fatalf("recorded %d addresses for payloads refused", n)
	}
	if _, err := runTool(t, "", "phone-verified", "A1", "--new-address", "No. 9 Road", "--outcome", contract.PhoneAddressChanged, "--callback-asked"); err != nil {
		t.Fatal(err)
	}
	p := f.Last(t, "/v1/cases/case-A1/actions/phone-verified")
	if p["addressId"] != "ADDR-9" || p["outcome"] != "address-changed" || p["agentId"] != "p1" || p["debtorAskedCallback"] != true || p["calledAt"] == "" {
		t.Errorf("sent %v", p)
	}
	if rec := f.Sent("/v1/cases/case-A1/addresses"); len(rec) != 1 || string(bytes.TrimSpace(rec[0].Body)) != `{"address":"No. 9 Road"}` {
		t.Errorf("recorded %+v", rec)
	}
}

// At a visit --with names the others; you are added, once.
func TestVisitReportWith(t *testing.T) {
	f := &apitest.FakeAPI{Answer: apitest.Accept}
	startFake(t, f)
	args := []string{"visit-report", "A1", "--badges-shown", "--address-id", "AD1", "--debtor-met", "--willingness", "high", "--monthly-capacity", "5000"}
	for _, tc := range []struct {
		with []string
		want string
	}{
		{[]string{"--with", "f2"}, `["p1","f2"]`},
		{[]string{"--with", "p1,f2"}, `["p1","f2"]`},
		{[]string{"--with", "f2", "--with", "p1"}, `["f2","p1"]`},
	} {
		if _, err := runTool(t, "", append(args, tc.with...)...); err != nil {
			t.Fatal(err)
		}
		p := f.Last(t, "/v1/cases/case-A1/actions/visit-report")
		if ids, _ := json.Marshal(p["agentIds"]); string(ids) != tc.want || p["monthlyCapacity"] != 5000.0 {
			t.Errorf("%v: sent %v, want agentIds %s", tc.with, p, tc.want)
		}
	}
	if _, err := runTool(t, "", append(args, "--agents", "f1,f2")...); err == nil {
		t.Error("visit-report --agents accepted")
	}
	if _, err := runTool(t, "", append(args, "--with", "f2", "--monthly-capacity", "lots")...); err == nil || !strings.Contains(err.Error(), `field "monthlyCapacity"`) {
		t.Errorf("not a number: %v", err)
	}
}

func TestNegotiationInstallments(t *testing.T) {
	f := &apitest.FakeAPI{Answer: apitest.Accept}
	startFake(t, f)
	_, err := runTool(t, "", "negotiation-result", "A1", "--outcome", "plan-agreed", "--legal-consequences-explained",
		"--installment", "2026-12-20:250000", "--installment", "2027-01-20:250000")
	if err != nil {
		t.Fatal(err)
	}
	p := f.Last(t, "/v1/cases/case-A1/actions/negotiation-result")
	if plan, _ := json.Marshal(p["installments"]); string(plan) != `[{"amount":250000,"dueDate":"2026-12-20"},{"amount":250000,"dueDate":"2027-01-20"}]` || p["agentId"] != "p1" {
		t.Errorf("sent %v", p)
	}
	if _, err := runTool(t, "", "negotiation-result", "A1", "--outcome", "plan-agreed", "--installment", "soon"); err == nil || !strings.Contains(err.Error(), `field "installments[0]"`) {
		t.Errorf("a bad installment: %v", err)
	}
}

func TestJSONPayloadGetsTheOwnerWhenItNamesNobody(t *testing.T) {
	f := &apitest.FakeAPI{Answer: apitest.Accept}
	startFake(t, f)
	for _, tc := range []struct{ in, by string }{{`{"reason":"x"}`, "p1"}, {`{"by":"","reason":"x"}`, "p1"}, {`{"by":null,"reason":"x"}`, "p1"}, {`{"by":"sup-9","reason":"x"}`, "sup-9"}} {
		if _, err := runTool(t, tc.in, "resume", "A1", "--json", "-"); err != nil {
			t.Fatal(err)
		}
		if p := f.Last(t, "/v1/cases/case-A1/actions/resume"); p["by"] != tc.by {
			t.Errorf("%s sent as %v, want by %s", tc.in, p, tc.by)
		}
	}
	if _, err := runTool(t, `{"reason":"x"}`, "resume", "A1", "--json", "-", "--reason", "y"); err == nil {
		t.Error("--json with payload flags accepted")
	}
	if _, err := runTool(t, `[1]`, "resume", "A1", "--json", "-"); err == nil || !strings.Contains(err.Error(), `field "payload"`) {
		t.Errorf("not an object: %v", err)
	}
	// a list of agents acting together gets the owner added
	visit := `{"agentIds":%s,"badgesShown":true,"visitedAt":"2026-11-27T10:00:00+08:00","addressId":"AD1","debtorMet":true,"willingness":"low"}`
	for in, want := range map[string]string{`["f2"]`: `["p1","f2"]`, `["f2","p1"]`: `["f2","p1"]`, `[]`: `["p1"]`} {
		_, err := runTool(t, strings.Replace(visit, "%s", in, 1), "visit-report", "A1", "--json", "-")
		if want == `["p1"]` {
			if err == nil || !strings.Contains(err.Error(), `field "agentIds"`) {
				t.Errorf("a visit of one: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if ids, _ := json.Marshal(f.Last(t, "/v1/cases/case-A1/actions/visit-report")["agentIds"]); string(ids) != want {
			t.Errorf("agentIds %s sent as %s, want %s", in, ids, want)
		}
	}
}

func TestTokenIssuePrintsOnlyTheToken(t *testing.T) {
	f := &apitest.FakeAPI{Answer: func(w http.ResponseWriter, r *http.Request, body []byte) {
		var req map[string]string
		_ = json.Unmarshal(body, &req)
		if r.Method != "POST" || r.URL.Path != "/v1/tokens" || req["agentId"] != "p2" || req["ttl"] != "2h" {
			apitest.WriteJSON(w, 400, map[string]any{"error": "unexpected " + string(body)})
			return
		}
		apitest.WriteJSON(w, 201, map[string]any{"agentId": "p2", "token": "cw_new", "expiresAt": time.Now().Add(2 * time.Hour)})
	}}
	startFake(t, f)
	out, err := runTool(t, "", "token", "issue", "--agent", "p2", "--ttl", "2h")
	if err != nil || out != "cw_new\n" {
		t.Errorf("out %q err %v", out, err)
	}
}

// greeting is the payload of a made-up action.
type greeting struct {
	By     string   `json:"by"`
	Mood   string   `json:"mood"`
	Loud   bool     `json:"loud,omitempty"`
	Others []string `json:"others,omitempty"`
	Note   string   `json:"note,omitempty"`
}

func (g *greeting) Validate() error {
	if g.Mood == "" {
		return contract.Reject("greet", "mood", "is required")
	}
	return nil
}

// An action added to the table is a subcommand with a flag per field, without a line of
// the tool changed.
func TestNewActionOfTheTableIsASubcommand(t *testing.T) {
	table := slices.Clone(contract.Table)
	table = append(table, contract.ActionSpec{
		Name: "greet", Title: contract.Text{En: "Greet the debtor", Zh: "问候"}, Help: contract.Text{En: "A friendly word, nothing more."},
		Payload: func() any { return new(greeting) }, Actor: "by", Roles: []string{contract.RolePhone},
		Stages: []contract.Stage{contract.StageNegotiate},
		Fields: []contract.Field{
			{Name: "by", Kind: contract.KindAgent, Label: contract.Text{En: "Greeter"}},
			{Name: "mood", Kind: contract.KindChoice, Options: []string{"warm", "polite"}, Label: contract.Text{En: "Mood"}, Help: contract.Text{En: "How it sounded."}},
			{Name: "loud", Flag: "out-loud", Kind: contract.KindBool, Label: contract.Text{En: "Said out loud"}},
			{Name: "others", Kind: contract.KindAgents, Label: contract.Text{En: "Others who greeted"}},
			{Name: "note", Kind: contract.KindNote, Label: contract.Text{En: "Note"}},
		},
	})
	help, err := runWith(t, table, "", "--help")
	if err != nil || !strings.Contains(help, "greet") || !strings.Contains(help, "Greet the debtor (phone)") {
		t.Fatalf("the root's help does not list greet: %v\n%s", err, help)
	}
	help, err = runWith(t, table, "", "greet", "--help")
	for _, want := range []string{"greet CASE", "A friendly word, nothing more.", "--by", "--mood", "Mood: How it sounded. (one of warm, polite)", "--out-loud", "--others", "--note", "--json", "negotiate"} {
		if err != nil || !strings.Contains(help, want) {
			t.Errorf("greet --help lacks %q (%v):\n%s", want, err, help)
		}
	}
	if help, _ := runTool(t, "", "--help"); strings.Contains(help, "greet") {
		t.Error("the made-up action leaked into Casework's table")
	}

	f := &apitest.FakeAPI{Answer: apitest.Accept}
	startFake(t, f)
	if _, err := runWith(t, table, "", "greet", "A1", "--out-loud"); err == nil || !strings.Contains(err.Error(), `field "mood": is required`) {
		t.Errorf("without a mood: %v", err)
	}
	if _, err := runWith(t, table, "", "greet", "A1", "--mood", "warm", "--out-loud", "--others", "p2"); err != nil {
		t.Fatal(err)
	}
	if p, _ := json.Marshal(f.Last(t, "/v1/cases/case-A1/actions/greet")); string(p) != `{"by":"p1","loud":true,"mood":"warm","others":["p2"]}` {
		t.Errorf("sent %s", p)
	}
}

// Each kind of failure ends the tool with its own exit code, so that a script can tell a
// refusal from an outage: the code is what cli.Main would exit with.
func TestExitCodes(t *testing.T) {
	answer := func(code int, body map[string]any) func(http.ResponseWriter, *http.Request, []byte) {
		return func(w http.ResponseWriter, _ *http.Request, _ []byte) { apitest.WriteJSON(w, code, body) }
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // nothing listens there any more
	for _, tc := range []struct {
		name   string
		answer func(http.ResponseWriter, *http.Request, []byte)
		apiURL string
		args   []string
		want   int
	}{
		{"done", answer(200, map[string]any{"caseId": "case-A1", "stage": "negotiate", "message": "ok"}), "", []string{"pause", "A1", "--reason", "x"}, cli.ExitOK},
		{"unknown command", nil, "", []string{"bogus"}, cli.ExitUsage},
		{"unknown flag", nil, "", []string{"inbox", "--bogus"}, cli.ExitUsage},
		{"missing argument", nil, "", []string{"pause"}, cli.ExitUsage},
		{"unknown output", nil, "", []string{"whoami", "-o", "yaml"}, cli.ExitUsage},
		{"unknown subcommand", nil, "", []string{"alerts", "bogus", "x"}, cli.ExitUsage},
		{"rejected by the case", answer(422, map[string]any{"error": "pause rejected", "fields": []map[string]string{{"field": "by", "reason": "not a supervisor"}}}), "", []string{"pause", "A1", "--reason", "x"}, cli.ExitRefused},
		{"forbidden", answer(403, map[string]any{"error": "phone agents may not pause"}), "", []string{"pause", "A1", "--reason", "x"}, cli.ExitRefused},
		{"no such case", answer(404, map[string]any{"error": "no case case-A1 among the cases of p1"}), "", []string{"show", "A1"}, cli.ExitNotFound},
		{"API down", nil, closed.URL, []string{"whoami"}, cli.ExitUnavailable},
		{"server error", answer(500, map[string]any{"error": "internal error", "ref": "r1"}), "", []string{"show", "A1"}, cli.ExitFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			startFake(t, &apitest.FakeAPI{Answer: tc.answer})
			if tc.apiURL != "" {
				t.Setenv("CASEWORK_API_URL", tc.apiURL)
			}
			_, err := runTool(t, "", tc.args...)
			if got := cli.ExitCode(err); got != tc.want {
				t.Fatalf("%v: exit %d (err %v), want %d", tc.args, got, err, tc.want)
			}
		})
	}
}

// -o json prints what the API answered as JSON a script can read; text stays the default.
func TestOutputJSON(t *testing.T) {
	startFake(t, &apitest.FakeAPI{Answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		apitest.WriteJSON(w, 200, map[string]any{"agentId": "p1", "tasks": []map[string]any{{"caseId": "case-A1", "action": "phone-verify", "deadline": time.Now().Add(time.Hour)}}})
	}})
	out, err := runTool(t, "", "whoami", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var me struct{ AgentID, Role string }
	if err := json.Unmarshal([]byte(out), &me); err != nil || me.AgentID != "p1" || me.Role != "phone" {
		t.Fatalf("whoami -o json = %q (%v)", out, err)
	}
	out, err = runTool(t, "", "inbox", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var tasks []map[string]any
	if err := json.Unmarshal([]byte(out), &tasks); err != nil || len(tasks) != 1 || tasks[0]["caseId"] != "case-A1" {
		t.Fatalf("inbox -o json = %q (%v)", out, err)
	}
	if out, err = runTool(t, "", "inbox"); err != nil || !strings.HasPrefix(out, "CASE ") || !strings.Contains(out, "case-A1") {
		t.Fatalf("inbox = %q (%v), want the table", out, err)
	}
}

// A choice field's values complete in the shell.
func TestChoicesComplete(t *testing.T) {
	choices := 0
	for _, spec := range contract.Table {
		for _, f := range spec.Fields {
			if len(f.Options) == 0 {
				continue
			}
			out, err := runTool(t, "", "__complete", spec.Name, "case-A1", "--"+f.FlagName(), "")
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range f.Options {
				if !strings.Contains(out, o+"\n") {
					t.Errorf("%s --%s completes %q, want %q among them", spec.Name, f.FlagName(), out, o)
				}
			}
			choices++
		}
	}
	if choices == 0 {
		t.Fatal("no action of the table has a choice field")
	}
}
