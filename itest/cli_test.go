package itest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/casework/casework/book"
	"github.com/casework/casework/contract"
)

// run runs one of the programs `make build` put in bin/, with the test stack's settings.
func run(t *testing.T, program string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	bin, err := filepath.Abs(filepath.Join("..", "bin", program))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is not built (make build): %v", bin, err)
	}
	cmd := exec.Command(bin, args...)
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

// The agent tool: a good action is accepted; a bad one prints the field and the reason and
// exits non-zero, whether the tool or the workflow found it; --json - reads standard input.
func TestAgentToolAcceptsAndRejects(t *testing.T) {
	need(t)
	caseID := startCase(t, newAccount(t))
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"shape caught by the tool", "", []string{"pause", caseID, "--by", "sup-1"}, 1, `field "reason": is required`},
		{"rule caught by the workflow", "", []string{"pause", caseID, "--by", st.Pending.Assignees[0], "--reason", "x"}, 1, "is not a supervisor"},
		{"unknown field in JSON", `{"by":"sup-1","reason":"x","mood":1}`, []string{"pause", caseID, "--json", "-"}, 1, `field "mood": unknown field`},
		{"accepted", "", []string{"pause", caseID, "--by", "sup-1", "--reason", "review"}, 0, "pause accepted"},
		{"accepted from JSON", `{"by":"sup-1","reason":"done"}`, []string{"resume", caseID, "--json", "-"}, 0, "resume accepted"},
		{"show", "", []string{"show", caseID}, 0, "timeline:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, "agent", tc.stdin, tc.args...)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Errorf("agent %v: exit %d, output %q %q; want exit %d and %q", tc.args, code, out, errOut, tc.code, tc.want)
			}
		})
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

// Before a contact the tool asks the guardrails: allowed now, or refused during a dispute
// hold. A new address typed into the tool is recorded in PostgreSQL and only its id goes
// into the case.
func TestAgentToolGuardrailsAndNewAddress(t *testing.T) {
	need(t)
	account := newAccount(t)
	caseID := startCase(t, account)
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	phone := st.Pending.Assignees[0]
	if out, errOut, code := run(t, "agent", "", "contact", caseID, "--agent", phone, "--channel", "call"); code != 0 || !strings.Contains(out, "allowed now") {
		t.Fatalf("contact before any call: exit %d %q %q", code, out, errOut)
	}
	out, errOut, code := run(t, "agent", "", "phone-verified", caseID, "--agent", phone, "--new-address", "No. 9 Synthetic Road, Apt 3 (synthetic)")
	if code != 0 {
		t.Fatalf("phone-verified --new-address: exit %d %q %q", code, out, errOut)
	}
	var id, recordedBy string
	if err := stack.db.QueryRow(context.Background(), `SELECT address_id, recorded_by FROM addresses WHERE account_id = $1 AND source = 'agent'`, account).Scan(&id, &recordedBy); err != nil {
		t.Fatalf("the new address was not recorded: %v", err)
	}
	st = waitPending(t, caseID, contract.ActionVisitReport)
	if st.VerifiedAddressID != id || recordedBy != phone || strings.Contains(fmt.Sprint(st), "Synthetic Road") {
		t.Errorf("verified %q, recorded %q by %q; want the new id in the case and no text", st.VerifiedAddressID, id, recordedBy)
	}
	mustUpdate(t, caseID, contract.ActionAnomaly, contract.AnomalyReport{Kind: contract.AnomalyDispute, ReportedBy: phone})
	out, errOut, code = run(t, "agent", "", "contact", caseID, "--agent", st.Pending.Assignees[0], "--channel", "visit")
	if code != 1 || !strings.Contains(errOut, "dispute hold") {
		t.Errorf("contact during a dispute: exit %d %q %q, want refused", code, out, errOut)
	}
	mustUpdate(t, caseID, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "test over"})
	result(t, caseID)
}
