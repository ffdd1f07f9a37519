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
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/casework/casework/backoffice"
	"github.com/casework/casework/book"
	"github.com/casework/casework/contract"
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
	s.limiter = newLimiter(s.Limit)
	s.failures = newLimiter(FailedAuthRate)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPI)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
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
	if s.Codec != nil {
		mux.Handle("/codec/", http.StripPrefix("/codec", s.Codec))
		if s.Ops != nil {
			mux.Handle("/codec/login", s.Ops.Login())
		}
	}
	return s.accessLog(limitBody(mux))
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
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string, fields []*contract.FieldError) {
	writeJSON(w, code, Error{Error: msg, Fields: fields})
}

// internal answers an error the caller cannot act on: logged with a reference, and only
// the reference goes to the caller (no database or Temporal detail).
func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	ref := newRef()
	s.Logger.Error("internal error", zap.String("ref", ref), zap.String("route", r.Pattern), zap.Error(err))
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

// Task is one entry of an agent's inbox.
type Task = contract.Task

// Inbox reads an agent's open tasks, soonest deadline first.
func Inbox(ctx context.Context, db *pgxpool.Pool, agent string) ([]Task, error) {
	rows, err := db.Query(ctx, `SELECT case_id, action, deadline, not_before, not_before_reason, coalesce(address_id, '')
		FROM tasks WHERE status = 'open' AND assignees @> ARRAY[$1] ORDER BY deadline`, agent)
	if err != nil {
		return nil, fmt.Errorf("inbox of %s: %w", agent, err)
	}
	tasks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Task, error) {
		var t Task
		err := row.Scan(&t.CaseID, &t.Action, &t.Deadline, &t.NotBefore, &t.NotBeforeReason, &t.AddressID)
		t.CaseID = contract.WorkflowIDOfCaseKey(t.CaseID) // a case key names its workflow
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("inbox of %s: %w", agent, err)
	}
	return tasks, nil
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
	tasks, err := Inbox(r.Context(), s.DB, agent)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"agentId": agent, "tasks": tasks})
}

// caseFor reads the case and checks that the agent may see it; it writes the error
// response and returns nil when not. "No such case" and "not yours" get one answer, so
// that nobody learns which accounts have a case.
func (s *Server) caseFor(w http.ResponseWriter, r *http.Request, id string, who Agent) *contract.Status {
	notFound := func() *contract.Status {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no case %s among the cases of %s", id, who.ID), nil)
		return nil
	}
	if _, err := contract.AccountFromWorkflowID(id); err != nil || len(id) > 200 {
		return notFound()
	}
	if who.Role != contract.RoleSupervisor {
		// an agent's cases are the ones with a task of theirs: asked of PostgreSQL first,
		// so that a case that is not theirs answers as fast as one that does not exist
		var theirs bool
		if err := s.DB.QueryRow(r.Context(), `SELECT EXISTS (SELECT 1 FROM tasks
			WHERE (case_id = $1 OR (case_id > $1 || '#' AND case_id < $1 || '$')) AND assignees @> ARRAY[$2] AND status <> 'void')`,
			id, who.ID).Scan(&theirs); err != nil {
			s.internal(w, r, err)
			return nil
		}
		if !theirs {
			return notFound()
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.CallTimeout)
	defer cancel()
	st, err := backoffice.Status(ctx, s.TC, id)
	var missing *serviceerror.NotFound
	switch {
	case errors.As(err, &missing):
		return notFound()
	case err != nil:
		s.temporalError(w, r, id, err)
		return nil
	case !mayAccess(st, who):
		return notFound()
	}
	return st
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
		if err != nil {
			writeError(w, http.StatusUnprocessableEntity, err.Error(), []*contract.FieldError{contract.Invalid(field, "%v", err)})
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

// actor is who a payload says acts: it must be the token's agent.
func actor(v any) []string {
	switch p := v.(type) {
	case *contract.PhoneVerified:
		return []string{p.AgentID}
	case *contract.VisitReport:
		return p.AgentIDs
	case *contract.NegotiationResult:
		return []string{p.AgentID}
	case *contract.AnomalyReport:
		return []string{p.ReportedBy}
	case *contract.SurveyResult:
		return []string{p.AgentID}
	case *contract.SupervisorAction:
		return []string{p.By}
	case *contract.Reassign:
		return []string{p.By}
	}
	return nil // payment-received names no agent
}

// act sends one human action to the case as an update. An Idempotency-Key header (at most
// 64 printable characters) becomes the update's id: a retried request is applied once.
func (s *Server) act(w http.ResponseWriter, r *http.Request, who Agent) {
	id, action := r.PathValue("case"), r.PathValue("action")
	if !slices.Contains(contract.Actions, action) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no action %q (want one of %s)", action, strings.Join(contract.Actions, ", ")), nil)
		return
	}
	updateID := r.Header.Get("Idempotency-Key")
	if err := contract.ValidText("Idempotency-Key", updateID, 64); err != nil || strings.ContainsAny(updateID, " \n\t") {
		writeError(w, http.StatusBadRequest, "Idempotency-Key: at most 64 printable characters without spaces", nil)
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	v, err := contract.Decode(action, body)
	var ve *contract.ValidationError
	if errors.As(err, &ve) {
		code := http.StatusUnprocessableEntity
		if len(ve.Fields) == 1 && ve.Fields[0].Field == "payload" {
			code = http.StatusBadRequest // not JSON, or not an object
		}
		if contactActions[action] { // the contact happened: its refused report is kept
			st := s.caseFor(w, r, id, who)
			if st == nil {
				return
			}
			if err := s.recordRefused(r.Context(), st, action, who, updateID, ve.Error()); err != nil {
				s.internal(w, r, err)
				return
			}
		}
		writeError(w, code, ve.Error(), ve.Fields)
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), nil)
		return
	}
	// everyone acts in their own name (a supervisor too); a payment names nobody and
	// comes from a supervisor's (or the payment system's) token
	names := actor(v)
	if (names == nil && who.Role != contract.RoleSupervisor) || (names != nil && !slices.Contains(names, who.ID)) {
		writeError(w, http.StatusForbidden, fmt.Sprintf("%s may only send %s in their own name", who.ID, action), nil)
		return
	}
	st := s.caseFor(w, r, id, who)
	if st == nil {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.CallTimeout)
	defer cancel()
	scoped := "" // a caller's key is theirs: scoped by the agent and the action
	if updateID != "" {
		scoped = "api:" + who.ID + ":" + action + ":" + updateID
	}
	h, err := s.TC.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		UpdateID: scoped, WorkflowID: id, UpdateName: action, Args: []any{json.RawMessage(body)}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var res map[string]any
	if err == nil {
		err = h.Get(ctx, &res)
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == "ValidationError" {
		var fields []*contract.FieldError
		var recorded bool                   // refused after it entered history: the case recorded it
		_ = app.Details(&fields, &recorded) // a rejection without fields still has its message
		if contactActions[action] && !recorded {
			if err := s.recordRefused(r.Context(), st, action, who, updateID, app.Message()); err != nil {
				s.internal(w, r, err)
				return
			}
		}
		writeError(w, http.StatusUnprocessableEntity, app.Message(), fields)
		return
	}
	var gone *serviceerror.NotFound
	if errors.As(err, &gone) { // the workflow ended between the status and the update
		writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("%s is closed", id), []*contract.FieldError{contract.Invalid("case", "is closed")})
		return
	}
	if err != nil {
		s.temporalError(w, r, id, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// contactActions are the reports of a contact with the debtor: refused, they are still
// written to the audit log, so that no contact vanishes.
var contactActions = map[string]bool{
	contract.ActionPhoneVerified: true, contract.ActionVisitReport: true,
	contract.ActionNegotiationResult: true, contract.ActionSurveyResult: true,
}

// recordRefused writes a contact report the case refused before it entered history (its
// shape, or a rule of the case) to the audit log: who reported it, when and why it was
// refused. The case's own records of the same update cannot collide (their keys are the
// case's sequence numbers).
func (s *Server) recordRefused(ctx context.Context, st *contract.Status, action string, who Agent, updateID, reason string) error {
	key := who.ID + ":" + updateID
	if updateID == "" {
		key = newRef() + newRef()
	}
	if len(reason) > 1000 {
		reason = reason[:1000]
	}
	caseKey := st.CaseKey
	if caseKey == "" {
		caseKey = st.CaseID
	}
	_, err := s.DB.Exec(ctx, `INSERT INTO audit_log (record_key, case_id, at, kind, actor, accepted, reason, contact)
		VALUES ($1, $2, now(), $3, $4, false, $5, true) ON CONFLICT (record_key) DO NOTHING`,
		"api/"+caseKey+"/"+key, caseKey, action, who.ID, "refused report: "+strings.ToValidUTF8(reason, "?"))
	if err != nil {
		return fmt.Errorf("record the refused %s of %s: %w", action, st.CaseID, err)
	}
	return nil
}
