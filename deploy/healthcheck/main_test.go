package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			_, _ = w.Write([]byte(`{"status":"ok"}`))
		case "/moved":
			http.Redirect(w, r, "/healthz", http.StatusFound)
		case "/slow":
			time.Sleep(time.Second)
		default:
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	if err := check(ctx, srv.URL+"/healthz", 5*time.Second); err != nil {
		t.Errorf("healthy endpoint: %v", err)
	}
	for _, path := range []string{"/down", "/moved"} {
		if err := check(ctx, srv.URL+path, 5*time.Second); err == nil {
			t.Errorf("%s: healthy", path)
		}
	}
	if err := check(ctx, srv.URL+"/slow", 100*time.Millisecond); err == nil {
		t.Error("an answer after the timeout counted as healthy")
	}
	// nothing listening
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	if err := check(ctx, "http://"+addr+"/healthz", time.Second); err == nil {
		t.Error("a closed port counted as healthy")
	}
	if err := check(ctx, "::not a url", time.Second); err == nil {
		t.Error("a malformed URL counted as healthy")
	}
}
