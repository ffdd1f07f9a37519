package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGate(t *testing.T) {
	var seen *http.Request
	ui := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Clone(r.Context())
		_, _ = io.WriteString(w, "web ui "+r.URL.Path)
	}))
	defer ui.Close()
	up, _ := url.Parse(ui.URL)
	gw := httptest.NewServer(gate(up, "s3cret-ops"))
	defer gw.Close()

	get := func(path, user, password string, basic bool) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, gw.URL+path, nil)
		req.Host = "localhost:8080"
		if basic {
			req.SetBasicAuth(user, password)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		return resp, string(b)
	}

	for _, c := range []struct {
		name, user, password string
		basic                bool
	}{{"no credentials", "", "", false}, {"a wrong password", "ops", "s3cret-op", true}, {"the secret as the user name", "s3cret-ops", "", true}} {
		seen = nil
		resp, body := get("/namespaces/default/workflows", c.user, c.password, c.basic)
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") || strings.Contains(body, "web ui") {
			t.Errorf("%s: %s %q", c.name, resp.Status, body)
		}
		if seen != nil {
			t.Errorf("%s: the request reached the Web UI", c.name)
		}
	}

	resp, body := get("/namespaces/default/workflows", "anyone", "s3cret-ops", true)
	if resp.StatusCode != http.StatusOK || body != "web ui /namespaces/default/workflows" {
		t.Fatalf("with the credential: %s %q", resp.Status, body)
	}
	if seen.Header.Get("Authorization") != "" {
		t.Error("the credential went on to the Web UI")
	}
	if seen.Host != "localhost:8080" {
		t.Errorf("the Web UI saw Host %q, want the browser's", seen.Host)
	}

	seen = nil
	if resp, body := get("/healthz", "", "", false); resp.StatusCode != http.StatusOK || !strings.Contains(body, "ok") || seen != nil {
		t.Errorf("/healthz: %s %q (reached the UI: %v)", resp.Status, body, seen != nil)
	}
	if resp, _ := get("/healthzX", "", "", false); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/healthzX: %s", resp.Status)
	}
}

func TestGateWithoutSecretRefusesAll(t *testing.T) {
	up, _ := url.Parse("http://127.0.0.1:1")
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth("", "")
	gate(up, "").ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("empty secret, empty password: %d", rec.Code)
	}
}

func TestConfig(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if _, err := configFromEnv(env(map[string]string{"CASEWORK_UI_UPSTREAM": "http://temporal-ui:8080"})); err == nil || !strings.Contains(err.Error(), "CASEWORK_OPS_SECRET") {
		t.Errorf("no secret: %v", err)
	}
	if _, err := configFromEnv(env(map[string]string{"CASEWORK_OPS_SECRET": "x"})); err == nil {
		t.Error("no upstream: no error")
	}
	if _, err := configFromEnv(env(map[string]string{"CASEWORK_OPS_SECRET": "x", "CASEWORK_UI_UPSTREAM": "temporal-ui:8080"})); err == nil {
		t.Error("an upstream without a scheme: no error")
	}
	c, err := configFromEnv(env(map[string]string{"CASEWORK_OPS_SECRET": "x", "CASEWORK_UI_UPSTREAM": "http://temporal-ui:8080"}))
	if err != nil || c.addr != "127.0.0.1:8080" || c.secret != "x" || c.upstream.Host != "temporal-ui:8080" {
		t.Errorf("config %+v, %v", c, err)
	}
	f := filepath.Join(t.TempDir(), "ops")
	if err := os.WriteFile(f, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = configFromEnv(env(map[string]string{"CASEWORK_OPS_SECRET_FILE": f, "CASEWORK_UI_UPSTREAM": "http://temporal-ui:8080", "CASEWORK_UI_GATE_ADDR": "0.0.0.0:8080"}))
	if err != nil || c.secret != "from-file" || c.addr != "0.0.0.0:8080" {
		t.Errorf("config from file %+v, %v", c, err)
	}
}
