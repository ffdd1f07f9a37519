package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/casework/casework/caseclient"
	"github.com/casework/casework/contract"
	"github.com/casework/casework/rules"
)

// recordedID is what the id of an address or phone just recorded looks like (the page
// only repeats an id of that form).
var recordedID = regexp.MustCompile(`^(adr|ph)-[0-9]{1,19}$`)

// inboxPage: the person's open tasks, soonest deadline first, with when contact is
// allowed and why not earlier.
func (s *Server) inboxPage(w http.ResponseWriter, r *http.Request, who *session) {
	tasks, err := s.cases.Inbox(r.Context(), who.ID)
	if err != nil {
		s.internalPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "inbox", &page{Me: who, Data: tasks})
}

// caseData is the case page: where the case stands, when contact is allowed, the forms
// the person may send now, the timeline.
type caseData struct {
	St       *contract.Status
	Contacts []contactView
	Forms    []*formView
	Timeline []contract.TimelineEntry
	// NewContact is the form that records a new address or phone.
	NewContact *fieldView
	Recorded   string // the id of what was just recorded
}

// contactView is the contact check of one channel.
type contactView struct {
	Channel string
	Allowed bool
	From    *time.Time
	Reason  string
}

// formView is one action's form.
type formView struct {
	Spec    *contract.ActionSpec
	Key     string // the action's id: a form sent twice is applied once
	Fields  []*fieldView
	Problem string // a refusal that is not one field's
	Open    bool   // shown open: it was just refused
}

// fieldView is one field of a form, with what was typed and what is wrong with it.
type fieldView struct {
	contract.Field
	ID       string // the input's element id
	Input    string // text, textarea, select, checkbox
	Value    string
	Checked  bool
	Error    string
	Fixed    string // the actor: the signed-in person, shown and not asked
	New      bool   // also offers a new address or phone as text
	NewValue string
	NewError string
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request, who *session) {
	data, ok := s.caseData(w, r, who)
	if !ok {
		return
	}
	if rec := r.URL.Query().Get("recorded"); recordedID.MatchString(rec) {
		data.Recorded = rec
	}
	s.render(w, r, http.StatusOK, "case", &page{Me: who, Data: data})
}

// caseData reads the case for the person and builds its page; it answers the error page
// and returns false when they may not see it.
func (s *Server) caseData(w http.ResponseWriter, r *http.Request, who *session) (*caseData, bool) {
	id := r.PathValue("case")
	st, err := s.readCase(r.Context(), id, who.Agent)
	switch {
	case errors.Is(err, errNotFound):
		s.errorPage(w, r, who, http.StatusNotFound, fmt.Sprintf("no case %s among the cases of %s", id, who.ID))
		return nil, false
	case err != nil:
		s.Logger.Warn("console: case unavailable", zap.String("case", id), zap.Error(err))
		s.errorPage(w, r, who, http.StatusServiceUnavailable, fmt.Sprintf("%s did not answer: the case's worker may be down; try again later", id))
		return nil, false
	}
	d := &caseData{St: st, NewContact: &fieldView{Field: contract.Field{Name: "text"}, ID: "new-contact"}}
	now := time.Now()
	for _, ch := range []string{"call", "visit"} {
		if (ch == "call" && who.Role == contract.RoleField) || (ch == "visit" && who.Role == contract.RolePhone) {
			continue
		}
		at, why, err := rules.ContactAllowed(st, who.ID, ch, now)
		c := contactView{Channel: ch, Allowed: err == nil && !at.IsZero() && !at.After(now), Reason: why}
		if err != nil {
			c.Reason = err.Error()
		} else if !at.IsZero() {
			c.From = &at
		}
		d.Contacts = append(d.Contacts, c)
	}
	if st.Stage != contract.StageClosed {
		for i := range s.Actions {
			spec := &s.Actions[i]
			if spec.AllowedRole(who.Role) && spec.OpenIn(st.Stage) {
				d.Forms = append(d.Forms, newForm(spec, st, who, nil))
			}
		}
	}
	for i := len(st.Timeline) - 1; i >= 0 && len(d.Timeline) < 20; i-- {
		d.Timeline = append(d.Timeline, st.Timeline[i])
	}
	return d, true
}

// newForm builds an action's form; values are what was typed (nil: the defaults).
func newForm(spec *contract.ActionSpec, st *contract.Status, who *session, values url.Values) *formView {
	f := &formView{Spec: spec, Key: randomHex(32)}
	for _, field := range spec.Fields {
		v := &fieldView{Field: field, ID: spec.Name + "-" + field.Name, Input: "text"}
		switch field.Kind {
		case contract.KindNote, contract.KindInstallments:
			v.Input = "textarea"
		case contract.KindChoice:
			v.Input = "select"
		case contract.KindBool:
			v.Input = "checkbox"
		case contract.KindAddress, contract.KindPhone:
			v.New = true
		}
		if field.Kind == contract.KindAgent && field.Name == spec.Actor {
			v.Fixed = who.ID
		}
		if values != nil {
			v.Value = strings.Join(values[field.Name], "\n")
			v.Checked = v.Value == "true"
			v.NewValue = values.Get(contract.NewKey(field.Name))
		} else if field.Kind == contract.KindAddress && spec.Name == contract.ActionVisitReport {
			v.Value = st.VerifiedAddressID // a visit goes to the verified address
		}
		f.Fields = append(f.Fields, v)
	}
	return f
}

// actForm sends one action from its form, through the same send as the API. A refusal
// shows the case page again with the form open, what was typed, and each reason next to
// its field.
func (s *Server) actForm(w http.ResponseWriter, r *http.Request, who *session) {
	id, action := r.PathValue("case"), r.PathValue("action")
	spec, ok := s.Actions.Lookup(action)
	if !ok {
		s.errorPage(w, r, who, http.StatusNotFound, fmt.Sprintf("no action %q", action))
		return
	}
	key := r.PostForm.Get("key")
	if err := contract.ValidText("key", key, 64); err != nil || strings.ContainsAny(key, " \n\t") {
		s.errorPage(w, r, who, http.StatusBadRequest, "the form's key is not valid: open the page again")
		return
	}
	caseKey, known, err := s.access(r.Context(), id, who.Agent)
	if errors.Is(err, errNotFound) {
		s.errorPage(w, r, who, http.StatusNotFound, fmt.Sprintf("no case %s among the cases of %s", id, who.ID))
		return
	}
	if err != nil {
		s.internalPage(w, r, err)
		return
	}
	if !spec.AllowedRole(who.Role) {
		s.refusedForm(w, r, who, spec, &errForbidden{fmt.Sprintf("%s is a %s agent: %s is sent by %s", who.ID, who.Role, spec.Name, strings.Join(spec.Roles, " or "))})
		return
	}
	in := map[string][]string{}
	for k, v := range r.PostForm {
		if k != "csrf" && k != "key" {
			in[k] = v
		}
	}
	payload, err := s.Actions.Prepare(r.Context(), action, in, who.ID, time.Now(), s.recorder(id, who, spec))
	var ve *contract.ValidationError
	if errors.As(err, &ve) && spec.Contact && known { // the contact happened: its refused report is kept
		if rerr := s.recordRefused(r.Context(), caseKey, action, who.Agent, key, ve.Error()); rerr != nil {
			s.internalPage(w, r, rerr)
			return
		}
	}
	if err == nil {
		_, err = s.send(r.Context(), spec, id, who.Agent, key, payload)
	}
	if err == nil {
		http.Redirect(w, r, "/cases/"+url.PathEscape(id)+"?done="+url.QueryEscape(action), http.StatusSeeOther)
		return
	}
	s.refusedForm(w, r, who, spec, err)
}

// refusedForm shows the case page again with the refused form open.
func (s *Server) refusedForm(w http.ResponseWriter, r *http.Request, who *session, spec *contract.ActionSpec, err error) {
	code := http.StatusUnprocessableEntity
	var fields []*contract.FieldError
	problem := ""
	var refused *caseclient.Refused
	var ve *contract.ValidationError
	var forbidden *errForbidden
	switch {
	case errors.As(err, &refused):
		fields, problem = refused.Fields, refused.Error()
	case errors.As(err, &ve):
		fields, problem = ve.Fields, ve.Error()
	case errors.As(err, &forbidden):
		problem, code = forbidden.msg, http.StatusForbidden
	case errors.Is(err, errNotFound):
		s.errorPage(w, r, who, http.StatusNotFound, fmt.Sprintf("no case %s among the cases of %s", r.PathValue("case"), who.ID))
		return
	case errors.Is(err, caseclient.ErrNoCase):
		problem = r.PathValue("case") + " is closed"
	default:
		s.Logger.Warn("console: action not confirmed", zap.String("case", r.PathValue("case")), zap.String("action", spec.Name), zap.Error(err))
		problem = fmt.Sprintf("%s did not answer in time (its worker may be down): the action may or may not have been applied; sending this form again applies it once", r.PathValue("case"))
		code = http.StatusServiceUnavailable
	}
	data, ok := s.caseData(w, r, who)
	if !ok {
		return
	}
	form := newForm(spec, data.St, who, r.PostForm)
	form.Open = true
	if k := r.PostForm.Get("key"); k != "" {
		form.Key = k // sent again, the same action: applied once, whatever happened to the first
	}
	// the reasons go next to their fields; the others (the case, the payload) above the form
	var other []string
	for _, fe := range fields {
		if fv := fieldOf(form, fe.Field); fv != nil {
			if fe.Field == contract.NewKey(fv.Name) {
				fv.NewError = joinReason(fv.NewError, fe.Reason)
			} else {
				fv.Error = joinReason(fv.Error, fieldPrefix(fe.Field, fv.Name)+fe.Reason)
			}
			continue
		}
		other = append(other, fe.Error())
	}
	form.Problem = strings.Join(other, "; ")
	if form.Problem == "" && len(fields) == 0 {
		form.Problem = problem
	}
	replaced := false
	for i, f := range data.Forms {
		if f.Spec.Name == spec.Name {
			data.Forms[i], replaced = form, true
		}
	}
	if !replaced { // not offered in this stage: shown anyway, with why
		data.Forms = append([]*formView{form}, data.Forms...)
	}
	s.render(w, r, code, "case", &page{Me: who, Problem: problem, Data: data})
}

// fieldOf finds the form's field a field error names: "installments[1].amount" is the
// installments field's, "addressId.new" the new address's.
func fieldOf(f *formView, name string) *fieldView {
	base, _, _ := strings.Cut(name, "[")
	base, _, _ = strings.Cut(base, ".")
	for _, fv := range f.Fields {
		if fv.Name == base {
			return fv
		}
	}
	return nil
}

// fieldPrefix names the part of a field a reason is about ("installments[1].amount: ").
func fieldPrefix(full, base string) string {
	if full == base {
		return ""
	}
	return strings.TrimPrefix(full, base) + ": "
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// contactForm records a new address or phone for the case's account and shows its id.
func (s *Server) contactForm(w http.ResponseWriter, r *http.Request, who *session) {
	id := r.PathValue("case")
	kind, text := r.PostForm.Get("kind"), r.PostForm.Get("text")
	problem := ""
	switch {
	case kind != "address" && kind != "phone":
		problem = "kind: must be address or phone"
	case contract.ValidText("text", text, 500) != nil || strings.TrimSpace(text) == "" || strings.ContainsAny(text, "\n\t"):
		problem = "one line of text, at most 500 bytes, no control characters"
	}
	var rid string
	if problem == "" {
		fk := contract.KindAddress
		if kind == "phone" {
			fk = contract.KindPhone
		}
		var err error
		rid, err = s.recorder(id, who, nil)(r.Context(), fk, text)
		if errors.Is(err, errNotFound) {
			s.errorPage(w, r, who, http.StatusNotFound, fmt.Sprintf("no case %s among the cases of %s", id, who.ID))
			return
		}
		if err != nil {
			problem = err.Error()
		}
	}
	if problem == "" {
		http.Redirect(w, r, "/cases/"+url.PathEscape(id)+"?recorded="+url.QueryEscape(rid), http.StatusSeeOther)
		return
	}
	data, ok := s.caseData(w, r, who)
	if !ok {
		return
	}
	data.NewContact.Value, data.NewContact.Error = text, problem
	s.render(w, r, http.StatusUnprocessableEntity, "case", &page{Me: who, Data: data})
}

// alertsPage: what the cases told the supervisors; acknowledged ones with who and when.
func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request, who *session) {
	list, err := Alerts(r.Context(), s.DB, r.URL.Query().Get("all") == "true")
	if err != nil {
		s.internalPage(w, r, err)
		return
	}
	p := &page{Me: who, Data: list}
	if r.URL.Query().Get("acked") == "1" {
		p.Flash = uiText("Alert acknowledged.", lang(w, r))
	}
	s.render(w, r, http.StatusOK, "alerts", p)
}

// ackForm acknowledges an alert, once, in the audit log.
func (s *Server) ackForm(w http.ResponseWriter, r *http.Request, who *session) {
	key := r.PostForm.Get("alertKey")
	if contract.ValidText("alertKey", key, 300) != nil || key == "" {
		s.errorPage(w, r, who, http.StatusUnprocessableEntity, "alertKey is required")
		return
	}
	_, err := Acknowledge(r.Context(), s.DB, key, who.ID)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		s.errorPage(w, r, who, http.StatusNotFound, "no alert "+key)
	case errors.Is(err, ErrAcknowledged):
		s.errorPage(w, r, who, http.StatusConflict, "alert "+key+" is already acknowledged")
	case err != nil:
		s.internalPage(w, r, err)
	default:
		http.Redirect(w, r, "/alerts?acked=1", http.StatusSeeOther)
	}
}

// teamCase is one open case in the supervisor's list.
type teamCase struct {
	CaseID, Stage, Pending, Region string
	Paused, Hold                   bool
	Violations                     int
	AmountDue, AmountPaid          int64
	Updated                        time.Time
}

// teamPage: the open cases of the supervisor's region (?all=true: every region), most
// recently changed first.
func (s *Server) teamPage(w http.ResponseWriter, r *http.Request, who *session) {
	all := r.URL.Query().Get("all") == "true"
	rows, err := s.DB.Query(r.Context(), `SELECT case_id, stage, pending_action, region, paused, hold, violations, amount_due, amount_paid, updated_at
		FROM cases WHERE closed_at IS NULL AND ($2 OR region = (SELECT region FROM agents WHERE agent_id = $1))
		ORDER BY updated_at DESC LIMIT 200`, who.ID, all)
	if err != nil {
		s.internalPage(w, r, err)
		return
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (teamCase, error) {
		var c teamCase
		err := row.Scan(&c.CaseID, &c.Stage, &c.Pending, &c.Region, &c.Paused, &c.Hold, &c.Violations, &c.AmountDue, &c.AmountPaid, &c.Updated)
		c.CaseID = contract.WorkflowIDOfCaseKey(c.CaseID)
		return c, err
	})
	if err != nil {
		s.internalPage(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "team", &page{Me: who, Data: map[string]any{"Cases": list, "All": all}})
}

// agentRow is one agent on the tokens page.
type agentRow struct {
	ID, Role, Region        string
	Active                  bool
	Tokens, Sessions, Codes int
}

// tokensData is the tokens page: the agents, and a code or token just issued (shown once).
type tokensData struct {
	Agents  []agentRow
	Issued  string
	For     string
	Kind    string
	Expires time.Time
}

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request, who *session) {
	s.showTokens(w, r, who, http.StatusOK, &tokensData{}, "")
}

func (s *Server) showTokens(w http.ResponseWriter, r *http.Request, who *session, code int, d *tokensData, problem string) {
	rows, err := s.DB.Query(r.Context(), `SELECT g.agent_id, g.role, g.region, g.active,
		(SELECT count(*) FROM agent_tokens t WHERE t.agent_id = g.agent_id AND t.revoked_at IS NULL AND t.expires_at > now()),
		(SELECT count(*) FROM console_sessions c WHERE c.agent_id = g.agent_id AND c.ended_at IS NULL AND c.expires_at > now()),
		(SELECT count(*) FROM signin_codes c WHERE c.agent_id = g.agent_id AND c.used_at IS NULL AND c.expires_at > now())
		FROM agents g ORDER BY g.role, g.agent_id LIMIT 1000`)
	if err != nil {
		s.internalPage(w, r, err)
		return
	}
	d.Agents, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (agentRow, error) {
		var a agentRow
		err := row.Scan(&a.ID, &a.Role, &a.Region, &a.Active, &a.Tokens, &a.Sessions, &a.Codes)
		return a, err
	})
	if err != nil {
		s.internalPage(w, r, err)
		return
	}
	s.render(w, r, code, "tokens", &page{Me: who, Problem: problem, Data: d})
}

// tokensForm issues a sign-in code or an API token for an agent (shown once), or revokes
// every token, session and code of theirs. A supervisor's own are operations' business.
func (s *Server) tokensForm(w http.ResponseWriter, r *http.Request, who *session) {
	agent, op := r.PostForm.Get("agentId"), r.PostForm.Get("op")
	if !slices.Contains([]string{"code", "token", "revoke"}, op) {
		s.showTokens(w, r, who, http.StatusUnprocessableEntity, &tokensData{}, "op: must be code, token or revoke")
		return
	}
	var role string
	err := s.DB.QueryRow(r.Context(), `SELECT role FROM agents WHERE agent_id = $1`, agent).Scan(&role)
	switch {
	case errors.Is(err, pgx.ErrNoRows) || contract.ValidText("agentId", agent, 128) != nil:
		s.showTokens(w, r, who, http.StatusUnprocessableEntity, &tokensData{}, fmt.Sprintf("agentId: no agent %q", agent))
		return
	case err != nil:
		s.internalPage(w, r, err)
		return
	case role == contract.RoleSupervisor:
		s.showTokens(w, r, who, http.StatusForbidden, &tokensData{}, "a supervisor's codes and tokens are issued and revoked by operations (bin/starter token), not here")
		return
	}
	d := &tokensData{For: agent, Kind: op}
	switch op {
	case "code":
		d.Issued, d.Expires, err = IssueCode(r.Context(), s.DB, who.ID, agent)
	case "token":
		d.Issued, d.Expires, err = Issue(r.Context(), s.DB, who.ID, agent, 0)
	case "revoke":
		var n int64
		n, err = Revoke(r.Context(), s.DB, who.ID, agent)
		d.Issued = fmt.Sprint(n)
	}
	if err != nil {
		s.showTokens(w, r, who, http.StatusUnprocessableEntity, &tokensData{}, err.Error())
		return
	}
	s.Logger.Info("console: "+op, zap.String("by", who.ID), zap.String("agent", agent))
	s.showTokens(w, r, who, http.StatusOK, d, "")
}
