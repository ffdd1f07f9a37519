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

	"github.com/casework/casework/backoffice"
	"github.com/casework/casework/contract"
)

//go:embed openapi.json
var openAPI []byte

// Server serves the API over the database (tokens, inboxes) and Temporal (cases).
type Server struct {
	DB *pgxpool.Pool
	TC client.Client
}

// Error is every error response: the reason, and for a rejected payload its fields.
type Error struct {
	Error  string                 `json:"error"`
	Fields []*contract.FieldError `json:"fields,omitempty"`
}

// Handler routes the API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPI)
	})
	mux.HandleFunc("GET /v1/inbox", s.authed(s.inbox))
	mux.HandleFunc("GET /v1/cases/{case}", s.authed(s.status))
	mux.HandleFunc("POST /v1/cases/{case}/actions/{action}", s.authed(s.act))
	return mux
}

type handler func(w http.ResponseWriter, r *http.Request, who Agent)

// authed authenticates the request's bearer token before h.
func (s *Server) authed(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		who, err := Authenticate(r.Context(), s.DB, strings.TrimSpace(token))
		if errors.Is(err, ErrUnauthenticated) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="casework"`)
			writeError(w, http.StatusUnauthorized, err.Error(), nil)
			return
		}
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error(), nil)
			return
		}
		h(w, r, who)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string, fields []*contract.FieldError) {
	writeJSON(w, code, Error{Error: msg, Fields: fields})
}

// Task is one entry of an agent's inbox.
type Task struct {
	CaseID          string     `json:"caseId"`
	Action          string     `json:"action"`
	Deadline        time.Time  `json:"deadline"`
	NotBefore       *time.Time `json:"notBefore,omitempty"`
	NotBeforeReason string     `json:"notBeforeReason,omitempty"`
	AddressID       string     `json:"addressId,omitempty"`
}

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
		writeError(w, http.StatusInternalServerError, err.Error(), nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"agentId": agent, "tasks": tasks})
}

// caseFor reads the case and checks that the agent may see it; it writes the error
// response and returns nil when not.
func (s *Server) caseFor(ctx context.Context, w http.ResponseWriter, id string, who Agent) *contract.Status {
	st, err := backoffice.Status(ctx, s.TC, id)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) || !strings.HasPrefix(id, "case-") {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no case %s", id), nil)
		return nil
	}
	if err != nil {
		writeError(w, http.StatusBadGateway, err.Error(), nil)
		return nil
	}
	if !mayAccess(st, who) {
		writeError(w, http.StatusForbidden, fmt.Sprintf("%s is not assigned to %s", who.ID, id), nil)
		return nil
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
	if st := s.caseFor(r.Context(), w, r.PathValue("case"), who); st != nil {
		writeJSON(w, http.StatusOK, st)
	}
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

// act sends one human action to the case as an update.
func (s *Server) act(w http.ResponseWriter, r *http.Request, who Agent) {
	id, action := r.PathValue("case"), r.PathValue("action")
	if !slices.Contains(contract.Actions, action) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no action %q (want one of %s)", action, strings.Join(contract.Actions, ", ")), nil)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("read body: %v", err), nil)
		return
	}
	v, err := contract.Decode(action, body)
	var ve *contract.ValidationError
	if errors.As(err, &ve) {
		code := http.StatusUnprocessableEntity
		if len(ve.Fields) == 1 && ve.Fields[0].Field == "payload" {
			code = http.StatusBadRequest // not JSON, or not an object
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
	if s.caseFor(r.Context(), w, id, who) == nil {
		return
	}
	h, err := s.TC.UpdateWorkflow(r.Context(), client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: action, Args: []any{json.RawMessage(body)}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	var res map[string]any
	if err == nil {
		err = h.Get(r.Context(), &res)
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == "ValidationError" {
		var fields []*contract.FieldError
		_ = app.Details(&fields)
		writeError(w, http.StatusUnprocessableEntity, app.Message(), fields)
		return
	}
	if err != nil {
		writeError(w, http.StatusBadGateway, fmt.Sprintf("%s to %s: %v", action, id, err), nil)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
