// Package apitest is a stand-in for the agents' API in the unit tests of its clients
// (caseclient.Remote, bin/agent): it answers as told and records what it was sent.
package apitest

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Request is one request the fake received.
type Request struct {
	Method, Path, Query, Key, Auth string
	Body                           []byte
}

// FakeAPI answers like the agents' API and records what it was sent. GET /v1/me answers
// the phone agent p1.
type FakeAPI struct {
	mu       sync.Mutex
	requests []Request
	// Answer answers a request; nil answers 404.
	Answer func(w http.ResponseWriter, r *http.Request, body []byte)
}

// ServeHTTP records the request and answers it.
func (f *FakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body) // a test's request: a short read is the test's failure to see
	f.mu.Lock()
	f.requests = append(f.requests, Request{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Idempotency-Key"), r.Header.Get("Authorization"), body})
	f.mu.Unlock()
	if r.URL.Path == "/v1/me" {
		WriteJSON(w, 200, map[string]any{"agentId": "p1", "role": "phone", "expiresAt": time.Now().Add(time.Hour)})
		return
	}
	if f.Answer == nil {
		WriteJSON(w, 404, map[string]any{"error": "no such route"})
		return
	}
	f.Answer(w, r, body)
}

// Sent lists the requests to the path, in order.
func (f *FakeAPI) Sent(path string) []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Request
	for _, s := range f.requests {
		if s.Path == path {
			out = append(out, s)
		}
	}
	return out
}

// Last is the JSON payload last sent to the path.
func (f *FakeAPI) Last(t *testing.T, path string) map[string]any {
	t.Helper()
	sent := f.Sent(path)
	if len(sent) == 0 {
		t.Fatalf("nothing sent to %s", path)
	}
	var p map[string]any
	if err := json.Unmarshal(sent[len(sent)-1].Body, &p); err != nil {
		t.Fatalf("sent %s: %v", sent[len(sent)-1].Body, err)
	}
	return p
}

// WriteJSON answers v as JSON with the status code.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the status is sent: a failed write (the client went away) has nobody to tell
}

// Accept answers every action accepted.
func Accept(w http.ResponseWriter, _ *http.Request, _ []byte) {
	WriteJSON(w, 200, map[string]any{"accepted": true, "message": "ok", "stage": "visit"})
}
