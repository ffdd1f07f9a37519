//go:build integration

package itest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/casework/casework/book"
	"github.com/casework/casework/cli"
	"github.com/casework/casework/contract"
)

// run runs one of the programs `make build` put in bin/, with the test stack's settings.
func run(t *testing.T, program string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runWith(t, program, nil, stdin, args...)
}

// runWith runs a program of bin/ with exactly the environment env (nil: this process's).
func runWith(t *testing.T, program string, env []string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	bin, err := filepath.Abs(filepath.Join("..", "bin", program))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is not built (make build): %v", bin, err)
	}
	cmd := exec.Command(bin, args...)
	if env != nil {
		cmd.Env = env
	}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run %s: %v", program, err)
	}
	return out.String(), errb.String(), code
}

// otherPhoneAgent is a phone agent of the region who is not the case's.
func otherPhoneAgent(mine string) string {
	if mine == "phone-north-1" {
		return "phone-north-2"
	}
	return "phone-north-1"
}

// The agent tool, a client of the API only: a good action is accepted; a bad one prints
// the field and the reason and exits non-zero, whether the tool, the API or the workflow
// found it; --json - reads standard input; the acting person is the token's owner unless
// a flag names them, and a flag naming someone else is refused.
func TestAgentToolAcceptsAndRejects(t *testing.T) {
	need(t)
	api := cliAPI(t)
	account := newAccount(t)
	caseID := startCase(t, account)
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	phone := st.Pending.Assignees[0]
	sup, phoneTok := cliToken(t, "sup-1"), cliToken(t, phone)
	for _, tc := range []struct {
		name  string
		token string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"shape caught by the tool", sup, "", []string{"pause", caseID, "--by", "sup-1"}, cli.ExitRefused, `field "reason": is required`},
		{"shape caught by the tool, in the token's name", sup, "", []string{"pause", caseID}, cli.ExitRefused, `field "reason": is required`},
		{"an action of another role", phoneTok, "", []string{"pause", caseID, "--reason", "x"}, cli.ExitRefused, "is sent by supervisor"},
		{"rule caught by the workflow", sup, "", []string{"resume", caseID, "--reason", "x"}, cli.ExitRefused, "is not paused"},
		{"in another's name", sup, "", []string{"pause", caseID, "--by", "sup-2", "--reason", "x"}, cli.ExitRefused, "own name"},
		{"unknown field in JSON", sup, `{"by":"sup-1","reason":"x","mood":1}`, []string{"pause", caseID, "--json", "-"}, cli.ExitRefused, `field "mood": unknown field`},
		{"accepted", sup, "", []string{"pause", caseID, "--by", "sup-1", "--reason", "review"}, 0, "pause accepted"},
		{"accepted from JSON, in the token's name", sup, `{"reason":"done"}`, []string{"resume", caseID, "--json", "-"}, 0, "resume accepted"},
		{"accepted in the token's name", sup, "", []string{"pause", caseID, "--reason", "again"}, 0, "pause accepted"},
		{"accepted from JSON", sup, `{"by":"sup-1","reason":"done"}`, []string{"resume", caseID, "--json", "-"}, 0, "resume accepted"},
		{"show", sup, "", []string{"show", caseID}, 0, "timeline:"},
		{"show by account id, an agent of the case", phoneTok, "", []string{"show", account}, 0, caseID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runAgent(t, api, tc.token, tc.stdin, tc.args...)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Errorf("agent %v: exit %d, output %q %q; want exit %d and %q", tc.args, code, out, errOut, tc.code, tc.want)
			}
		})
	}
	var pauses []string
	for _, e := range status(t, caseID).Timeline {
		if (e.Kind == contract.ActionPause || e.Kind == contract.ActionResume) && e.Accepted {
			pauses = append(pauses, e.Kind+" by "+e.By)
		}
	}
	if want := "pause by sup-1,resume by sup-1,pause by sup-1,resume by sup-1"; strings.Join(pauses, ",") != want {
		t.Errorf("accepted pauses and resumes %v, want %s", pauses, want)
	}
	out, errOut, code := runAgent(t, api, sup, "", "close", caseID, "--reason", "test over")
	if code != 0 || !strings.Contains(out, "close accepted") {
		t.Fatalf("close: exit %d %q %q", code, out, errOut)
	}
	if r := result(t, caseID); r.Outcome != contract.OutcomeClosedBySupervisor {
		t.Errorf("outcome %s, want %s", r.Outcome, contract.OutcomeClosedBySupervisor)
	}
}

// The tool needs a token and says how to get one; only supervisors issue tokens (through
// the API, with their own), an issued token works and can be revoked, an agent reads only
// their own inbox, and a case that is not yours looks like no case at all.
func TestAgentToolTokensAndWhatAnAgentSees(t *testing.T) {
	need(t)
	api := cliAPI(t)
	caseID := startCase(t, newAccount(t))
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	phone := st.Pending.Assignees[0]
	other := otherPhoneAgent(phone)
	sup, phoneTok, otherTok := cliToken(t, "sup-1"), cliToken(t, phone), cliToken(t, other)

	for _, args := range [][]string{{"inbox"}, {"pause", caseID, "--reason", "x"}} {
		out, errOut, code := runAgent(t, api, "", "", args...)
		if code != 1 || out != "" || !strings.Contains(errOut, "CASEWORK_TOKEN") || !strings.Contains(errOut, "agent token issue --agent") {
			t.Errorf("agent %v without a token: exit %d %q %q; want the hint", args, code, out, errOut)
		}
	}
	if out, errOut, code := runAgent(t, api, "cw_not-a-token", "", "inbox"); code != cli.ExitRefused || !strings.Contains(errOut, "HTTP 401") || !strings.Contains(errOut, "agent token issue") {
		t.Errorf("an unknown token: exit %d %q %q", code, out, errOut)
	}

	if out, errOut, code := runAgent(t, api, phoneTok, "", "token", "issue", "--agent", other); code != cli.ExitRefused || out != "" || !strings.Contains(errOut, "HTTP 403") || !strings.Contains(errOut, "not a supervisor") {
		t.Errorf("an agent issued a token: exit %d %q %q; want 403", code, out, errOut)
	}
	out, errOut, code := runAgent(t, api, sup, "", "token", "issue", "--agent", phone, "--ttl", "1h")
	issued := strings.TrimSuffix(out, "\n")
	if code != 0 || !strings.HasPrefix(issued, "cw_") || strings.ContainsAny(issued, " \n") || !strings.Contains(errOut, "valid until") {
		t.Fatalf("a supervisor's token issue: exit %d %q %q; want the token alone on stdout", code, out, errOut)
	}
	if out, errOut, code := runAgent(t, api, issued, "", "inbox"); code != 0 || !strings.Contains(out, caseID) || !strings.Contains(out, contract.ActionPhoneVerified) {
		t.Errorf("inbox with the issued token: exit %d %q %q", code, out, errOut)
	}
	if out, errOut, code := runAgent(t, api, issued, "", "whoami"); code != 0 || !strings.Contains(out, phone+" ("+contract.RolePhone+")") {
		t.Errorf("whoami: exit %d %q %q", code, out, errOut)
	}
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(issued+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := runAgent(t, api, "", "", "inbox", "--token-file", file); code != 0 || !strings.Contains(out, caseID) {
		t.Errorf("inbox with --token-file: exit %d %q %q", code, out, errOut)
	}

	if out, errOut, code := runAgent(t, api, sup, "", "inbox", "--agent", phone); code != 0 || !strings.Contains(out, caseID) {
		t.Errorf("a supervisor reads an agent's inbox: exit %d %q %q", code, out, errOut)
	}
	if out, errOut, code := runAgent(t, api, otherTok, "", "inbox", "--agent", phone); code != cli.ExitRefused || !strings.Contains(errOut, "own inbox") {
		t.Errorf("an agent reads another's inbox: exit %d %q %q; want 403", code, out, errOut)
	}
	if out, _, _ := runAgent(t, api, otherTok, "", "inbox"); strings.Contains(out, caseID) {
		t.Errorf("another agent's inbox lists the case: %q", out)
	}

	// not yours and no such case: one answer, and nothing of the case
	nobody := contract.WorkflowID(stack.run + "-nobody")
	out1, err1, code1 := runAgent(t, api, otherTok, "", "show", caseID)
	out2, err2, code2 := runAgent(t, api, otherTok, "", "show", nobody)
	if code1 != cli.ExitNotFound || code2 != cli.ExitNotFound || out1 != "" || out2 != "" || !strings.Contains(err1, "HTTP 404") ||
		strings.ReplaceAll(err1, caseID, "CASE") != strings.ReplaceAll(err2, nobody, "CASE") {
		t.Errorf("show of another's case: exit %d %q %q; of no case: exit %d %q %q; want the same answer", code1, out1, err1, code2, out2, err2)
	}
	for _, args := range [][]string{
		{"contact", caseID, "--channel", "call"},
		{"phone-verified", caseID, "--outcome", "confirmed"},
	} {
		if out, errOut, code := runAgent(t, api, otherTok, "", args...); code != cli.ExitNotFound || !strings.Contains(errOut, "no case "+caseID) {
			t.Errorf("agent %v on another's case: exit %d %q %q; want no case", args, code, out, errOut)
		}
	}

	out, errOut, code = runAgent(t, api, sup, "", "token", "revoke", "--agent", phone)
	if code != 0 || !strings.Contains(out, "tokens of "+phone) {
		t.Errorf("token revoke: exit %d %q %q", code, out, errOut)
	}
	for _, tok := range []string{issued, phoneTok} {
		if out, errOut, code := runAgent(t, api, tok, "", "inbox"); code != cli.ExitRefused || !strings.Contains(errOut, "HTTP 401") {
			t.Errorf("a revoked token: exit %d %q %q; want 401", code, out, errOut)
		}
	}
	mustUpdate(t, caseID, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "test over"})
	result(t, caseID)
}

// The starter's import prints each bad row with its line and reason and keeps the good.
func TestStarterImportReportsBadRows(t *testing.T) {
	need(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "book.csv")
	csv := strings.Join(book.Columns, ",") + "\n" +
		fmt.Sprintf("%s-cli1,P,+886 900 000001,A1,north,Asia/Taipei,TWD,500000,90,open\n", stack.run) +
		fmt.Sprintf("%s-cli2,P,+886 900 000002,A2,north,Nowhere/City,TWD,500000,90,open\n", stack.run)
	if err := os.WriteFile(file, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "starter", "", "import", file)
	if code != 0 || !strings.Contains(errOut, "line 3: timezone") || !strings.Contains(out, "1 imported") || !strings.Contains(out, "1 rejected") {
		t.Errorf("starter import: exit %d, %q %q", code, out, errOut)
	}
}

// Before a contact the tool asks the guardrails through the API: allowed now, or refused
// during a dispute hold. A new address or phone typed into the tool is recorded in
// PostgreSQL behind the API and only its id goes into the case.
func TestAgentToolGuardrailsAndNewAddress(t *testing.T) {
	need(t)
	ctx := context.Background()
	api := cliAPI(t)
	account := newAccount(t)
	caseID := startCase(t, account)
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	phone := st.Pending.Assignees[0]
	phoneTok, sup := cliToken(t, phone), cliToken(t, "sup-1")
	for _, args := range [][]string{{"contact", caseID, "--channel", "call"}, {"contact", caseID, "--agent", phone}} {
		if out, errOut, code := runAgent(t, api, phoneTok, "", args...); code != 0 || !strings.Contains(out, "allowed now") {
			t.Fatalf("agent %v before any call: exit %d %q %q", args, code, out, errOut)
		}
	}
	if out, errOut, code := runAgent(t, api, phoneTok, "", "contact", caseID, "--agent", "sup-1"); code != cli.ExitUsage || !strings.Contains(errOut, "token's owner") {
		t.Errorf("contact for someone else: exit %d %q %q", code, out, errOut)
	}
	out, errOut, code := runAgent(t, api, phoneTok, "", "phone-verified", caseID, "--outcome", contract.PhoneAddressChanged, "--new-address", "No. 9 Synthetic Road, Apt 3 (synthetic)")
	if code != 0 || !strings.Contains(out, "phone-verified accepted") {
		t.Fatalf("phone-verified --new-address: exit %d %q %q", code, out, errOut)
	}
	var id, recordedBy string
	if err := stack.db.QueryRow(ctx, `SELECT address_id, recorded_by FROM addresses WHERE account_id = $1 AND source = 'agent'`, account).Scan(&id, &recordedBy); err != nil {
		t.Fatalf("the new address was not recorded: %v", err)
	}
	st = waitPending(t, caseID, contract.ActionVisitReport)
	if st.VerifiedAddressID != id || recordedBy != phone || strings.Contains(fmt.Sprint(st), "Synthetic Road") {
		t.Errorf("verified %q, recorded %q by %q; want the new id in the case and no text", st.VerifiedAddressID, id, recordedBy)
	}
	field := st.Pending.Assignees
	fieldTok := cliToken(t, field[0])
	if out, errOut, code := runAgent(t, api, phoneTok, "", "anomaly", caseID, "--kind", contract.AnomalyDispute); code != 0 || !strings.Contains(out, "anomaly accepted") {
		t.Fatalf("dispute reported with the tool: exit %d %q %q", code, out, errOut)
	}
	out, errOut, code = runAgent(t, api, fieldTok, "", "contact", caseID, "--channel", "visit")
	if code != cli.ExitRefused || !strings.Contains(errOut, "visit of "+caseID+" refused") || !strings.Contains(errOut, "dispute hold") {
		t.Errorf("contact during a dispute: exit %d %q %q, want refused", code, out, errOut)
	}
	if st := status(t, caseID); len(st.Anomalies) == 0 || st.Anomalies[len(st.Anomalies)-1].By != phone {
		t.Errorf("anomalies %+v: want the dispute by %s", st.Anomalies, phone)
	}

	// a new phone: recorded, and only its id in the case
	out, errOut, code = runAgent(t, api, phoneTok, "", "anomaly", caseID, "--kind", contract.AnomalyContactChanged, "--new-phone", "+886 900 555123")
	if code != 0 || !strings.Contains(out, "anomaly accepted") {
		t.Fatalf("anomaly --new-phone: exit %d %q %q", code, out, errOut)
	}
	var phoneID string
	if err := stack.db.QueryRow(ctx, `SELECT phone_id, recorded_by FROM phones WHERE account_id = $1 AND source = 'agent'`, account).Scan(&phoneID, &recordedBy); err != nil {
		t.Fatalf("the new phone was not recorded: %v", err)
	}
	st = waitFor(t, caseID, "the new phone", func(s *contract.Status) bool { return s.PhoneID == phoneID })
	if recordedBy != phone || strings.Contains(fmt.Sprint(st), "555123") {
		t.Errorf("phone %q recorded by %q; want by %s and no number in the case", phoneID, recordedBy, phone)
	}

	if out, errOut, code := runAgent(t, api, sup, "", "close", caseID, "--reason", "test over"); code != 0 || !strings.Contains(out, "close accepted") {
		t.Errorf("close: exit %d %q %q", code, out, errOut)
	}
	result(t, caseID)
}

// The back office's tool, built and run as a script would: each kind of failure has its
// exit code, -o json is JSON a script can read, import --strict fails on any bad row and
// still keeps the good ones, --version names the commit.
func TestStarterScriptable(t *testing.T) {
	need(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "book.csv")
	csv := strings.Join(book.Columns, ",") + "\n" +
		stack.run + "-cli-s1,Ann Example,+886 900 000001,No. 1 Lane,north,Asia/Taipei,TWD,500000,90,open\n" +
		stack.run + "-cli-s2,Bob Example,+886 900 000002,No. 2 Lane,north,Mars/Base,TWD,500000,90,open\n" // line 3: bad zone
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}

	out, _, code := run(t, "starter", "", "--version")
	if code != 0 || !strings.Contains(out, "commit ") || strings.Contains(out, "commit unknown") {
		t.Errorf("--version = %q (exit %d), want the commit", out, code)
	}

	out, stderr, code := run(t, "starter", "", "import", "--strict", "-o", "json", file)
	if code != cli.ExitRefused {
		t.Errorf("import --strict with a bad row: exit %d, want %d (stderr %s)", code, cli.ExitRefused, stderr)
	}
	var sum struct {
		Read, Imported, Updated, Unchanged, RejectedTotal int
		Rejected                                          []struct {
			Line          int
			Field, Reason string
		}
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("import -o json: %v: %q", err, out)
	}
	if sum.Read != 2 || sum.Imported+sum.Updated+sum.Unchanged != 1 || len(sum.Rejected) != 1 || sum.RejectedTotal != 1 || sum.Rejected[0].Line != 3 || sum.Rejected[0].Field != "timezone" {
		t.Errorf("import summary = %+v, want 2 read, 1 kept, line 3's timezone rejected", sum)
	}
	if !strings.Contains(stderr, "line 3") || !strings.Contains(stderr, "--strict") {
		t.Errorf("stderr = %q, want the bad line and why the exit", stderr)
	}
	var kept int
	if err := stack.db.QueryRow(context.Background(), `SELECT count(*) FROM accounts WHERE account_id = $1`, stack.run+"-cli-s1").Scan(&kept); err != nil || kept != 1 {
		t.Errorf("the good row under --strict: %d accounts (%v), want it kept", kept, err)
	}
	if _, _, code := run(t, "starter", "", "import", file); code != 0 {
		t.Errorf("import without --strict: exit %d, want 0 (the bad row reported)", code)
	}

	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want int
	}{
		{"unknown command", nil, []string{"bogus"}, cli.ExitUsage},
		{"missing argument", nil, []string{"import"}, cli.ExitUsage},
		{"required flag", nil, []string{"token", "issue"}, cli.ExitUsage},
		{"unknown output", nil, []string{"report", "-o", "yaml"}, cli.ExitUsage},
		{"bad date", nil, []string{"report", "--from", "yesterday"}, cli.ExitUsage},
		{"no such model", nil, []string{"model", "promote", "999999"}, cli.ExitNotFound},
		{"no such strategy", nil, []string{"strategy", "promote", "no-such-strategy"}, cli.ExitNotFound},
		{"no such agent", nil, []string{"token", "issue", "--agent", "nobody-at-all"}, cli.ExitNotFound},
		{"refused by a rule", nil, []string{"strategy", "set", "cli-test", "--path", "by-pigeon"}, cli.ExitRefused},
		{"PostgreSQL down", []string{"DATABASE_URL=postgres://casework_app@127.0.0.1:1/casework?sslmode=disable&connect_timeout=2"}, []string{"report"}, cli.ExitUnavailable},
		{"settings wrong, not an outage", []string{"DATABASE_URL=not a url"}, []string{"report"}, cli.ExitFailure},
		{"no such database", []string{"DATABASE_URL=" + otherDatabase(t, "no_such_database")}, []string{"report"}, cli.ExitFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var env []string // nil: this process's
			if tc.env != nil {
				env = append(os.Environ(), tc.env...)
			}
			if _, stderr, code := runWith(t, "starter", env, "", tc.args...); code != tc.want {
				t.Errorf("%v: exit %d, want %d (%s)", tc.args, code, tc.want, stderr)
			}
		})
	}

	out, _, code = run(t, "starter", "", "report", "-o", "json")
	var report map[string]any
	if err := json.Unmarshal([]byte(out), &report); code != 0 || err != nil || len(report) == 0 {
		t.Errorf("report -o json: exit %d, %v: %.200q", code, err, out)
	}
	out, _, code = run(t, "starter", "", "strategy", "list", "-o", "json")
	var arms []map[string]any
	if err := json.Unmarshal([]byte(out), &arms); code != 0 || err != nil {
		t.Errorf("strategy list -o json: exit %d, %v: %.200q", code, err, out)
	}
	out, _, code = run(t, "starter", "", "__complete", "strategy", "set", "x", "--path", "")
	if code != 0 || !strings.Contains(out, "phone-first") || !strings.Contains(out, "visit-first") {
		t.Errorf("completion of --path = %q, want the contact paths", out)
	}
}

// otherDatabase is DATABASE_URL naming another database on the same server.
func otherDatabase(t *testing.T, name string) string {
	t.Helper()
	u, err := url.Parse(os.Getenv("DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
