package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI answers like the agents' API and records what it was sent.
type fakeAPI struct {
	mu       sync.Mutex
	requests []seen
	// answer answers a request; nil answers 404.
	answer func(w http.ResponseWriter, r *http.Request, body []byte)
}

type seen struct {
	method, path, query, key, auth string
	body                           []byte
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Idempotency-Key"), r.Header.Get("Authorization"), body})
	f.mu.Unlock()
	if r.URL.Path == "/v1/me" {
		writeTestJSON(w, 200, map[string]any{"agentId": "p1", "role": "phone", "expiresAt": time.Now().Add(time.Hour)})
		return
	}
	if f.answer == nil {
		writeTestJSON(w, 404, map[string]any{"error": "no such route"})
		return
	}
	f.answer(w, r, body)
}

func (f *fakeAPI) sent(path string) []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []seen
	for _, s := range f.requests {
		if s.path == path {
			out = append(out, s)
		}
	}
	return out
}

func writeTestJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// startFake serves f and points the tool at it with a token; waits are recorded, not slept.
func startFake(t *testing.T, f *fakeAPI) *[]time.Duration {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	t.Setenv("CASEWORK_API_URL", srv.URL)
	t.Setenv("CASEWORK_TOKEN", "cw_test")
	var waits []time.Duration
	old := sleep
	sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	t.Cleanup(func() { sleep = old })
	return &waits
}

// runTool runs the tool's command line in-process.
func runTool(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	root := rootCmd()
	root.SilenceUsage, root.SilenceErrors = true, true
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

func TestTokenFileIsTrimmedAndSent(t *testing.T) {
	f := &fakeAPI{answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeTestJSON(w, 200, map[string]any{"agentId": "p1", "tasks": []any{}})
	}}
	startFake(t, f)
	t.Setenv("CASEWORK_TOKEN", "")
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("  cw_fromfile\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runTool(t, "", "inbox", "--token-file", file); err != nil {
		t.Fatal(err)
	}
	if got := f.sent("/v1/inbox"); len(got) != 1 || got[0].auth != "Bearer cw_fromfile" {
		t.Errorf("sent %+v", got)
	}
}

// An action is retried on 503 with the same idempotency key, waiting what the server asks
// up to the cap; a rejection is not retried and prints the fields.
func TestActionRetriedWithTheSameKey(t *testing.T) {
	calls := 0
	f := &fakeAPI{answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		calls++
		if calls <= 2 {
			w.Header().Set("Retry-After", "30")
			writeTestJSON(w, 503, map[string]any{"error": "case-A1 did not answer"})
			return
		}
		writeTestJSON(w, 200, map[string]any{"accepted": true, "message": "paused", "stage": "phone-verify", "paused": true})
	}}
	waits := startFake(t, f)
	out, err := runTool(t, "", "pause", "A1", "--reason", "review")
	if err != nil || !strings.Contains(out, "pause accepted by case-A1: paused") {
		t.Fatalf("out %q err %v", out, err)
	}
	sent := f.sent("/v1/cases/case-A1/actions/pause")
	if len(sent) != 3 || sent[0].key == "" || sent[0].key != sent[1].key || sent[1].key != sent[2].key {
		t.Fatalf("sent %d times with keys %v", len(sent), sent)
	}
	var p map[string]string
	if err := json.Unmarshal(sent[0].body, &p); err != nil || p["by"] != "p1" || p["reason"] != "review" {
		t.Errorf("payload %s: want by the token's owner", sent[0].body)
	}
	if len(*waits) != 2 || (*waits)[0] != maxRetryAfter {
		t.Errorf("waited %v, want twice the cap", *waits)
	}
	// another invocation: another key
	calls = 10
	if _, err := runTool(t, "", "pause", "A1", "--reason", "again"); err != nil {
		t.Fatal(err)
	}
	if sent := f.sent("/v1/cases/case-A1/actions/pause"); sent[3].key == sent[0].key {
		t.Error("a new invocation reused the key")
	}
}

func TestActionGivesUpAfterThreeRetries(t *testing.T) {
	f := &fakeAPI{answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeTestJSON(w, 503, map[string]any{"error": "case-A1 did not answer"})
	}}
	waits := startFake(t, f)
	_, err := runTool(t, "", "pause", "A1", "--reason", "review")
	var api *APIError
	if !errors.As(err, &api) || api.Status != 503 || !strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.sent("/v1/cases/case-A1/actions/pause")); n != 1+retries || len(*waits) != retries {
		t.Errorf("sent %d times, waited %v", n, *waits)
	}
}

func TestActionOverAConnectionThatFails(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	t.Setenv("CASEWORK_API_URL", url)
	t.Setenv("CASEWORK_TOKEN", "cw_test")
	var waits []time.Duration
	old := sleep
	sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	defer func() { sleep = old }()
	_, err := runTool(t, "", "pause", "A1", "--reason", "review", "--by", "sup-1")
	var conn *connError
	if !errors.As(err, &conn) || len(waits) != retries {
		t.Errorf("err %v after waits %v; want a connection error after %d retries", err, waits, retries)
	}
}

func TestRejectionPrintsTheFields(t *testing.T) {
	f := &fakeAPI{answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeTestJSON(w, 422, map[string]any{"error": "pause rejected", "fields": []map[string]string{{"field": "by", "reason": "p1 is not a supervisor"}}})
	}}
	startFake(t, f)
	_, err := runTool(t, "", "pause", "A1", "--reason", "x")
	if err == nil || !strings.Contains(err.Error(), `pause rejected by case-A1`) || !strings.Contains(err.Error(), `field "by": p1 is not a supervisor`) {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.sent("/v1/cases/case-A1/actions/pause")); n != 1 {
		t.Errorf("a rejection sent %d times", n)
	}
}

// A write without a key is not sent again after a 503 (it may have been applied); a 429
// is, since it was refused before it was handled.
func TestWriteNotRetriedUnlessRefusedBeforeHandling(t *testing.T) {
	code := 503
	f := &fakeAPI{answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if code != 0 {
			w.Header().Set("Retry-After", "1")
			writeTestJSON(w, code, map[string]any{"error": "busy"})
			code = 0
			return
		}
		writeTestJSON(w, 201, map[string]any{"agentId": "p2", "token": "cw_new", "expiresAt": time.Now().Add(time.Hour)})
	}}
	startFake(t, f)
	if _, err := runTool(t, "", "token", "issue", "--agent", "p2"); err == nil {
		t.Fatal("a 503 on issuing a token was retried")
	}
	code = 429
	if out, err := runTool(t, "", "token", "issue", "--agent", "p2"); err != nil || out != "cw_new\n" {
		t.Fatalf("after a 429: %q %v", out, err)
	}
	if n := len(f.sent("/v1/tokens")); n != 3 {
		t.Errorf("sent %d times, want 1 + 2", n)
	}
}

// A new address is recorded (retried: the API answers the same id for the same text), and
// its id sent in the payload.
func TestNewAddressRecordedThenSent(t *testing.T) {
	fails := 1
	f := &fakeAPI{answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if r.URL.Path == "/v1/cases/case-A1/addresses" {
			if fails > 0 {
				fails--
				writeTestJSON(w, 503, map[string]any{"error": "busy"})
				return
			}
			writeTestJSON(w, 201, map[string]string{"addressId": "ADDR-9"})
			return
		}
		writeTestJSON(w, 200, map[string]any{"accepted": true, "message": "ok", "stage": "visit"})
	}}
	startFake(t, f)
	if _, err := runTool(t, "", "phone-verified", "A1", "--new-address", "No. 9 Road"); err != nil {
		t.Fatal(err)
	}
	sent := f.sent("/v1/cases/case-A1/actions/phone-verified")
	var p map[string]any
	if len(sent) != 1 || json.Unmarshal(sent[0].body, &p) != nil || p["addressId"] != "ADDR-9" || p["outcome"] != "address-changed" || p["agentId"] != "p1" {
		t.Errorf("sent %+v", sent)
	}
	rec := f.sent("/v1/cases/case-A1/addresses")
	if len(rec) != 2 || string(bytes.TrimSpace(rec[1].body)) != `{"address":"No. 9 Road"}` {
		t.Errorf("recorded %d times: %s", len(rec), rec[len(rec)-1].body)
	}
}

// A payload the contract refuses is refused before anything is recorded or sent.
func TestShapeCheckedBeforeRecording(t *testing.T) {
	f := &fakeAPI{}
	startFake(t, f)
	_, err := runTool(t, "", "phone-verified", "A1", "--new-address", "No. 9 Road", "--outcome", "maybe")
	if err == nil || !strings.Contains(err.Error(), `field "outcome"`) {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.sent("/v1/cases/case-A1/addresses")); n != 0 {
		t.Errorf("recorded %d addresses for a payload refused", n)
	}
}

func TestVisitReportAgents(t *testing.T) {
	f := &fakeAPI{answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeTestJSON(w, 200, map[string]any{"accepted": true, "message": "ok", "stage": "negotiate"})
	}}
	startFake(t, f)
	args := []string{"visit-report", "A1", "--badges-shown", "--address-id", "AD1", "--debtor-met", "--willingness", "high"}
	if _, err := runTool(t, "", append(args, "--with", "f2")...); err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	sent := f.sent("/v1/cases/case-A1/actions/visit-report")
	if len(sent) != 1 || json.Unmarshal(sent[0].body, &p) != nil || len(p["agentIds"].([]any)) != 2 || p["agentIds"].([]any)[0] != "p1" {
		t.Fatalf("sent %s", sent[0].body)
	}
	if _, err := runTool(t, "", append(args, "--agents", "f1,f2")...); err == nil || !strings.Contains(err.Error(), "you (p1) must be among them") {
		t.Errorf("--agents without the owner: %v", err)
	}
}

func TestJSONPayloadGetsTheOwnerWhenItNamesNobody(t *testing.T) {
	f := &fakeAPI{answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeTestJSON(w, 200, map[string]any{"accepted": true, "message": "ok", "stage": "visit"})
	}}
	startFake(t, f)
	for _, tc := range []struct{ in, by string }{{`{"reason":"x"}`, "p1"}, {`{"by":"","reason":"x"}`, "p1"}, {`{"by":"sup-9","reason":"x"}`, "sup-9"}} {
		if _, err := runTool(t, tc.in, "resume", "A1", "--json", "-"); err != nil {
			t.Fatal(err)
		}
		sent := f.sent("/v1/cases/case-A1/actions/resume")
		var p map[string]string
		if err := json.Unmarshal(sent[len(sent)-1].body, &p); err != nil || p["by"] != tc.by {
			t.Errorf("%s sent as %s, want by %s", tc.in, sent[len(sent)-1].body, tc.by)
		}
	}
	if _, err := runTool(t, `{"reason":"x"}`, "resume", "A1", "--json", "-", "--reason", "y"); err == nil {
		t.Error("--json with payload flags accepted")
	}
	if _, err := runTool(t, `[1]`, "resume", "A1", "--json", "-"); err == nil || !strings.Contains(err.Error(), `field "payload"`) {
		t.Errorf("not an object: %v", err)
	}
}

func TestTokenIssuePrintsOnlyTheToken(t *testing.T) {
	f := &fakeAPI{answer: func(w http.ResponseWriter, r *http.Request, body []byte) {
		var req map[string]string
		_ = json.Unmarshal(body, &req)
		if r.Method != "POST" || r.URL.Path != "/v1/tokens" || req["agentId"] != "p2" || req["ttl"] != "2h" {
			writeTestJSON(w, 400, map[string]any{"error": "unexpected " + string(body)})
			return
		}
		writeTestJSON(w, 201, map[string]any{"agentId": "p2", "token": "cw_new", "expiresAt": time.Now().Add(2 * time.Hour)})
	}}
	startFake(t, f)
	out, err := runTool(t, "", "token", "issue", "--agent", "p2", "--ttl", "2h")
	if err != nil || out != "cw_new\n" {
		t.Errorf("out %q err %v", out, err)
	}
}

func TestRetryAfter(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "3": 3 * time.Second, "x": 0, "-1": 0} {
		if got := retryAfter(in); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", in, got, want)
		}
	}
	if got := retryAfter(time.Now().Add(5 * time.Second).UTC().Format(http.TimeFormat)); got <= 3*time.Second || got > 5*time.Second {
		t.Errorf("an HTTP date: %s", got)
	}
}
