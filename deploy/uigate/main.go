// Command uigate puts the operations credential in front of the Temporal Web UI of
// docker-compose.yml, which has no sign-in of its own (short of an OIDC provider) and holds
// a client certificate of Temporal: everything published asks for a secret (DESIGN.md "Who
// may do what"). It answers every request without HTTP Basic credentials whose password is
// the operations credential with 401 (the browser asks once, any user name), and passes the
// others, without the credentials, to the Web UI, keeping the browser's Host. GET /healthz
// answers ok to anyone, for the container's healthcheck.
//
// Settings: CASEWORK_UI_UPSTREAM (the Web UI, e.g. http://temporal-ui:8080; required),
// CASEWORK_UI_GATE_ADDR (default 127.0.0.1:8080), CASEWORK_OPS_SECRET or
// CASEWORK_OPS_SECRET_FILE (required: without it uigate does not start). Stops cleanly on
// SIGINT or SIGTERM.
package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "uigate: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "uigate: %v\n", err)
		os.Exit(1)
	}
}

type config struct {
	addr     string
	upstream *url.URL
	secret   string
}

func configFromEnv(getenv func(string) string) (config, error) {
	c := config{addr: getenv("CASEWORK_UI_GATE_ADDR")}
	if c.addr == "" {
		c.addr = "127.0.0.1:8080"
	}
	up := getenv("CASEWORK_UI_UPSTREAM")
	if up == "" {
		return c, errors.New("CASEWORK_UI_UPSTREAM is not set: the Web UI's URL, e.g. http://temporal-ui:8080")
	}
	u, err := url.Parse(up)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("CASEWORK_UI_UPSTREAM %q: want an http(s) URL", up)
	}
	c.upstream = u
	if f := getenv("CASEWORK_OPS_SECRET_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return c, fmt.Errorf("CASEWORK_OPS_SECRET_FILE: %w", err)
		}
		c.secret = strings.TrimSpace(string(b))
	} else {
		c.secret = getenv("CASEWORK_OPS_SECRET")
	}
	if c.secret == "" {
		return c, errors.New("no operations credential (CASEWORK_OPS_SECRET or CASEWORK_OPS_SECRET_FILE): the Web UI would be open to anyone")
	}
	return c, nil
}

func serve(ctx context.Context, c config) error {
	srv := &http.Server{Addr: c.addr, Handler: gate(c.upstream, c.secret), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errs := make(chan error, 1)
	go func() { errs <- srv.ListenAndServe() }()
	log.Printf("uigate: the Web UI at %s, behind the operations credential, on http://%s", c.upstream, c.addr)
	select {
	case err := <-errs:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// gate is the handler: the credential checked, then the Web UI.
func gate(upstream *url.URL, secret string) http.Handler {
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(upstream)
		r.Out.Host = r.In.Host // the Web UI's CORS and cookies are the browser's address's
		r.Out.Header.Del("Authorization")
		r.SetXForwarded()
	}}
	// digests keep the comparison constant-time in the length of the secret too
	want := sha256.Sum256([]byte(secret))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" && r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status":"ok"}`))
			return
		}
		_, password, ok := r.BasicAuth()
		got := sha256.Sum256([]byte(password))
		if secret == "" || !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="Casework operations: the operations credential", charset="UTF-8"`)
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "The Temporal Web UI is for operations: sign in with the operations credential (any user name).", http.StatusUnauthorized)
			return
		}
		proxy.ServeHTTP(w, r)
	})
}
