package codec

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

type caseNote struct {
	CaseID string
	Note   string
}

const secretNote = "patient disclosed the confidential diagnosis to the caseworker"

// newKey returns a fresh "id:base64" entry.
func newKey(t testing.TB, id string) string {
	t.Helper()
	e, err := GenerateKey(id)
	if err != nil {
		t.Fatalf("GenerateKey(%q): %v", id, err)
	}
	return e
}

func mustParse(t testing.TB, entries ...string) *Keyring {
	t.Helper()
	k, err := ParseKeys(strings.Join(entries, ","))
	if err != nil {
		t.Fatalf("ParseKeys: %v", err)
	}
	return k
}

func encodeOne(t testing.TB, c *PayloadCodec, p *commonpb.Payload) *commonpb.Payload {
	t.Helper()
	out, err := c.Encode([]*commonpb.Payload{p})
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if len(out) != 1 {
		t.Fatalf("Encode returned %d payloads, want 1", len(out))
	}
	return out[0]
}

func plainPayload(t testing.TB, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		t.Fatalf("ToPayload: %v", err)
	}
	return p
}

func TestRoundTripThroughDataConverter(t *testing.T) {
	k := mustParse(t, newKey(t, "k1"))
	dc := NewDataConverter(k)
	in := caseNote{CaseID: "C-42", Note: secretNote}

	p, err := dc.ToPayload(in)
	if err != nil {
		t.Fatalf("ToPayload: %v", err)
	}
	if got := string(p.Metadata[converter.MetadataEncoding]); got != MetadataEncodingEncrypted {
		t.Errorf("encoding metadata = %q, want %q", got, MetadataEncodingEncrypted)
	}
	if got := string(p.Metadata[MetadataEncryptionKeyID]); got != "k1" {
		t.Errorf("key id metadata = %q, want k1", got)
	}
	if len(p.Metadata) != 2 {
		t.Errorf("metadata has %d entries, want only encoding and key id: %v", len(p.Metadata), p.Metadata)
	}
	for _, leak := range []string{secretNote, "confidential", "C-42", "json/plain"} {
		if bytes.Contains(p.Data, []byte(leak)) {
			t.Errorf("encrypted payload data contains %q", leak)
		}
	}

	var out caseNote
	if err := dc.FromPayload(p, &out); err != nil {
		t.Fatalf("FromPayload: %v", err)
	}
	if out != in {
		t.Errorf("round trip = %+v, want %+v", out, in)
	}

	// Multi-value path (workflow and activity arguments).
	ps, err := dc.ToPayloads(in, "second", 3)
	if err != nil {
		t.Fatalf("ToPayloads: %v", err)
	}
	var (
		a caseNote
		b string
		c int
	)
	if err := dc.FromPayloads(ps, &a, &b, &c); err != nil {
		t.Fatalf("FromPayloads: %v", err)
	}
	if a != in || b != "second" || c != 3 {
		t.Errorf("FromPayloads = %+v, %q, %d", a, b, c)
	}
	if s := dc.ToString(p); !strings.Contains(s, secretNote) {
		t.Errorf("ToString = %q, want the decrypted note", s)
	}
}

// TestWireFormat checks the format independently of this package's AEAD
// setup: data is a 12-byte nonce followed by AES-256-GCM ciphertext of the
// proto-marshalled original payload, with the key id as additional data.
func TestWireFormat(t *testing.T) {
	entry := newKey(t, "2026-11")
	k := mustParse(t, entry)
	orig := plainPayload(t, caseNote{Note: secretNote})
	enc := encodeOne(t, NewPayloadCodec(k), orig)

	raw, err := base64.StdEncoding.DecodeString(strings.SplitN(entry, ":", 2)[1])
	if err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc.Data) < 12+16 {
		t.Fatalf("data is %d bytes", len(enc.Data))
	}
	plain, err := gcm.Open(nil, enc.Data[:12], enc.Data[12:], []byte("2026-11"))
	if err != nil {
		t.Fatalf("standard AES-GCM open with nonce prefix and key-id AAD: %v", err)
	}
	var got commonpb.Payload
	if err := proto.Unmarshal(plain, &got); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&got, orig) {
		t.Errorf("decrypted payload = %v, want %v", &got, orig)
	}
	if _, err := gcm.Open(nil, enc.Data[:12], enc.Data[12:], nil); err == nil {
		t.Error("ciphertext opens without the key id as AAD; want it bound")
	}

	// Two encodings of the same payload differ (fresh nonce each time).
	enc2 := encodeOne(t, NewPayloadCodec(k), orig)
	if bytes.Equal(enc.Data, enc2.Data) {
		t.Error("two encodings are identical; nonce reused")
	}
}

func TestEncodeDoesNotDoubleEncryptOrMutate(t *testing.T) {
	c := NewPayloadCodec(mustParse(t, newKey(t, "k1")))
	orig := plainPayload(t, "hello")
	before := proto.Clone(orig)

	once := encodeOne(t, c, orig)
	if !proto.Equal(orig, before) {
		t.Error("Encode modified its input payload")
	}
	twice := encodeOne(t, c, once)
	if twice != once {
		t.Error("Encode re-encrypted an already-encrypted payload")
	}
	dec, err := c.Decode([]*commonpb.Payload{twice, nil})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if !proto.Equal(dec[0], orig) {
		t.Errorf("Decode = %v, want %v", dec[0], orig)
	}
	if dec[1] != nil {
		t.Errorf("nil payload decoded to %v", dec[1])
	}
}

func TestRotation(t *testing.T) {
	k1, k2 := newKey(t, "k1"), newKey(t, "k2")
	only1 := mustParse(t, k1)
	both := mustParse(t, k1, k2)
	only2 := mustParse(t, k2)
	decryptOnly2 := mustParse(t, k2, k1) // phase one of a rotation

	orig := plainPayload(t, caseNote{Note: secretNote})
	fromK1 := encodeOne(t, NewPayloadCodec(only1), orig)
	if got := string(fromK1.Metadata[MetadataEncryptionKeyID]); got != "k1" {
		t.Fatalf("[k1] encrypted with %q", got)
	}
	fromBoth := encodeOne(t, NewPayloadCodec(both), orig)
	if got := string(fromBoth.Metadata[MetadataEncryptionKeyID]); got != "k2" {
		t.Errorf("[k1,k2] encrypted with %q, want k2 (the last listed)", got)
	}
	if got := both.EncryptingKeyID(); got != "k2" {
		t.Errorf("EncryptingKeyID = %q, want k2", got)
	}
	if got := decryptOnly2.EncryptingKeyID(); got != "k1" {
		t.Errorf("[k2,k1] EncryptingKeyID = %q, want k1", got)
	}

	tests := []struct {
		name    string
		keys    *Keyring
		payload *commonpb.Payload
		wantErr string // empty: must decode to orig
	}{
		{"k1 payload, keyring [k1]", only1, fromK1, ""},
		{"k1 payload, keyring [k1,k2]", both, fromK1, ""},
		{"k2 payload, keyring [k1,k2]", both, fromBoth, ""},
		{"k2 payload, keyring [k2,k1]", decryptOnly2, fromBoth, ""},
		{"k2 payload, keyring [k2]", only2, fromBoth, ""},
		{"k1 payload, keyring [k2]", only2, fromK1, `key "k1"`},
		{"k2 payload, keyring [k1]", only1, fromBoth, `key "k2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := NewPayloadCodec(tt.keys).Decode([]*commonpb.Payload{tt.payload})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if !proto.Equal(out[0], orig) {
					t.Fatalf("Decode = %v, want %v", out[0], orig)
				}
				return
			}
			if err == nil {
				t.Fatal("Decode succeeded, want an unknown-key error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "does not hold") {
				t.Errorf("error %q does not name %s", err, tt.wantErr)
			}
			if id, ok := IsUnknownKey(err); !ok || !strings.Contains(tt.wantErr, id) {
				t.Errorf("IsUnknownKey(%v) = %q, %v", err, id, ok)
			}
			if _, ok := errors.AsType[*converter.WorkflowTaskFailureError](err); !ok {
				t.Errorf("unknown-key error %v is not a WorkflowTaskFailureError; a worker missing a key would fail executions", err)
			}
		})
	}

	// Through the data converter, as a worker sees it.
	var n caseNote
	err := NewDataConverter(only2).FromPayload(fromK1, &n)
	if err == nil || !strings.Contains(err.Error(), `"k1"`) {
		t.Errorf("data converter with [k2] on a k1 payload: err = %v, want one naming k1", err)
	}
}

func TestTampering(t *testing.T) {
	k := mustParse(t, newKey(t, "k1"), newKey(t, "k2"))
	c := NewPayloadCodec(k)
	enc := encodeOne(t, c, plainPayload(t, caseNote{Note: secretNote}))
	if string(enc.Metadata[MetadataEncryptionKeyID]) != "k2" {
		t.Fatal("expected k2 to encrypt")
	}

	mutate := func(f func(p *commonpb.Payload)) *commonpb.Payload {
		p := proto.Clone(enc).(*commonpb.Payload)
		f(p)
		return p
	}
	tests := []struct {
		name    string
		payload *commonpb.Payload
		wantErr string
	}{
		{"flip first nonce byte", mutate(func(p *commonpb.Payload) { p.Data[0] ^= 1 }), "authentication"},
		{"flip ciphertext byte", mutate(func(p *commonpb.Payload) { p.Data[12] ^= 0x80 }), "authentication"},
		{"flip last tag byte", mutate(func(p *commonpb.Payload) { p.Data[len(p.Data)-1] ^= 1 }), "authentication"},
		{"truncate", mutate(func(p *commonpb.Payload) { p.Data = p.Data[:len(p.Data)-1] }), "authentication"},
		{"shorter than nonce+tag", mutate(func(p *commonpb.Payload) { p.Data = p.Data[:27] }), "truncated"},
		{"empty data", mutate(func(p *commonpb.Payload) { p.Data = nil }), "truncated"},
		{"key id swapped to another held key", mutate(func(p *commonpb.Payload) {
			p.Metadata[MetadataEncryptionKeyID] = []byte("k1")
		}), `key "k1"`},
		{"key id swapped to unknown key", mutate(func(p *commonpb.Payload) {
			p.Metadata[MetadataEncryptionKeyID] = []byte("k9")
		}), `key "k9", which this keyring does not hold`},
		{"key id missing", mutate(func(p *commonpb.Payload) {
			delete(p.Metadata, MetadataEncryptionKeyID)
		}), MetadataEncryptionKeyID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.Decode([]*commonpb.Payload{tt.payload})
			if err == nil {
				t.Fatalf("Decode of tampered payload succeeded: %v", out)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}

	// The untouched original still decodes (the mutations above were on clones).
	if _, err := c.Decode([]*commonpb.Payload{enc}); err != nil {
		t.Fatalf("original no longer decodes: %v", err)
	}
}

func TestDecodePassesThroughUnencrypted(t *testing.T) {
	c := NewPayloadCodec(mustParse(t, newKey(t, "k1")))
	dc := converter.GetDefaultDataConverter()
	ps, err := dc.ToPayloads(caseNote{Note: "old"}, "plain string", []byte{1, 2, 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	zlibbed, err := converter.NewZlibCodec(converter.ZlibCodecOptions{AlwaysEncode: true}).
		Encode([]*commonpb.Payload{plainPayload(t, "z")})
	if err != nil {
		t.Fatal(err)
	}
	in := append(ps.Payloads,
		zlibbed[0],
		&commonpb.Payload{Data: []byte("no metadata at all")},
		nil,
	)

	out, err := c.Decode(in)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(out) != len(in) {
		t.Fatalf("Decode returned %d payloads, want %d", len(out), len(in))
	}
	for i := range in {
		if out[i] != in[i] {
			t.Errorf("payload %d (%s) was changed by Decode", i, in[i].GetMetadata()[converter.MetadataEncoding])
		}
	}

	// A recorded plaintext history still decodes through the data converter.
	var n caseNote
	if err := NewDataConverter(mustParse(t, newKey(t, "k1"))).FromPayload(ps.Payloads[0], &n); err != nil || n.Note != "old" {
		t.Errorf("plaintext through the encrypting data converter: %+v, %v", n, err)
	}
}

func TestDecodeMixedBatchFailsWhole(t *testing.T) {
	c := NewPayloadCodec(mustParse(t, newKey(t, "k1")))
	good := encodeOne(t, c, plainPayload(t, "a"))
	bad := proto.Clone(good).(*commonpb.Payload)
	bad.Data[20] ^= 1
	if _, err := c.Decode([]*commonpb.Payload{good, bad}); err == nil {
		t.Error("a batch with one tampered payload decoded without error")
	}
}

func TestParseKeys(t *testing.T) {
	k1, k2 := newKey(t, "k1"), newKey(t, "2026-11")
	b64 := strings.SplitN(k1, ":", 2)[1]
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))

	good := []struct {
		name    string
		in      string
		wantIDs []string
	}{
		{"single", k1, []string{"k1"}},
		{"comma", k1 + "," + k2, []string{"k1", "2026-11"}},
		{"newlines, blanks, comments, spaces", "# keys\n " + k2 + " \n\n" + k1 + ",\n", []string{"2026-11", "k1"}},
		{"crlf", k1 + "\r\n" + k2 + "\r\n", []string{"k1", "2026-11"}},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseKeys(tt.in)
			if err != nil {
				t.Fatalf("ParseKeys: %v", err)
			}
			if got := strings.Join(k.KeyIDs(), ","); got != strings.Join(tt.wantIDs, ",") {
				t.Errorf("ids = %s, want %v", got, tt.wantIDs)
			}
			if got := k.EncryptingKeyID(); got != tt.wantIDs[len(tt.wantIDs)-1] {
				t.Errorf("EncryptingKeyID = %q", got)
			}
			if s := k.String() + k.GoString(); strings.Contains(s, b64) {
				t.Error("String leaks key material")
			}
		})
	}

	bad := []struct {
		name string
		in   string
		want []string // all must appear in the error
	}{
		{"empty", "", []string{"empty key list"}},
		{"only separators and comments", " ,\n# nothing\n,", []string{"empty key list"}},
		{"no colon", k1 + "," + b64, []string{"entry 2", "no ':'"}},
		{"empty id", ":" + b64, []string{"entry 1", "empty key id"}},
		{"bad id char", k1 + ",k 2:" + b64, []string{"entry 2", `"k 2"`}},
		{"slash in id", "a/b:" + b64, []string{"entry 1", `"a/b"`}},
		{"id too long", strings.Repeat("x", 33) + ":" + b64, []string{"entry 1", "longer than 32"}},
		{"duplicate id", k1 + "\n" + "k1:" + b64, []string{"entry 2", `duplicate key id "k1"`}},
		{"not base64", k1 + ",k2:not*base64!", []string{"entry 2", `"k2"`, "base64"}},
		{"url-safe base64", "k1:" + strings.NewReplacer("+", "-", "/", "_").Replace(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb, 0xff}, 16))), []string{"entry 1", `"k1"`, "base64"}},
		{"16-byte key", "k1:" + short, []string{"entry 1", `"k1"`, "16 bytes", "want 32"}},
		{"empty key", "k1:", []string{"entry 1", `"k1"`, "0 bytes"}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParseKeys(tt.in)
			if err == nil {
				t.Fatalf("ParseKeys(%q) = %v, want error", tt.in, k)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), b64) {
				t.Errorf("error %q leaks key material", err)
			}
		})
	}
}

func TestGenerateKey(t *testing.T) {
	a, b := newKey(t, "k1"), newKey(t, "k1")
	if a == b {
		t.Error("two generated keys are equal")
	}
	if _, err := ParseKeys(a); err != nil {
		t.Errorf("generated entry does not parse: %v", err)
	}
	for _, id := range []string{"", "has space", "k:1", strings.Repeat("a", 33)} {
		if e, err := GenerateKey(id); err == nil {
			t.Errorf("GenerateKey(%q) = %q, want error", id, e)
		}
	}
}

func TestLoadKeys(t *testing.T) {
	k1, k2 := newKey(t, "k1"), newKey(t, "k2")
	file := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(file, []byte("# casework codec keys\n"+k1+"\n"+k2+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, env, file string
		wantEnc         string
		wantErr         string
	}{
		{name: "env", env: k1, wantEnc: "k1"},
		{name: "file", file: file, wantEnc: "k2"},
		{name: "file wins over env", env: k1, file: file, wantEnc: "k2"},
		{name: "neither", wantErr: EnvKeys},
		{name: "missing file", file: file + ".nope", wantErr: EnvKeysFile},
		{name: "bad env", env: "k1:xx", wantErr: EnvKeys + ": codec: key entry 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvKeys, tt.env)
			t.Setenv(EnvKeysFile, tt.file)
			k, err := LoadKeys()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadKeys() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadKeys: %v", err)
			}
			if got := k.EncryptingKeyID(); got != tt.wantEnc {
				t.Errorf("EncryptingKeyID = %q, want %q", got, tt.wantEnc)
			}
		})
	}
}

// ---- codec server ----

const (
	testToken  = "s3cret-token"
	testOrigin = "https://temporal-ui.casework.example"
)

func newTestServer(t *testing.T, k *Keyring) http.Handler {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/codec/", http.StripPrefix("/codec", Handler(k, BearerToken(testToken), []string{testOrigin + "/"})))
	return mux
}

func payloadsBody(t *testing.T, ps ...*commonpb.Payload) []byte {
	t.Helper()
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: ps})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func do(h http.Handler, method, path string, body []byte, hdr map[string]string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerDecode(t *testing.T) {
	k := mustParse(t, newKey(t, "k1"))
	h := newTestServer(t, k)
	orig := plainPayload(t, caseNote{CaseID: "C-7", Note: secretNote})
	enc := encodeOne(t, NewPayloadCodec(k), orig)
	plain := plainPayload(t, "not encrypted")
	body := payloadsBody(t, enc, plain)

	rec := do(h, http.MethodPost, "/codec/decode", body, map[string]string{
		"Authorization": "Bearer " + testToken,
		"Content-Type":  "application/json",
		"X-Namespace":   "casework",
		"Origin":        testOrigin,
	})
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var got commonpb.Payloads
	if err := protojson.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("response is not protojson Payloads: %v: %s", err, rec.Body)
	}
	if len(got.Payloads) != 2 || !proto.Equal(got.Payloads[0], orig) || !proto.Equal(got.Payloads[1], plain) {
		t.Errorf("decoded = %v, want [%v %v]", got.Payloads, orig, plain)
	}
	if ao := rec.Header().Get("Access-Control-Allow-Origin"); ao != testOrigin {
		t.Errorf("Access-Control-Allow-Origin on POST = %q, want %q", ao, testOrigin)
	}

	// And the same through the SDK's own remote codec client, as the CLI and
	// remote data converters use it.
	srv := httptest.NewServer(h)
	defer srv.Close()
	remote := converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
		Endpoint: srv.URL + "/codec/",
		ModifyRequest: func(r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+testToken)
			return nil
		},
	})
	dec, err := remote.Decode([]*commonpb.Payload{enc})
	if err != nil {
		t.Fatalf("remote Decode: %v", err)
	}
	if !proto.Equal(dec[0], orig) {
		t.Errorf("remote Decode = %v", dec[0])
	}
	reenc, err := remote.Encode([]*commonpb.Payload{orig})
	if err != nil {
		t.Fatalf("remote Encode: %v", err)
	}
	if string(reenc[0].Metadata[MetadataEncryptionKeyID]) != "k1" || bytes.Contains(reenc[0].Data, []byte(secretNote)) {
		t.Errorf("remote Encode = %v, want k1 ciphertext", reenc[0])
	}
	back, err := NewPayloadCodec(k).Decode(reenc)
	if err != nil || !proto.Equal(back[0], orig) {
		t.Errorf("payload encoded by the server does not decode locally: %v, %v", back, err)
	}
}

func TestHandlerAuth(t *testing.T) {
	k := mustParse(t, newKey(t, "k1"))
	h := newTestServer(t, k)
	body := payloadsBody(t, encodeOne(t, NewPayloadCodec(k), plainPayload(t, secretNote)))

	tests := []struct {
		name string
		auth string
		want int
	}{
		{"no header", "", http.StatusUnauthorized},
		{"wrong token", "Bearer nope", http.StatusUnauthorized},
		{"token prefix", "Bearer " + testToken[:5], http.StatusUnauthorized},
		{"token without scheme", testToken, http.StatusUnauthorized},
		{"basic scheme", "Basic " + testToken, http.StatusUnauthorized},
		{"right token", "Bearer " + testToken, http.StatusOK},
		{"scheme case-insensitive", "bearer " + testToken, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{"Origin": testOrigin}
			if tt.auth != "" {
				hdr["Authorization"] = tt.auth
			}
			rec := do(h, http.MethodPost, "/codec/decode", body, hdr)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if tt.want != http.StatusUnauthorized {
				return
			}
			var e struct{ Error string }
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Errorf("401 body %q is not {\"error\": ...}", rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("401 Content-Type = %q", ct)
			}
			if strings.Contains(rec.Body.String(), secretNote) {
				t.Error("401 response contains plaintext")
			}
			// The browser must be able to read the 401 to show it.
			if ao := rec.Header().Get("Access-Control-Allow-Origin"); ao != testOrigin {
				t.Errorf("401 lacks CORS header for allowed origin (got %q)", ao)
			}
		})
	}
}

func TestBearerTokenEmptySecretRefusesAll(t *testing.T) {
	auth := BearerToken("")
	for _, v := range []string{"", "Bearer", "Bearer ", "Bearer  ", "Bearer x"} {
		r := httptest.NewRequest(http.MethodPost, "/decode", nil)
		if v != "" {
			r.Header.Set("Authorization", v)
		}
		if auth(r) {
			t.Errorf("BearerToken(\"\") accepted Authorization %q", v)
		}
	}
	k := mustParse(t, newKey(t, "k1"))
	for name, a := range map[string]Authorizer{"nil": nil, "empty secret": BearerToken("")} {
		rec := do(Handler(k, a, nil), http.MethodPost, "/decode", payloadsBody(t), map[string]string{"Authorization": "Bearer "})
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("%s authorizer: status %d, want 401", name, rec.Code)
		}
	}
}

func TestHandlerCORS(t *testing.T) {
	h := newTestServer(t, mustParse(t, newKey(t, "k1")))

	tests := []struct {
		name       string
		method     string
		path       string
		origin     string
		wantStatus int
		wantCORS   bool
	}{
		{"preflight allowed origin decode", http.MethodOptions, "/codec/decode", testOrigin, http.StatusNoContent, true},
		{"preflight allowed origin encode", http.MethodOptions, "/codec/encode", testOrigin, http.StatusNoContent, true},
		{"preflight other origin", http.MethodOptions, "/codec/decode", "https://evil.example", http.StatusNoContent, false},
		{"preflight origin differing in scheme", http.MethodOptions, "/codec/decode", "http://temporal-ui.casework.example", http.StatusNoContent, false},
		{"preflight origin as suffix", http.MethodOptions, "/codec/decode", testOrigin + ".evil.example", http.StatusNoContent, false},
		{"POST other origin, no auth", http.MethodPost, "/codec/decode", "https://evil.example", http.StatusUnauthorized, false},
		{"unknown path", http.MethodOptions, "/codec/other", testOrigin, http.StatusNotFound, true},
		{"suffix path is not /decode", http.MethodOptions, "/codec/x/decode", testOrigin, http.StatusNotFound, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{
				"Origin":                         tt.origin,
				"Access-Control-Request-Method":  "POST",
				"Access-Control-Request-Headers": "content-type,x-namespace,authorization",
			}
			rec := do(h, tt.method, tt.path, nil, hdr)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			got := rec.Header()
			if !tt.wantCORS {
				for _, name := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Headers"} {
					if v := got.Get(name); v != "" {
						t.Errorf("%s = %q for a disallowed origin", name, v)
					}
				}
				return
			}
			want := map[string]string{
				"Access-Control-Allow-Origin":      testOrigin,
				"Access-Control-Allow-Credentials": "true",
				"Access-Control-Allow-Methods":     "POST, OPTIONS",
				"Vary":                             "Origin",
			}
			for name, v := range want {
				if got.Get(name) != v {
					t.Errorf("%s = %q, want %q", name, got.Get(name), v)
				}
			}
			allowed := strings.ToLower(got.Get("Access-Control-Allow-Headers"))
			for _, hn := range []string{"content-type", "x-namespace", "authorization"} {
				if !strings.Contains(allowed, hn) {
					t.Errorf("Access-Control-Allow-Headers %q lacks %s", allowed, hn)
				}
			}
		})
	}
}

func TestHandlerLimitsAndErrors(t *testing.T) {
	k := mustParse(t, newKey(t, "k1"))
	h := newTestServer(t, k)
	authz := map[string]string{"Authorization": "Bearer " + testToken}

	big := plainPayload(t, strings.Repeat("x", MaxBodyBytes))
	bigBody := payloadsBody(t, big)
	if len(bigBody) <= MaxBodyBytes {
		t.Fatalf("test body is only %d bytes", len(bigBody))
	}

	t.Run("over limit with Content-Length", func(t *testing.T) {
		rec := do(h, http.MethodPost, "/codec/encode", bigBody, authz)
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413: %.200s", rec.Code, rec.Body)
		}
	})
	t.Run("over limit chunked", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/codec/decode", io.MultiReader(bytes.NewReader(bigBody)))
		req.ContentLength = -1
		req.Header.Set("Authorization", "Bearer "+testToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413: %.200s", rec.Code, rec.Body)
		}
	})
	t.Run("over limit unauthenticated is 401", func(t *testing.T) {
		if rec := do(h, http.MethodPost, "/codec/decode", bigBody, nil); rec.Code != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", rec.Code)
		}
	})
	t.Run("just under limit", func(t *testing.T) {
		p := plainPayload(t, strings.Repeat("y", MaxBodyBytes/2))
		rec := do(h, http.MethodPost, "/codec/encode", payloadsBody(t, p), authz)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %.200s", rec.Code, rec.Body)
		}
	})
	t.Run("GET", func(t *testing.T) {
		rec := do(h, http.MethodGet, "/codec/decode", nil, authz)
		if rec.Code != http.StatusMethodNotAllowed {
			t.Fatalf("status %d, want 405", rec.Code)
		}
	})
	t.Run("malformed body", func(t *testing.T) {
		rec := do(h, http.MethodPost, "/codec/decode", []byte("{not json"), authz)
		if rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", rec.Code)
		}
	})
	t.Run("tampered payload", func(t *testing.T) {
		p := encodeOne(t, NewPayloadCodec(k), plainPayload(t, "x"))
		p.Data[15] ^= 1
		rec := do(h, http.MethodPost, "/codec/decode", payloadsBody(t, p), authz)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "authentication") {
			t.Fatalf("status %d body %q, want 400 naming authentication", rec.Code, rec.Body)
		}
	})
	t.Run("mounted at root, unprefixed", func(t *testing.T) {
		root := Handler(k, BearerToken(testToken), nil)
		rec := do(root, http.MethodPost, "/encode", payloadsBody(t, plainPayload(t, "x")), authz)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}

// FuzzDecode feeds arbitrary data and key ids, marked as encrypted, to Decode:
// it must never panic, and must accept only payloads sealed by a key it holds.
func FuzzDecode(f *testing.F) {
	k := mustParse(f, newKey(f, "k1"), newKey(f, "k2"))
	c := NewPayloadCodec(k)
	for _, v := range []any{"seed", caseNote{Note: secretNote}, []byte{}, 0} {
		p := encodeOne(f, c, plainPayload(f, v))
		f.Add(p.Data, "k2")
		f.Add(p.Data, "k1")
		f.Add(p.Data[:28], "k2")
	}
	f.Add([]byte{}, "")
	f.Add(make([]byte, 64), "k1")
	f.Add([]byte("garbage"), "no-such-key")

	f.Fuzz(func(t *testing.T, data []byte, keyID string) {
		p := &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(MetadataEncodingEncrypted),
				MetadataEncryptionKeyID:    []byte(keyID),
			},
			Data: data,
		}
		out, err := c.Decode([]*commonpb.Payload{p})
		if err != nil {
			return
		}
		if keyID != "k1" && keyID != "k2" {
			t.Fatalf("Decode accepted a payload under unheld key %q", keyID)
		}
		if len(out) != 1 || out[0] == nil {
			t.Fatalf("Decode returned %v", out)
		}
	})
}
