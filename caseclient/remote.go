package caseclient

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

// Settings of Remote.
const (
	// DefaultAPIURL is where `make run` serves the agents' API.
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

// Remote is the cases' client over the agents' HTTP API (bin/api), acting with one
// person's token: what bin/agent uses. A write carries an idempotency key and is sent
// again, with the same key, when the API is busy (503, 429) or unreachable.
type Remote struct {
	base  string // without a trailing slash
	token string
	http  *http.Client
	log   io.Writer // retry notices
	// sleep waits between retries (a test replaces it).
	sleep func(context.Context, time.Duration) error

	who *Me // the token's owner, once asked
}

var _ Cases = (*Remote)(nil)

// Me is the token's owner (GET /v1/me).
type Me struct {
	AgentID   string    `json:"agentId"`
	Role      string    `json:"role"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// NewRemote returns the client of the API at apiURL ($CASEWORK_API_URL when empty, else
// DefaultAPIURL) with the token read from tokenFile, or else from $CASEWORK_TOKEN. Retry
// notices, and a warning when the token would travel without TLS to another host, go to
// log.
func NewRemote(apiURL, tokenFile string, log io.Writer) (*Remote, error) {
	if log == nil {
		log = io.Discard
	}
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
		// a warning to the person at the terminal: a failed write must not stop the command
		_, _ = fmt.Fprintf(log, "warning: sending your token to %s without TLS\n", u.Host)
	}
	return &Remote{
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

// noCase is a 404 answer about a case: the API's message, and errors.Is(err, ErrNoCase).
type noCase struct{ *APIError }

func (e *noCase) Is(target error) bool { return target == ErrNoCase }
func (e *noCase) Unwrap() error        { return e.APIError }

// caseError maps the API's answers about a case to the Cases errors: a 404 wraps
// ErrNoCase (a case that does not exist or is not the caller's: one answer).
func caseError(err error) error {
	var api *APIError
	if errors.As(err, &api) && api.Status == http.StatusNotFound {
		return &noCase{api}
	}
	return err
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
func (c *Remote) do(ctx context.Context, method, path string, body, out any) error {
	return c.send(ctx, request{method: method, path: path, body: body}, out)
}

// Status is the case's whole state (GET /v1/cases/{case}). A case that does not exist
// or is not the caller's wraps ErrNoCase.
func (c *Remote) Status(ctx context.Context, caseID string) (*contract.Status, error) {
	var st contract.Status
	if err := c.do(ctx, http.MethodGet, casePath(caseID), nil, &st); err != nil {
		return nil, caseError(err)
	}
	return &st, nil
}

// Act sends one human action to the case (POST /v1/cases/{case}/actions/{action}) with
// actionID as its idempotency key (a fresh one when empty), retried with the same key on
// 503, 429 and connection errors: however often it is sent, it applies once. A 422 is a
// *Refused with the API's message and fields, a 404 wraps ErrNoCase; any other error
// answer is an *APIError.
func (c *Remote) Act(ctx context.Context, caseID, action, actionID string, payload []byte) (*contract.ActionResult, error) {
	if actionID == "" {
		actionID = newKey()
	}
	var res contract.ActionResult
	err := c.send(ctx, request{
		method: http.MethodPost,
		path:   casePath(caseID, "actions", url.PathEscape(action)),
		body:   payload,
		key:    actionID,
	}, &res)
	var api *APIError
	if errors.As(err, &api) && api.Status == http.StatusUnprocessableEntity {
		return nil, &Refused{ValidationError: &contract.ValidationError{Action: action, Fields: api.Fields}, Message: api.Message}
	}
	if err != nil {
		return nil, caseError(err)
	}
	return &res, nil
}

// Inbox is the agent's open tasks, soonest deadline first (GET /v1/inbox?agent=ID); an
// empty agentID is the token's owner (another's inbox is for supervisors only).
func (c *Remote) Inbox(ctx context.Context, agentID string) ([]contract.Task, error) {
	path := "/v1/inbox"
	if agentID != "" {
		path += "?" + url.Values{"agent": {agentID}}.Encode()
	}
	var in struct {
		AgentID string          `json:"agentId"`
		Tasks   []contract.Task `json:"tasks"`
	}
	if err := c.do(ctx, http.MethodGet, path, nil, &in); err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	return in.Tasks, nil
}

// newKey is a fresh idempotency key.
func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return "agent-" + hex.EncodeToString(b)
}

func (c *Remote) send(ctx context.Context, r request, out any) error {
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
		// a note to the person at the terminal: a failed write must not stop the retry
		_, _ = fmt.Fprintf(c.log, "%s; trying again in %s (%d of %d)\n", err, wait, attempt+1, retries)
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

func (c *Remote) once(ctx context.Context, r request, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", r.method, r.path, err)
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

// Me is the token's owner (GET /v1/me), asked once.
func (c *Remote) Me(ctx context.Context) (*Me, error) {
	if c.who == nil {
		var m Me
		if err := c.do(ctx, http.MethodGet, "/v1/me", nil, &m); err != nil {
			return nil, fmt.Errorf("who am I: %w", err)
		}
		c.who = &m
	}
	return c.who, nil
}

// casePath is the path of a case's resource (rest is already escaped).
func casePath(caseID string, rest ...string) string {
	p := "/v1/cases/" + url.PathEscape(caseID)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

// RecordContact records an address or a phone (kind contract.KindAddress or
// contract.KindPhone) that a person typed for the case's account and returns the id the
// case gets: the text stays in PostgreSQL behind the API (POST
// /v1/cases/{case}/addresses or /phones). The API answers the same id for the same text,
// so a retry is safe.
func (c *Remote) RecordContact(ctx context.Context, caseID string, kind contract.FieldKind, text string) (string, error) {
	var resource, field, idField string
	switch kind {
	case contract.KindAddress:
		resource, field, idField = "addresses", "address", "addressId"
	case contract.KindPhone:
		resource, field, idField = "phones", "number", "phoneId"
	default:
		return "", fmt.Errorf("record a new %s: only an address or a phone is recorded", kind)
	}
	var res map[string]string
	r := request{method: http.MethodPost, path: casePath(caseID, resource), body: map[string]string{field: text}, repeatable: true}
	if err := c.send(ctx, r, &res); err != nil {
		return "", fmt.Errorf("record the new %s: %w", field, caseError(err))
	}
	if res[idField] == "" {
		return "", fmt.Errorf("record the new %s: the answer has no %s", field, idField)
	}
	return res[idField], nil
}

// Record is the contract.Recorder of the case: a new address or phone typed into a form
// is recorded for the case's account with RecordContact.
func (c *Remote) Record(caseID string) contract.Recorder {
	return func(ctx context.Context, kind contract.FieldKind, text string) (string, error) {
		return c.RecordContact(ctx, caseID, kind, text)
	}
}

// ContactCheck asks the guardrails whether the token's owner may start a contact
// (channel "call" or "visit") with the case's debtor now, and if not, from when and why
// (GET /v1/cases/{case}/contact).
func (c *Remote) ContactCheck(ctx context.Context, caseID, channel string) (*contract.ContactCheck, error) {
	var ans contract.ContactCheck
	path := casePath(caseID, "contact") + "?" + url.Values{"channel": {channel}}.Encode()
	if err := c.do(ctx, http.MethodGet, path, nil, &ans); err != nil {
		return nil, caseError(err)
	}
	return &ans, nil
}

// Alerts lists what the cases told the supervisors, newest first (GET /v1/alerts); all
// includes the acknowledged ones. For supervisors.
func (c *Remote) Alerts(ctx context.Context, all bool) ([]contract.Alert, error) {
	path := "/v1/alerts"
	if all {
		path += "?all=true"
	}
	var in struct {
		Alerts []contract.Alert `json:"alerts"`
	}
	if err := c.do(ctx, http.MethodGet, path, nil, &in); err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return in.Alerts, nil
}

// AckAlert acknowledges an alert by its key in the token owner's name (POST
// /v1/alerts/ack) and returns it. For supervisors.
func (c *Remote) AckAlert(ctx context.Context, key string) (*contract.Alert, error) {
	var a contract.Alert
	if err := c.do(ctx, http.MethodPost, "/v1/alerts/ack", map[string]string{"alertKey": key}, &a); err != nil {
		return nil, fmt.Errorf("acknowledge %s: %w", key, err)
	}
	return &a, nil
}

// IssuedToken is a token issued for an agent: shown once.
type IssuedToken struct {
	AgentID   string    `json:"agentId"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// IssueToken issues a token for the agent (POST /v1/tokens); ttl is a duration such as
// "12h" (empty: the API's default). For supervisors. Not retried after it may have been
// handled: a retry could issue a second token.
func (c *Remote) IssueToken(ctx context.Context, agentID, ttl string) (*IssuedToken, error) {
	req := struct {
		AgentID string `json:"agentId"`
		TTL     string `json:"ttl,omitempty"`
	}{agentID, ttl}
	var res IssuedToken
	if err := c.do(ctx, http.MethodPost, "/v1/tokens", req, &res); err != nil {
		return nil, fmt.Errorf("token issue: %w", err)
	}
	if res.Token == "" {
		return nil, errors.New("token issue: the answer has no token")
	}
	return &res, nil
}

// RevokeTokens revokes every token of the agent (DELETE /v1/agents/{agent}/tokens) and
// returns how many were revoked. For supervisors.
func (c *Remote) RevokeTokens(ctx context.Context, agentID string) (int64, error) {
	var res struct {
		AgentID string `json:"agentId"`
		Revoked int64  `json:"revoked"`
	}
	if err := c.do(ctx, http.MethodDelete, "/v1/agents/"+url.PathEscape(agentID)+"/tokens", nil, &res); err != nil {
		return 0, fmt.Errorf("token revoke: %w", err)
	}
	return res.Revoked, nil
}
