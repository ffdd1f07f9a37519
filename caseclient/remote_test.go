package caseclient

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/casework/casework/caseclient/apitest"
	"github.com/casework/casework/contract"
)

// recordWaits makes the clients made from now on record their waits instead of sleeping.
func recordWaits(t *testing.T) *[]time.Duration {
	t.Helper()
	var waits []time.Duration
	old := sleep
	sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	t.Cleanup(func() { sleep = old })
	return &waits
}

// startFake serves f and returns a client of it with a token; waits are recorded, not slept.
func startFake(t *testing.T, f *apitest.FakeAPI) (*Remote, *[]time.Duration) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	t.Setenv("CASEWORK_API_URL", srv.URL)
	t.Setenv("CASEWORK_TOKEN", "cw_test")
	waits := recordWaits(t)
	r, err := NewRemote("", "", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return r, waits
}

func TestNewRemoteSettings(t *testing.T) {
	t.Setenv("CASEWORK_API_URL", "")
	t.Setenv("CASEWORK_TOKEN", "")
	if _, err := NewRemote("", "", io.Discard); !errors.Is(err, errNoToken) || !strings.Contains(err.Error(), "agent token issue --agent") {
		t.Errorf("no token: %v, want the hint", err)
	}
	t.Setenv("CASEWORK_TOKEN", "cw_a b")
	if _, err := NewRemote("", "", io.Discard); err == nil {
		t.Error("a token with a space accepted")
	}
	t.Setenv("CASEWORK_TOKEN", "cw_test")
	r, err := NewRemote("", "", io.Discard)
	if err != nil || r.base != DefaultAPIURL {
		t.Errorf("default: %v %v", r, err)
	}
	if _, err := NewRemote("ftp://x", "", io.Discard); err == nil {
		t.Error("ftp accepted")
	}
	var log bytes.Buffer
	if _, err := NewRemote("http://api.example.com/", "", &log); err != nil || !strings.Contains(log.String(), "without TLS") {
		t.Errorf("plain HTTP to another host: %v, warned %q", err, log.String())
	}
}

func TestTokenFileIsTrimmedAndSent(t *testing.T) {
	f := &apitest.FakeAPI{Answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		apitest.WriteJSON(w, 200, map[string]any{"agentId": "p1", "tasks": []any{}})
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	t.Setenv("CASEWORK_TOKEN", "")
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("  cw_fromfile\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := NewRemote(srv.URL, file, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Inbox(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if got := f.Sent("/v1/inbox"); len(got) != 1 || got[0].Auth != "Bearer cw_fromfile" || got[0].Query != "" {
		t.Errorf("sent %+v", got)
	}
}

// An action is retried on 503 with the same idempotency key (the caller's, or a fresh one
// when it gives none), waiting what the server asks up to the cap.
func TestActRetriedWithTheSameKey(t *testing.T) {
	calls := 0
	f := &apitest.FakeAPI{Answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		calls++
		if calls <= 2 {
			w.Header().Set("Retry-After", "30")
			apitest.WriteJSON(w, 503, map[string]any{"error": "case-A1 did not answer"})
			return
		}
		apitest.WriteJSON(w, 200, map[string]any{"accepted": true, "message": "paused", "stage": "phone-verify", "paused": true})
	}}
	r, waits := startFake(t, f)
	ctx := context.Background()
	payload := []byte(`{"by":"p1","reason":"review"}`)
	res, err := r.Act(ctx, "case-A1", contract.ActionPause, "", payload)
	if err != nil || !res.Accepted || res.Message != "paused" || res.Stage != contract.StagePhoneVerify || !res.Paused {
		t.Fatalf("res %+v err %v", res, err)
	}
	sent := f.Sent("/v1/cases/case-A1/actions/pause")
	if len(sent) != 3 || sent[0].Key == "" || sent[0].Key != sent[1].Key || sent[1].Key != sent[2].Key || !bytes.Equal(sent[2].Body, payload) {
		t.Fatalf("sent %d times with keys %v", len(sent), sent)
	}
	if len(*waits) != 2 || (*waits)[0] != maxRetryAfter {
		t.Errorf("waited %v, want twice the cap", *waits)
	}
	// another action: another key; the caller's key is the key
	if _, err := r.Act(ctx, "case-A1", contract.ActionPause, "", payload); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Act(ctx, "case-A1", contract.ActionPause, "mine-1", payload); err != nil {
		t.Fatal(err)
	}
	if sent := f.Sent("/v1/cases/case-A1/actions/pause"); sent[3].Key == sent[0].Key || sent[4].Key != "mine-1" {
		t.Errorf("keys %q %q %q", sent[0].Key, sent[3].Key, sent[4].Key)
	}
}

func TestActGivesUpAfterThreeRetries(t *testing.T) {
	f := &apitest.FakeAPI{Answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		apitest.WriteJSON(w, 503, map[string]any{"error": "case-A1 did not answer"})
	}}
	r, waits := startFake(t, f)
	_, err := r.Act(context.Background(), "case-A1", contract.ActionPause, "", []byte(`{}`))
	var api *APIError
	if !errors.As(err, &api) || api.Status != 503 || !strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("err = %v", err)
	}
	if n := len(f.Sent("/v1/cases/case-A1/actions/pause")); n != 1+retries || len(*waits) != retries {
		t.Errorf("sent %d times, waited %v", n, *waits)
	}
}

func TestActOverAConnectionThatFails(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	t.Setenv("CASEWORK_TOKEN", "cw_test")
	waits := recordWaits(t)
	r, err := NewRemote(url, "", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Act(context.Background(), "case-A1", contract.ActionPause, "", []byte(`{}`))
	var conn *connError
	if !errors.As(err, &conn) || len(*waits) != retries {
		t.Errorf("err %v after waits %v; want a connection error after %d retries", err, *waits, retries)
	}
}

// A 422 is a *Refused with the API's message and fields, not retried; a 404 wraps
// ErrNoCase and keeps the API's message; a 403 stays an *APIError.
func TestActRefusedOrNoCase(t *testing.T) {
	code := 422
	f := &apitest.FakeAPI{Answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		switch code {
		case 422:
			apitest.WriteJSON(w, 422, map[string]any{"error": "pause rejected", "fields": []map[string]string{{"field": "by", "reason": "p1 is not a supervisor"}}})
		case 404:
			apitest.WriteJSON(w, 404, map[string]any{"error": "no case case-A1 among the cases of p1"})
		default:
			apitest.WriteJSON(w, code, map[string]any{"error": "p1 may only send pause in their own name"})
		}
	}}
	r, _ := startFake(t, f)
	ctx := context.Background()
	_, err := r.Act(ctx, "case-A1", contract.ActionPause, "", []byte(`{}`))
	var refused *Refused
	var ve *contract.ValidationError
	if !errors.As(err, &refused) || refused.Message != "pause rejected" || !errors.As(err, &ve) || ve.Action != contract.ActionPause ||
		len(ve.Fields) != 1 || ve.Fields[0].Field != "by" || ve.Fields[0].Reason != "p1 is not a supervisor" {
		t.Fatalf("422: %#v", err)
	}
	if n := len(f.Sent("/v1/cases/case-A1/actions/pause")); n != 1 {
		t.Errorf("a refusal sent %d times", n)
	}

	code = 404
	_, err = r.Act(ctx, "case-A1", contract.ActionPause, "", []byte(`{}`))
	var api *APIError
	if !errors.Is(err, ErrNoCase) || !errors.As(err, &api) || api.Status != 404 || !strings.Contains(err.Error(), "no case case-A1 among the cases of p1") {
		t.Errorf("404: %v", err)
	}
	if _, err := r.Status(ctx, "case-A1"); !errors.Is(err, ErrNoCase) {
		t.Errorf("status 404: %v", err)
	}

	code = 403
	_, err = r.Act(ctx, "case-A1", contract.ActionPause, "", []byte(`{}`))
	if !errors.As(err, &api) || api.Status != 403 || errors.Is(err, ErrNoCase) || errors.As(err, &refused) {
		t.Errorf("403: %v", err)
	}
}

func TestStatusAndInbox(t *testing.T) {
	f := &apitest.FakeAPI{Answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		switch r.URL.Path {
		case "/v1/cases/case-A1":
			apitest.WriteJSON(w, 200, contract.Status{CaseID: "case-A1", Stage: contract.StageVisit})
		case "/v1/inbox":
			apitest.WriteJSON(w, 200, map[string]any{"agentId": "f1", "tasks": []contract.Task{{CaseID: "case-A1", Action: contract.ActionVisitReport}}})
		default:
			apitest.WriteJSON(w, 404, map[string]any{"error": "no such route"})
		}
	}}
	r, _ := startFake(t, f)
	ctx := context.Background()
	st, err := r.Status(ctx, "case-A1")
	if err != nil || st.CaseID != "case-A1" || st.Stage != contract.StageVisit {
		t.Errorf("status %+v %v", st, err)
	}
	tasks, err := r.Inbox(ctx, "f1")
	if err != nil || len(tasks) != 1 || tasks[0].Action != contract.ActionVisitReport {
		t.Errorf("inbox %+v %v", tasks, err)
	}
	if got := f.Sent("/v1/inbox"); len(got) != 1 || got[0].Query != "agent=f1" {
		t.Errorf("inbox sent %+v", got)
	}
}

// A write without a key is not sent again after a 503 (it may have been applied); a 429
// is, since it was refused before it was handled.
func TestWriteNotRetriedUnlessRefusedBeforeHandling(t *testing.T) {
	code := 503
	f := &apitest.FakeAPI{Answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if code != 0 {
			w.Header().Set("Retry-After", "1")
			apitest.WriteJSON(w, code, map[string]any{"error": "busy"})
			code = 0
			return
		}
		apitest.WriteJSON(w, 201, map[string]any{"agentId": "p2", "token": "cw_new", "expiresAt": time.Now().Add(time.Hour)})
	}}
	r, _ := startFake(t, f)
	ctx := context.Background()
	if _, err := r.IssueToken(ctx, "p2", ""); err == nil {
		t.Fatal("a 503 on issuing a token was retried")
	}
	code = 429
	if tok, err := r.IssueToken(ctx, "p2", ""); err != nil || tok.Token != "cw_new" || tok.AgentID != "p2" {
		t.Fatalf("after a 429: %+v %v", tok, err)
	}
	if n := len(f.Sent("/v1/tokens")); n != 3 {
		t.Errorf("sent %d times, want 1 + 2", n)
	}
}

// A new address or phone is recorded through the case's recorder, retried (the API
// answers the same id for the same text).
func TestRecordNewContacts(t *testing.T) {
	fails := 1
	f := &apitest.FakeAPI{Answer: func(w http.ResponseWriter, r *http.Request, _ []byte) {
		switch r.URL.Path {
		case "/v1/cases/case-A1/addresses":
			if fails > 0 {
				fails--
				apitest.WriteJSON(w, 503, map[string]any{"error": "busy"})
				return
			}
			apitest.WriteJSON(w, 201, map[string]string{"addressId": "ADDR-9"})
		case "/v1/cases/case-A1/phones":
			apitest.WriteJSON(w, 201, map[string]string{"phoneId": "PH-3"})
		default:
			apitest.WriteJSON(w, 200, map[string]string{})
		}
	}}
	r, _ := startFake(t, f)
	ctx := context.Background()
	record := r.Record("case-A1")
	if id, err := record(ctx, contract.KindAddress, "No. 9 Road"); err != nil || id != "ADDR-9" {
		t.Fatalf("address: %q %v", id, err)
	}
	rec := f.Sent("/v1/cases/case-A1/addresses")
	if len(rec) != 2 || string(bytes.TrimSpace(rec[1].Body)) != `{"address":"No. 9 Road"}` {
		t.Errorf("recorded %d times: %s", len(rec), rec[len(rec)-1].Body)
	}
	if id, err := record(ctx, contract.KindPhone, "+886 900 555123"); err != nil || id != "PH-3" {
		t.Fatalf("phone: %q %v", id, err)
	}
	if rec := f.Sent("/v1/cases/case-A1/phones"); len(rec) != 1 || string(bytes.TrimSpace(rec[0].Body)) != `{"number":"+886 900 555123"}` {
		t.Errorf("phone recorded as %+v", rec)
	}
	if _, err := record(ctx, contract.KindText, "x"); err == nil {
		t.Error("a text recorded as a contact")
	}
	if _, err := r.Record("case-B2")(ctx, contract.KindPhone, "1"); err == nil || !strings.Contains(err.Error(), "phoneId") {
		t.Errorf("an answer without the id: %v", err)
	}
}

func TestMeAskedOnce(t *testing.T) {
	f := &apitest.FakeAPI{}
	r, _ := startFake(t, f)
	for range 2 {
		if m, err := r.Me(context.Background()); err != nil || m.AgentID != "p1" || m.Role != "phone" {
			t.Fatalf("me %+v %v", m, err)
		}
	}
	if n := len(f.Sent("/v1/me")); n != 1 {
		t.Errorf("asked %d times", n)
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
