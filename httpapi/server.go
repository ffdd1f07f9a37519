package httpapi

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/casework/casework/book"
	"github.com/casework/casework/caseclient"
	"github.com/casework/casework/caseclient/direct"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/platform"
	"github.com/casework/casework/rules"
)

//go:embed openapi.json
var openAPI []byte

// Defaults of the server's limits.
const (
	// DefaultCallTimeout bounds every call to Temporal: a case that does not answer in
	// time (its worker is down) is answered 503, never waited for.
	DefaultCallTimeout = 10 * time.Second
	// MaxBody is the largest request body accepted; a larger one is refused with 413.
	MaxBody = 64 << 10
)

// Server serves the API over the database (tokens, inboxes, contacts) and Temporal (cases).
type Server struct {
	DB *pgxpool.Pool
	TC client.Client
	// Logger writes the access log and the internal errors (never tokens or bodies).
	Logger *zap.Logger
	// CallTimeout bounds each Temporal call (DefaultCallTimeout when zero).
	CallTimeout time.Duration
	// Limit is each token's request rate (DefaultRate when zero).
	Limit Rate
	// Codec, when set, is served under /codec/ (the codec server for the Web UI and CLI),
	// with Ops's sign-in page at /codec/login.
	Codec http.Handler
	Ops   *OpsAuth
	// Actions are the actions served (contract.Table when nil).
	Actions contract.ActionTable
	// SecureCookies marks the console's session cookie Secure even over plain HTTP: TLS
	// ends at a proxy in front (it is Secure under the server's own TLS anyway).
	SecureCookies bool
	// Metrics, when set, counts the requests by route and status, and times them.
	Metrics *Metrics

	cases *direct.Client

	limiter  *limiter
	failures *limiter // failed sign-ins per client address
}

// Error is every error response: the reason, for a rejected payload its fields, and for
// an internal error the reference under which it is logged.
type Error struct {
	Error  string                 `json:"error"`
	Fields []*contract.FieldError `json:"fields,omitempty"`
	Ref    string                 `json:"ref,omitempty"`
}

// Handler routes the API, behind the access log and the body limit.
func (s *Server) Handler() http.Handler {
	if s.Logger == nil {
		s.Logger = zap.NewNop()
	}
	if s.CallTimeout <= 0 {
		s.CallTimeout = DefaultCallTimeout
	}
	if s.Limit.PerSecond <= 0 {
		s.Limit = DefaultRate
	}
	if s.Actions == nil {
		s.Actions = contract.Table
	}
	s.cases = &direct.Client{TC: s.TC, DB: s.DB, Attempts: 3}
	s.limiter = newLimiter(s.Limit)
	s.failures = newLimiter(FailedAuthRate)
	mux := http.NewServeMux()
	doc := s.openAPI()
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})
	// /healthz only: /readyz, which asks PostgreSQL and Temporal, is on the metrics address
	platform.HandleLiveness(mux)
	mux.HandleFunc("GET /v1/me", s.authed(s.me))
	mux.HandleFunc("GET /v1/inbox", s.authed(s.inbox))
	mux.HandleFunc("GET /v1/cases/{case}", s.authed(s.status))
	mux.HandleFunc("GET /v1/cases/{case}/contact", s.authed(s.contactCheck))
	mux.HandleFunc("POST /v1/cases/{case}/addresses", s.authed(s.recordContact(book.RecordAddress, "address", "addressId")))
	mux.HandleFunc("POST /v1/cases/{case}/phones", s.authed(s.recordContact(book.RecordPhone, "number", "phoneId")))
	mux.HandleFunc("POST /v1/cases/{case}/actions/{action}", s.authed(s.act))
	mux.HandleFunc("GET /v1/alerts", s.authed(s.alerts))
	mux.HandleFunc("POST /v1/alerts/ack", s.authed(s.acknowledge))
	mux.HandleFunc("POST /v1/tokens", s.authed(s.issueToken))
	mux.HandleFunc("DELETE /v1/agents/{agent}/tokens", s.authed(s.revokeTokens))
	s.consoleRoutes(mux)
	if s.Codec != nil {
		mux.Handle("/codec/", http.StripPrefix("/codec", s.Codec))
		if s.Ops != nil {
			mux.Handle("/codec/login", s.Ops.Login())
		}
	}
	// a span per request (when the program traces), named by the route the mux matched
	// (accessLog names it); a new trace each time, only linked to the caller's: callers are
	// outside the trust boundary (they would choose trace ids, hide their requests from
	// sampling, or carry baggage into the cases' histories)
	return otelhttp.NewHandler(s.accessLog(limitBody(mux)), "casework-api", otelhttp.WithPublicEndpointFn(func(*http.Request) bool { return true }),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }))
}

// openAPI is the API's description with the served actions' names (the action table's).
func (s *Server) openAPI() []byte {
	var doc map[string]any
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		panic(fmt.Sprintf("httpapi: openapi.json: %v", err)) // embedded: a build error
	}
	paths, _ := doc["paths"].(map[string]any)
	route, _ := paths["/v1/cases/{caseId}/actions/{action}"].(map[string]any)
	post, _ := route["post"].(map[string]any)
	params, _ := post["parameters"].([]any)
	for _, p := range params {
		if p, ok := p.(map[string]any); ok && p["name"] == "action" {
			if schema, ok := p["schema"].(map[string]any); ok {
				schema["enum"] = s.Actions.Names()
			}
		}
	}
	return contract.MustJSON(doc)
}

type handler func(w http.ResponseWriter, r *http.Request, who Agent)

// authed authenticates the request's bearer token and applies the token's rate limit
// before h.
func (s *Server) authed(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		who, err := Authenticate(r.Context(), s.DB, strings.TrimSpace(token))
		if errors.Is(err, ErrUnauthenticated) {
			// failures count against the address (guessing tokens is slow); a valid token
			// is never refused for its neighbours' failures
			client := clientAddress(r)
			s.Logger.Warn("unauthenticated request", zap.String("client", client), zap.String("route", r.Pattern))
			if wait, ok := s.failures.allow(client, time.Now()); !ok {
				w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
				writeError(w, http.StatusTooManyRequests, "too many failed sign-ins from this address: try again later", nil)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="casework"`)
			writeError(w, http.StatusUnauthorized, err.Error(), nil)
			return
		}
		if err != nil {
			s.internal(w, r, err)
			return
		}
		setAgent(r, who.ID)
		if wait, ok := s.limiter.allow(who.ID, time.Now()); !ok {
			w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
			writeError(w, http.StatusTooManyRequests, fmt.Sprintf("too many requests from %s: at most %g a second", who.ID, s.Limit.PerSecond), nil)
			return
		}
		h(w, r, who)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the status is sent: a failed write (the client went away) has nobody to tell
}

func writeError(w http.ResponseWriter, code int, msg string, fields []*contract.FieldError) {
	writeJSON(w, code, Error{Error: msg, Fields: fields})
}

// internal answers an error the caller cannot act on: logged with a reference, and only
// the reference goes to the caller (no database or Temporal detail).
func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	ref := newRef()
	s.Logger.Error("internal error", zap.String("ref", ref), zap.String("route", r.Pattern), zap.Error(err), traceID(r.Context()))
	writeJSON(w, http.StatusInternalServerError, Error{Error: "internal error", Ref: ref})
}

// temporalError answers a failed Temporal call: 503 when the case did not answer in time
// (its worker is down) or Temporal is unreachable, else an internal error.
func (s *Server) temporalError(w http.ResponseWriter, r *http.Request, id string, err error) {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &deadline) || errors.As(err, &unavailable) {
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusServiceUnavailable, fmt.Sprintf("%s did not answer within %s: the case's worker may be down; try again later", id, s.CallTimeout), nil)
		return
	}
	s.internal(w, r, err)
}

func (s *Server) me(w http.ResponseWriter, _ *http.Request, who Agent) {
	writeJSON(w, http.StatusOK, who)
}

// inbox lists the agent's open tasks, soonest deadline first; a supervisor may ask for
// another agent's (?agent=).
func (s *Server) inbox(w http.ResponseWriter, r *http.Request, who Agent) {
	agent := who.ID
	if a := r.URL.Query().Get("agent"); a != "" && a != who.ID {
		if who.Role != contract.RoleSupervisor {
			writeError(w, http.StatusForbidden, fmt.Sprintf("%s may read only their own inbox", who.ID), nil)
			return
		}
		agent = a
	}
	tasks, err := s.cases.Inbox(r.Context(), agent)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"agentId": agent, "tasks": tasks})
}

// errNotFound is a case that does not exist or is not the caller's: one answer for both,
// so that nobody learns which accounts have a case.
var errNotFound = errors.New("not found")

// access checks in PostgreSQL that the agent may act on the case and returns the key of
// its current case (its records' key; an account's later case has its own): a supervisor
// may act on every case, an agent on the current case of the account if a task of it was
// theirs. The case itself decides whether the action is theirs to take now (it checks who
// is assigned). known is false for a case PostgreSQL has no key of (not yet screened, or
// none): only a supervisor gets that far, and nothing is recorded for it.
func (s *Server) access(ctx context.Context, id string, who Agent) (key string, known bool, err error) {
	if _, err := contract.AccountFromWorkflowID(id); err != nil || len(id) > 200 {
		return "", false, errNotFound
	}
	var theirs bool
	err = s.DB.QueryRow(ctx, `SELECT k.case_key, EXISTS (SELECT 1 FROM tasks t WHERE t.case_id = k.case_key AND t.assignees @> ARRAY[$2])
		FROM case_keys k WHERE k.workflow_id = $1 ORDER BY k.case_no DESC LIMIT 1`, id, who.ID).Scan(&key, &theirs)
	switch {
	case errors.Is(err, pgx.ErrNoRows) && who.Role == contract.RoleSupervisor:
		return id, false, nil // a case not keyed yet (its first task has not run): Temporal answers
	case errors.Is(err, pgx.ErrNoRows):
		return "", false, errNotFound
	case err != nil:
		return "", false, fmt.Errorf("access of %s to %s: %w", who.ID, id, err)
	case who.Role != contract.RoleSupervisor && !theirs:
		return "", false, errNotFound
	}
	return key, true, nil
}

// notFound answers a case that does not exist or is not the caller's.
func notFound(w http.ResponseWriter, id string, who Agent) {
	writeError(w, http.StatusNotFound, fmt.Sprintf("no case %s among the cases of %s", id, who.ID), nil)
}

// caseFor reads the case and checks that the agent may see it (assigned to it now); it
// writes the error response and returns nil when not.
func (s *Server) caseFor(w http.ResponseWriter, r *http.Request, id string, who Agent) *contract.Status {
	st, err := s.readCase(r.Context(), id, who)
	switch {
	case errors.Is(err, errNotFound):
		notFound(w, id, who)
		return nil
	case err != nil:
		s.temporalError(w, r, id, err)
		return nil
	}
	return st
}

// readCase reads the case's status for the agent: errNotFound unless they may see it.
func (s *Server) readCase(ctx context.Context, id string, who Agent) (*contract.Status, error) {
	if _, _, err := s.access(ctx, id, who); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.CallTimeout)
	defer cancel()
	st, err := s.cases.Status(ctx, id)
	switch {
	case errors.Is(err, caseclient.ErrNoCase):
		return nil, errNotFound
	case err != nil:
		return nil, err
	case !mayAccess(st, who):
		return nil, errNotFound
	}
	return st, nil
}

// mayAccess: supervisors see every case; an agent the cases assigned to them.
func mayAccess(st *contract.Status, who Agent) bool {
	if who.Role == contract.RoleSupervisor {
		return true
	}
	for _, ids := range st.Assigned {
		if slices.Contains(ids, who.ID) {
			return true
		}
	}
	return st.Pending != nil && slices.Contains(st.Pending.Assignees, who.ID)
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, who Agent) {
	if st := s.caseFor(w, r, r.PathValue("case"), who); st != nil {
		writeJSON(w, http.StatusOK, st)
	}
}

// contactCheck asks the guardrails before a contact (?channel=call or visit).
func (s *Server) contactCheck(w http.ResponseWriter, r *http.Request, who Agent) {
	channel := r.URL.Query().Get("channel")
	if channel != "call" && channel != "visit" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("channel %q: want call or visit", channel), []*contract.FieldError{contract.Invalid("channel", "must be call or visit")})
		return
	}
	st := s.caseFor(w, r, r.PathValue("case"), who)
	if st == nil {
		return
	}
	now := time.Now()
	at, why, err := rules.ContactAllowed(st, who.ID, channel, now)
	if err != nil {
		writeError(w, http.StatusForbidden, err.Error(), nil)
		return
	}
	c := contract.ContactCheck{CaseID: st.CaseID, Channel: channel, Allowed: !at.IsZero() && !at.After(now), Reason: why, Pending: st.Pending}
	if !at.IsZero() {
		c.From = &at
	}
	writeJSON(w, http.StatusOK, c)
}

// recordContact records an address or a phone an agent found for the case's account and
// answers its id: personal data stays in PostgreSQL, the case gets the id.
func (s *Server) recordContact(record func(context.Context, *pgxpool.Pool, string, string, string) (string, error), field, idField string) handler {
	return func(w http.ResponseWriter, r *http.Request, who Agent) {
		id := r.PathValue("case")
		var body map[string]string
		if !s.readJSON(w, r, &body) {
			return
		}
		text := body[field]
		if err := contract.ValidText(field, text, 500); err != nil || strings.TrimSpace(text) == "" || len(body) != 1 {
			writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("want {%q: \"...\"}: at most 500 bytes of text", field), []*contract.FieldError{contract.Invalid(field, "is required: one line of text, at most 500 bytes, no control characters")})
			return
		}
		if s.caseFor(w, r, id, who) == nil {
			return
		}
		account, _ := contract.AccountFromWorkflowID(id)
		rid, err := record(r.Context(), s.DB, account, text, who.ID)
		if errors.Is(err, book.ErrInvalid) {
			writeError(w, http.StatusUnprocessableEntity, err.Error(), []*contract.FieldError{contract.Invalid(field, "%v", err)})
			return
		}
		if err != nil {
			s.internal(w, r, err)
			return
		}
		writeJSON(w, http.StatusCreated, map[string]string{idField: rid})
	}
}

// readJSON reads a small JSON body into v; it answers 413 or 400 and returns false when it
// cannot.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, ok := readBody(w, r)
	if !ok {
		return false
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "the body is not the JSON object expected: "+err.Error(), []*contract.FieldError{contract.Invalid("payload", "not the JSON object expected")})
		return false
	}
	return true
}

// readBody reads the body, refusing one over MaxBody with 413.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", MaxBody), nil)
		return nil, false
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "read the body: "+err.Error(), nil)
		return nil, false
	}
	return body, true
}

// act sends one human action to the case. An Idempotency-Key header (at most 64
// printable characters) becomes the action's id: a retried request is applied once.
func (s *Server) act(w http.ResponseWriter, r *http.Request, who Agent) {
	id, action := r.PathValue("case"), r.PathValue("action")
	spec, ok := s.Actions.Lookup(action)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no action %q (want one of %s)", action, strings.Join(s.Actions.Names(), ", ")), nil)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if err := contract.ValidText("Idempotency-Key", key, 64); err != nil || strings.ContainsAny(key, " \n\t") {
		writeError(w, http.StatusBadRequest, "Idempotency-Key: at most 64 printable characters without spaces", nil)
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	res, err := s.send(r.Context(), spec, id, who, key, body)
	s.answer(w, r, id, who, res, err)
}

// errForbidden is an action the caller may not send.
type errForbidden struct{ msg string }

func (e *errForbidden) Error() string { return e.msg }

// send is every action's way into a case, from the API and the console alike: the shape
// (the contract), the sender's role and name (the table), access to the case
// (PostgreSQL), then the case itself. A refused report of a contact is still written to
// the audit log.
func (s *Server) send(ctx context.Context, spec *contract.ActionSpec, id string, who Agent, key string, body []byte) (*contract.ActionResult, error) {
	// everyone acts in their own name (a supervisor too); a payment names nobody and
	// comes from a supervisor's (or the payment system's) token
	if !spec.AllowedRole(who.Role) {
		return nil, &errForbidden{fmt.Sprintf("%s is a %s agent: %s is sent by %s", who.ID, who.Role, spec.Name, strings.Join(spec.Roles, " or "))}
	}
	caseKey, known, err := s.access(ctx, id, who)
	if err != nil {
		return nil, err
	}
	v, err := s.Actions.Decode(spec.Name, body)
	if err != nil {
		var ve *contract.ValidationError
		if errors.As(err, &ve) && spec.Contact && known { // the contact happened: its refused report is kept
			if err := s.recordRefused(ctx, caseKey, spec.Name, who, key, ve.Error()); err != nil {
				return nil, err
			}
		}
		return nil, err
	}
	if names := spec.ActorsOf(v); spec.Actor != "" && !slices.Contains(names, who.ID) {
		return nil, &errForbidden{fmt.Sprintf("%s may only send %s in their own name (%s)", who.ID, spec.Name, spec.Actor)}
	}
	scoped := "" // a caller's key is theirs: scoped by the agent and the action
	if key != "" {
		scoped = "api:" + who.ID + ":" + spec.Name + ":" + key
	}
	callCtx, cancel := context.WithTimeout(ctx, s.CallTimeout)
	defer cancel()
	res, err := s.cases.Act(callCtx, id, spec.Name, scoped, body)
	var refused *caseclient.Refused
	if errors.As(err, &refused) && spec.Contact && !refused.Recorded && known {
		if rerr := s.recordRefused(ctx, caseKey, spec.Name, who, key, refused.Message); rerr != nil {
			return nil, rerr
		}
	}
	return res, err
}

// answer writes the JSON answer of an action.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, id string, who Agent, res *contract.ActionResult, err error) {
	var refused *caseclient.Refused
	var ve *contract.ValidationError
	var forbidden *errForbidden
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, res)
	case errors.As(err, &refused):
		writeError(w, http.StatusUnprocessableEntity, refused.Error(), refused.Fields)
	case errors.As(err, &ve):
		code := http.StatusUnprocessableEntity
		if len(ve.Fields) == 1 && ve.Fields[0].Field == "payload" {
			code = http.StatusBadRequest // not JSON, or not an object
		}
		writeError(w, code, ve.Error(), ve.Fields)
	case errors.As(err, &forbidden):
		writeError(w, http.StatusForbidden, forbidden.msg, nil)
	case errors.Is(err, errNotFound):
		notFound(w, id, who)
	case errors.Is(err, caseclient.ErrNoCase): // the workflow ended meanwhile
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("%s is closed (or was never opened)", id), []*contract.FieldError{contract.Invalid("case", "is closed")})
	default:
		s.temporalError(w, r, id, err)
	}
}

// recordRefused writes a contact report the case refused before it entered history (its
// shape, or a rule of the case) to the audit log: who reported it, when and why it was
// refused. The case's own records of the same update cannot collide (their keys are the
// case's sequence numbers).
func (s *Server) recordRefused(ctx context.Context, caseKey, action string, who Agent, updateID, reason string) error {
	key := who.ID + ":" + updateID
	if updateID == "" {
		key = newRef() + newRef()
	}
	if len(reason) > 1000 {
		reason = reason[:1000]
	}
	_, err := s.DB.Exec(ctx, `INSERT INTO audit_log (record_key, case_id, at, kind, actor, accepted, reason, contact)
		VALUES ($1, $2, now(), $3, $4, false, $5, true) ON CONFLICT (record_key) DO NOTHING`,
		"api/"+caseKey+"/"+key, caseKey, action, who.ID, "refused report: "+strings.ToValidUTF8(reason, "?"))
	if err != nil {
		return fmt.Errorf("record the refused %s of %s: %w", action, caseKey, err)
	}
	return nil
}
