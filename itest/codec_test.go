//go:build integration

package itest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/casework/casework/codec"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/httpapi"
)

// rawClient reads Temporal as someone holding only Temporal credentials would: without
// the payload keys.
func rawClient(t *testing.T) client.Client {
	t.Helper()
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	opts.DataConverter = converter.GetDefaultDataConverter()
	c, err := client.Dial(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// rawHistory exports a case's history as Temporal stores it, and its payloads.
func rawHistory(t *testing.T, caseID string) ([]byte, []*commonpb.Payload) {
	t.Helper()
	var raw []byte
	var payloads []*commonpb.Payload
	it := rawClient(t).GetWorkflowHistory(context.Background(), caseID, "", false, 0)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		b, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, b...)
		collectPayloads(ev.ProtoReflect(), &payloads)
	}
	return raw, payloads
}

// Free text and personal data never reach Temporal in the clear: a case's history,
// exported raw, holds neither the note an agent wrote nor the debtor's name, phone or
// address, and its payloads are encrypted with the key id named.
func TestPayloadsAreEncryptedInTemporal(t *testing.T) {
	need(t)
	account := newAccount(t)
	caseID := startCase(t, account)
	note := "NOTE-" + stack.run + "-the debtor's sister answered"
	st := waitPending(t, caseID, contract.ActionPhoneVerified)
	mustUpdate(t, caseID, contract.ActionPhoneVerified, contract.PhoneVerified{AgentID: st.Pending.Assignees[0], CalledAt: nowRFC(),
		Outcome: contract.PhoneWrongParty, Note: note})
	// refused once in history (a stranger's address): the failure's message is encrypted too
	stranger := addressOf(t, newAccount(t))
	if err := update(t, caseID, contract.ActionPhoneVerified, contract.PhoneVerified{AgentID: st.Pending.Assignees[0], CalledAt: nowRFC(),
		Outcome: contract.PhoneAddressChanged, AddressID: stranger}); err == nil || !strings.Contains(err.Error(), stranger) {
		t.Fatalf("a stranger's address: %v, want refused naming it (the client decodes the failure)", err)
	}
	mustUpdate(t, caseID, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "test over: " + note})
	result(t, caseID)

	raw, payloads := rawHistory(t, caseID)
	if strings.Contains(string(raw), stranger) {
		t.Errorf("the raw history holds the refused address id %s (a failure message in the clear)", stranger)
	}
	for _, secret := range []string{note, "NOTE-" + stack.run, "Synthetic Person " + account, "+886 900 000001", "Synthetic Lane"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the raw history holds %q", secret)
		}
	}
	keys, err := codec.LoadKeys()
	if err != nil {
		t.Fatal(err)
	}
	var encrypted, clear int
	for _, p := range payloads {
		switch string(p.GetMetadata()[converter.MetadataEncoding]) {
		case codec.MetadataEncodingEncrypted:
			encrypted++
			if id := string(p.GetMetadata()[codec.MetadataEncryptionKeyID]); id != keys.EncryptingKeyID() {
				t.Errorf("payload encrypted with key %q, want %q", id, keys.EncryptingKeyID())
			}
		default:
			clear++
		}
	}
	if encrypted < 5 || clear > 0 {
		t.Errorf("payloads: %d encrypted, %d in the clear; want every one encrypted", encrypted, clear)
	}
	tracingHeaderOnly(t, caseID)
}

// The codec server decodes for operations only: without the credential nothing; with it
// (the CLI's bearer, or the browser session of /codec/login) the payloads of a real case
// come back readable; the Web UI's origin may call it, another may not.
func TestCodecServerDecodesForOperationsOnly(t *testing.T) {
	need(t)
	keys, err := codec.LoadKeys()
	if err != nil {
		t.Fatal(err)
	}
	const secret = "itest-operations-credential"
	const ui = "http://127.0.0.1:8233"
	ops := httpapi.NewOpsAuth(secret, false)
	api := &httpapi.Server{DB: stack.db, TC: stack.tc, Codec: codec.Handler(keys, ops.Authorize, []string{ui}), Ops: ops}
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()

	account := newAccount(t)
	caseID := startCase(t, account)
	waitPending(t, caseID, contract.ActionPhoneVerified)
	mustUpdate(t, caseID, contract.ActionClose, contract.SupervisorAction{By: "sup-1", Reason: "decode me " + stack.run})
	result(t, caseID)
	_, payloads := rawHistory(t, caseID)
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: payloads})
	if err != nil {
		t.Fatal(err)
	}
	decode := func(c *http.Client, auth, origin string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/codec/decode", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String(), resp.Header
	}
	if code, _, _ := decode(http.DefaultClient, "", ""); code != http.StatusUnauthorized {
		t.Errorf("decode without a credential: %d, want 401", code)
	}
	if code, _, _ := decode(http.DefaultClient, "Bearer guess", ""); code != http.StatusUnauthorized {
		t.Errorf("decode with a wrong credential: %d, want 401", code)
	}
	code, out, _ := decode(http.DefaultClient, "Bearer "+secret, "")
	if code != http.StatusOK || strings.Contains(out, codec.MetadataEncodingEncrypted) {
		t.Fatalf("decode with the credential: %d, still encrypted: %t", code, strings.Contains(out, codec.MetadataEncodingEncrypted))
	}
	var decoded commonpb.Payloads
	if err := protojson.Unmarshal([]byte(out), &decoded); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, p := range decoded.GetPayloads() {
		found = found || strings.Contains(string(p.GetData()), "decode me "+stack.run)
	}
	if !found {
		t.Error("the decoded payloads do not hold the supervisor's reason")
	}

	// a browser: the wrong credential at the sign-in page, then the right one; the session
	// cookie decodes, for the Web UI's origin
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	for _, tc := range []struct {
		secret string
		code   int
	}{{"guess", http.StatusUnauthorized}, {secret, http.StatusOK}} {
		resp, err := browser.PostForm(srv.URL+"/codec/login", url.Values{"secret": {tc.secret}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("sign in with %q: %d, want %d", tc.secret, resp.StatusCode, tc.code)
		}
	}
	var throttled bool // guessing the credential at the sign-in page is slowed down
	for range 12 {
		resp, err := http.PostForm(srv.URL+"/codec/login", url.Values{"secret": {"guess"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		throttled = throttled || resp.StatusCode == http.StatusTooManyRequests
	}
	if !throttled {
		t.Error("12 sign-in attempts in a row: never slowed down (429)")
	}
	code, _, h := decode(browser, "", ui)
	if code != http.StatusOK || h.Get("Access-Control-Allow-Origin") != ui {
		t.Errorf("decode with the session from the UI's origin: %d, allow-origin %q", code, h.Get("Access-Control-Allow-Origin"))
	}
	if _, _, h := decode(browser, "", "http://evil.example"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("another origin may read the answers: %q", h.Get("Access-Control-Allow-Origin"))
	}
	for _, c := range jar.Cookies(mustURL(t, srv.URL+"/codec/")) {
		if c.Name == "cw_ops" && c.Value == "" {
			t.Error("empty session cookie")
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// collectPayloads gathers every Payload inside a message, however deep, but for search
// attributes: Temporal indexes those, so they stay readable (and carry ids, stages and
// amounts only).
func collectPayloads(m protoreflect.Message, out *[]*commonpb.Payload) {
	switch p := m.Interface().(type) {
	case *commonpb.Payload:
		*out = append(*out, p)
		return
	case *commonpb.SearchAttributes:
		return
	case *commonpb.Header:
		// the tracing interceptor's header carries the W3C trace context, in the clear
		// (it is not the client's data converter's): checked apart, by tracingHeaderOnly
		for k, hp := range p.GetFields() {
			if k != tracingHeader {
				*out = append(*out, hp)
			}
		}
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Kind() == protoreflect.MessageKind:
			for i := 0; i < v.List().Len(); i++ {
				collectPayloads(v.List().Get(i).Message(), out)
			}
		case fd.IsMap() && fd.MapValue().Kind() == protoreflect.MessageKind:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				collectPayloads(mv.Message(), out)
				return true
			})
		case !fd.IsList() && !fd.IsMap() && fd.Kind() == protoreflect.MessageKind:
			collectPayloads(v.Message(), out)
		}
		return true
	})
}

// tracingHeader is the header the SDK's OpenTelemetry interceptor writes.
const tracingHeader = "_tracer-data"

// tracingHeaderOnly checks that the clear header the tracing interceptor adds to a case's
// start and updates holds the W3C trace context and nothing else.
func tracingHeaderOnly(t *testing.T, caseID string) {
	t.Helper()
	it := rawClient(t).GetWorkflowHistory(context.Background(), caseID, "", false, 0)
	seen := 0
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		var headers []*commonpb.Header
		findHeaders(ev.ProtoReflect(), &headers)
		for _, h := range headers {
			p, ok := h.GetFields()[tracingHeader]
			if !ok {
				continue
			}
			seen++
			var carrier map[string]string
			if err := json.Unmarshal(p.GetData(), &carrier); err != nil {
				t.Fatalf("the tracing header is not the trace context: %v: %q", err, p.GetData())
			}
			for k := range carrier {
				if k != "traceparent" && k != "tracestate" {
					t.Errorf("the tracing header holds %q: %q", k, p.GetData())
				}
			}
		}
	}
	if seen == 0 {
		t.Error("no tracing header in the case's history: the test's programs trace (itest/trace_test.go)")
	}
}

func findHeaders(m protoreflect.Message, out *[]*commonpb.Header) {
	if h, ok := m.Interface().(*commonpb.Header); ok {
		*out = append(*out, h)
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Kind() == protoreflect.MessageKind:
			for i := 0; i < v.List().Len(); i++ {
				findHeaders(v.List().Get(i).Message(), out)
			}
		case !fd.IsList() && !fd.IsMap() && fd.Kind() == protoreflect.MessageKind:
			findHeaders(v.Message(), out)
		}
		return true
	})
}
