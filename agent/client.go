package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/casework/casework/contract"
)

// Settings of the client.
const (
	// DefaultAPIURL is where `make run` serves the API.
	DefaultAPIURL = "http://127.0.0.1:8088"
	// requestTimeout bounds each request (the server bounds its own calls to Temporal).
	requestTimeout = 30 * time.Second
	// retries is how many times a retryable request is sent again.
	retries = 3
	// maxRetryAfter caps how long the client waits before a retry, whatever the server says.
	maxRetryAfter = 10 * time.Second
	// maxResponse bounds what is read of a response (a long case's status is the largest).
	maxResponse = 32 << 20
)

// errNoToken is the error of a tool run without a token.
var errNoToken = errors.New("no agent token: set CASEWORK_TOKEN to your own token (or pass --token-file FILE); " +
	"to get one, a supervisor runs `agent token issue --agent YOU`")

// Client is a client of the agents' HTTP API, acting with one person's token.
type Client struct {
	base  string // without a trailing slash
	token string
	http  *http.Client
	log   io.Writer // retry notices
	// sleep waits between retries (a test replaces it).
	sleep func(context.Context, time.Duration) error

	who *Me // the token's owner, once asked
}

// Me is the token's owner (GET /v1/me).
type Me struct {
	AgentID   string    `json:"agentId"`
	Role      string    `json:"role"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// newClient returns the client of the API at apiURL ($CASEWORK_API_URL when empty, else
// DefaultAPIURL) with the token read from tokenFile, or else from $CASEWORK_TOKEN.
func newClient(apiURL, tokenFile string, log io.Writer) (*Client, error) {
	if apiURL == "" {
		apiURL = os.Getenv("CASEWORK_API_URL")
	}
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("API URL %q: want http(s)://host[:port] (--api or CASEWORK_API_URL)", apiURL)
	}
	token := os.Getenv("CASEWORK_TOKEN")
	if tokenFile != "" {
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			return nil, fmt.Errorf("--token-file: %w", err)
		}
		token = string(b)
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, errNoToken
	}
	if strings.ContainsAny(token, " \t\r\n") {
		return nil, errors.New("the agent token contains spaces or line breaks: it is one word (CASEWORK_TOKEN or --token-file)")
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		fmt.Fprintf(log, "warning: sending your token to %s without TLS\n", u.Host)
	}
	return &Client{
		base:  strings.TrimRight(u.String(), "/"),
		token: token,
		http:  &http.Client{Timeout: requestTimeout},
		log:   log,
		sleep: sleep,
	}, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sleep waits, or not when the context ends first (a test replaces it).
var sleep = sleepCtx

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// APIError is an error answer of the API: its status, its message and, for a rejected
// payload, the fields at fault.
type APIError struct {
	Status  int
	Message string
	Fields  []*contract.FieldError
	Ref     string // an internal error's reference in the server's log
	// RetryAfter is the server's Retry-After (429, 503), zero when absent.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	for _, f := range e.Fields { // the message usually names them already
		if !strings.Contains(msg, f.Error()) {
			msg += "; " + f.Error()
		}
	}
	if e.Ref != "" {
		msg += " (reference " + e.Ref + " in the server's log)"
	}
	msg = fmt.Sprintf("%s (HTTP %d)", msg, e.Status)
	if e.Status == http.StatusUnauthorized {
		msg += ": check CASEWORK_TOKEN; for a new token, a supervisor runs `agent token issue --agent YOU`"
	}
	return msg
}

// request is one call of the API.
type request struct {
	method, path string
	body         any    // JSON-encoded unless []byte or json.RawMessage; nil: no body
	key          string // Idempotency-Key: a retry is applied once
	// repeatable marks a write that has the same effect however often it is applied.
	repeatable bool
}

// idempotent tells whether the request may be sent again after it may have reached the
// server: reads, and writes that carry an idempotency key.
func (r request) idempotent() bool {
	return r.method == http.MethodGet || r.method == http.MethodDelete || r.key != "" || r.repeatable
}

// do sends a request to the API and decodes its JSON answer into out (when not nil). An
// error answer is an *APIError. A read is retried on 503, 429 and connection errors; a
// write only on 429 (refused before it was handled).
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	return c.send(ctx, request{method: method, path: path, body: body}, out)
}

// act sends one human action to the case with a fresh idempotency key, retried with the
// same key on 503, 429 and connection errors: however often it is sent, it applies once.
func (c *Client) act(ctx context.Context, caseID, action string, payload []byte) (*actionResult, error) {
	var res actionResult
	err := c.send(ctx, request{
		method: http.MethodPost,
		path:   "/v1/cases/" + url.PathEscape(caseID) + "/actions/" + url.PathEscape(action),
		body:   payload,
		key:    newKey(),
	}, &res)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// actionResult is the answer of an accepted action.
type actionResult struct {
	Accepted bool   `json:"accepted"`
	Message  string `json:"message"`
	Stage    string `json:"stage"`
	Outcome  string `json:"outcome"`
	Paused   bool   `json:"paused"`
}

func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return "agent-" + hex.EncodeToString(b)
}

func (c *Client) send(ctx context.Context, r request, out any) error {
	var body []byte
	switch b := r.body.(type) {
	case nil:
	case []byte:
		body = b
	case json.RawMessage:
		body = b
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			return fmt.Errorf("%s %s: %w", r.method, r.path, err)
		}
	}
	for attempt := 0; ; attempt++ {
		err := c.once(ctx, r, body, out)
		if err == nil || attempt == retries || ctx.Err() != nil {
			return err
		}
		wait, ok := retryable(r, err)
		if !ok {
			return err
		}
		if wait <= 0 {
			wait = time.Duration(attempt+1) * time.Second
		}
		wait = min(wait, maxRetryAfter)
		fmt.Fprintf(c.log, "%s; trying again in %s (%d of %d)\n", err, wait, attempt+1, retries)
		if err := c.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// retryable says whether a failed request is sent again, and after how long the server
// asked to wait.
func retryable(r request, err error) (time.Duration, bool) {
	var api *APIError
	if errors.As(err, &api) {
		switch {
		case api.Status == http.StatusTooManyRequests:
			return api.RetryAfter, true
		case api.Status == http.StatusServiceUnavailable && r.idempotent():
			return api.RetryAfter, true
		}
		return 0, false
	}
	var conn *connError
	return 0, errors.As(err, &conn) && r.idempotent()
}

// connError is a request that got no answer: it may or may not have reached the server.
type connError struct{ err error }

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

func (c *Client) once(ctx context.Context, r request, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "casework-agent")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.key != "" {
		req.Header.Set("Idempotency-Key", r.key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &connError{fmt.Errorf("%s %s: %w", r.method, c.base+r.path, err)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return &connError{fmt.Errorf("%s %s: read the answer: %w", r.method, c.base+r.path, err)}
	}
	if resp.StatusCode >= 300 {
		return apiError(resp, b)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the JSON expected (is %s the agents' API?): %w", r.method, r.path, c.base, err)
	}
	return nil
}

// apiError reads an error answer: {"error", "fields", "ref"}, or whatever a proxy in
// between said.
func apiError(resp *http.Response, b []byte) *APIError {
	e := &APIError{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	var body struct {
		Error  string                 `json:"error"`
		Fields []*contract.FieldError `json:"fields"`
		Ref    string                 `json:"ref"`
	}
	if json.Unmarshal(b, &body) == nil && body.Error != "" {
		e.Message, e.Fields, e.Ref = body.Error, body.Fields, body.Ref
		return e
	}
	text := strings.TrimSpace(string(b))
	if len(text) > 200 {
		text = text[:200] + "..."
	}
	e.Message = strings.TrimSpace(http.StatusText(resp.StatusCode) + " " + strings.ToValidUTF8(text, "?"))
	return e
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// me is the token's owner.
func (c *Client) me(ctx context.Context) (*Me, error) {
	if c.who == nil {
		var m Me
		if err := c.do(ctx, http.MethodGet, "/v1/me", nil, &m); err != nil {
			return nil, fmt.Errorf("who am I: %w", err)
		}
		c.who = &m
	}
	return c.who, nil
}

// casePath is the path of a case's resource.
func casePath(caseID string, rest ...string) string {
	p := "/v1/cases/" + url.PathEscape(caseID)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

// recordContact records an address or a phone the agent typed in for the case's account
// (kind "addresses" or "phones") and returns the id the case gets: the text stays in
// PostgreSQL behind the API.
func (c *Client) recordContact(ctx context.Context, caseID, kind, text string) (string, error) {
	field, idField := "address", "addressId"
	if kind == "phones" {
		field, idField = "number", "phoneId"
	}
	var res map[string]string
	// the API records a text once per account and answers the same id again: a retry is safe
	r := request{method: http.MethodPost, path: casePath(caseID, kind), body: map[string]string{field: text}, repeatable: true}
	if err := c.send(ctx, r, &res); err != nil {
		return "", fmt.Errorf("record the new %s: %w", field, err)
	}
	if res[idField] == "" {
		return "", fmt.Errorf("record the new %s: the answer has no %s", field, idField)
	}
	return res[idField], nil
}
