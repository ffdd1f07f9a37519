package httpapi

import (
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/casework/casework/book"
	"github.com/casework/casework/contract"
)

// The web console (DESIGN.md "The web console"): server-rendered pages over the same
// checks as the API. A person signs in with a one-time code and gets a session cookie
// (HttpOnly, SameSite=Strict, Secure under TLS); every form carries the session's
// cross-site request token, and a request from another site is refused whatever it
// carries. Forms are generated from the action table, and their payloads go through the
// same send as the API's (Server.send).

//go:embed console
var consoleFiles embed.FS

// sessionCookie names the console's session cookie (with the __Host- prefix when it is
// Secure: no sibling host can set it); langCookie the chosen language.
const (
	sessionCookie = "cw_session"
	langCookie    = "cw_lang"
)

// secure tells whether the session cookie is Secure: under TLS, or always when TLS ends
// at a proxy in front (Server.SecureCookies).
func (s *Server) secure(r *http.Request) bool { return s.SecureCookies || r.TLS != nil }

func (s *Server) cookieName(r *http.Request) string {
	if s.secure(r) {
		return "__Host-" + sessionCookie
	}
	return sessionCookie
}

// formErrorCode is the answer to a form that could not be read: 413 past MaxBody.
func formErrorCode(err error) int {
	if errors.As(err, new(*http.MaxBytesError)) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// pages are the console's templates, each with the layout.
var pages = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, name := range []string{"login", "inbox", "case", "alerts", "team", "tokens", "error"} {
		m[name] = template.Must(template.New("layout.html").Funcs(template.FuncMap{
			"add": func(a, b int) int { return a + b },
		}).ParseFS(consoleFiles, "console/layout.html", "console/"+name+".html"))
	}
	return m
}()

// consoleRoutes adds the console's pages to the mux.
func (s *Server) consoleRoutes(mux *http.ServeMux) {
	static, _ := fs.Sub(consoleFiles, "console/static") // a directory of the embedded files: cannot fail
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.signedIn(s.logout))
	mux.HandleFunc("GET /{$}", s.signedIn(s.inboxPage))
	mux.HandleFunc("GET /cases/{case}", s.signedIn(s.casePage))
	mux.HandleFunc("POST /cases/{case}/act/{action}", s.signedIn(s.actForm))
	mux.HandleFunc("POST /cases/{case}/contacts", s.signedIn(s.contactForm))
	mux.HandleFunc("GET /alerts", s.signedIn(s.supervisorOnly(s.alertsPage)))
	mux.HandleFunc("POST /alerts/ack", s.signedIn(s.supervisorOnly(s.ackForm)))
	mux.HandleFunc("GET /team", s.signedIn(s.supervisorOnly(s.teamPage)))
	mux.HandleFunc("GET /tokens", s.signedIn(s.supervisorOnly(s.tokensPage)))
	mux.HandleFunc("POST /tokens", s.signedIn(s.supervisorOnly(s.tokensForm)))
}

// page is what every template gets: the person, their language, the form token, and the
// page's own data.
type page struct {
	Lang    string
	Me      *session
	Path    string // this page, for the language switch
	Flash   string // what the last action did
	Problem string // why it was refused, as a whole
	Data    any
	now     time.Time
}

// T is a text of the console in the page's language.
func (p *page) T(key string) string { return uiText(key, p.Lang) }

// In is a contract text in the page's language.
func (p *page) In(t contract.Text) string { return t.In(p.Lang) }

// When formats a time for people (UTC, and how far away it is).
func (p *page) When(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	d := t.Sub(p.now).Round(time.Minute)
	rel := ""
	switch {
	case d > 0:
		rel = fmt.Sprintf(p.T("in %s"), short(d))
	case d < 0:
		rel = fmt.Sprintf(p.T("%s ago"), short(-d))
	}
	return strings.TrimSpace(t.UTC().Format("2006-01-02 15:04 UTC") + " " + rel)
}

// WhenP formats an optional time.
func (p *page) WhenP(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return p.When(*t)
}

// Title is an action's title in the page's language.
func (p *page) Title(action string) string {
	if spec, ok := contract.Table.Lookup(action); ok {
		return spec.Title.In(p.Lang)
	}
	return action
}

func short(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dm", int(d.Minutes()))
}

// lang is the language of the request: ?lang=, else the cookie, else Accept-Language.
func lang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "zh" || l == "en" {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteStrictMode, HttpOnly: true})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "zh" || c.Value == "en") {
		return c.Value
	}
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Accept-Language")), "zh") {
		return "zh"
	}
	return "en"
}

// render writes a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, name string, p *page) {
	p.Lang = lang(w, r)
	p.Path = r.URL.Path
	p.now = time.Now()
	if done, ok := s.Actions.Lookup(r.URL.Query().Get("done")); ok && p.Flash == "" && p.Me != nil {
		p.Flash = fmt.Sprintf(p.T("Done: %s."), done.Title.In(p.Lang))
	}
	var b strings.Builder
	if err := pages[name].Execute(&b, p); err != nil {
		s.internalPage(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(b.String()))
}

// internalPage answers an error the person cannot act on: logged with a reference.
func (s *Server) internalPage(w http.ResponseWriter, r *http.Request, err error) {
	ref := newRef()
	s.Logger.Error("internal error", zap.String("ref", ref), zap.String("route", r.Pattern), zap.Error(err), traceID(r.Context()))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = fmt.Fprintf(w, "internal error (reference %s in the server's log)\n", ref)
}

// errorPage shows a refusal that is not a form's (no such case, not a supervisor).
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, who *session, code int, msg string) {
	s.render(w, r, code, "error", &page{Me: who, Problem: msg})
}

// crossSite reports a request sent from another site: browsers say so in Sec-Fetch-Site,
// older ones in Origin. (SameSite=Strict keeps the cookie off such requests; this refuses
// them even where a browser would not, and a form token is required besides.)
func crossSite(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site != "same-origin" && site != "none"
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		return err != nil || u.Host != r.Host
	}
	return false
}

type consoleHandler func(w http.ResponseWriter, r *http.Request, who *session)

// signedIn finds the request's session (else: the sign-in page) and, for a POST, checks
// its cross-site request token and where it comes from.
func (s *Server) signedIn(h consoleHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(s.cookieName(r))
		var who session
		if err == nil {
			who, err = sessionOf(r.Context(), s.DB, c.Value)
		}
		if err != nil && !errors.Is(err, ErrUnauthenticated) && !errors.Is(err, http.ErrNoCookie) {
			s.internalPage(w, r, err)
			return
		}
		if err != nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			s.render(w, r, http.StatusUnauthorized, "login", &page{Problem: uiText("Sign in first.", lang(w, r))})
			return
		}
		setAgent(r, who.ID)
		if wait, ok := s.limiter.allow(who.ID, time.Now()); !ok {
			w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
			s.errorPage(w, r, &who, http.StatusTooManyRequests, fmt.Sprintf("too many requests from %s: at most %g a second", who.ID, s.Limit.PerSecond))
			return
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				s.errorPage(w, r, &who, formErrorCode(err), "the form could not be read: "+err.Error())
				return
			}
			token := r.PostForm.Get("csrf")
			if crossSite(r) || token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(who.CSRF)) != 1 {
				s.Logger.Warn("console: cross-site or forged form refused", zap.String("agent", who.ID), zap.String("route", r.Pattern))
				s.errorPage(w, r, &who, http.StatusForbidden, uiText("This form did not come from your session of the console: open the page again and resend it.", lang(w, r)))
				return
			}
		}
		h(w, r, &who)
	}
}

// supervisorOnly refuses agents.
func (s *Server) supervisorOnly(h consoleHandler) consoleHandler {
	return func(w http.ResponseWriter, r *http.Request, who *session) {
		if who.Role != "supervisor" {
			s.errorPage(w, r, who, http.StatusForbidden, fmt.Sprintf(uiText("%s is not a supervisor: this page is for supervisors.", lang(w, r)), who.ID))
			return
		}
		h(w, r, who)
	}
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login", &page{})
}

// login turns a one-time code into a session cookie. Failures count against the client's
// address, as the API's failed tokens do.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if crossSite(r) {
		s.render(w, r, http.StatusForbidden, "login", &page{Problem: uiText("This form did not come from your session of the console: open the page again and resend it.", lang(w, r))})
		return
	}
	client := clientAddress(r)
	if wait, blocked := s.failures.blocked(client, time.Now()); blocked { // not even asked
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		s.render(w, r, http.StatusTooManyRequests, "login", &page{Problem: uiText("Too many failed sign-ins from this address: try again later.", lang(w, r))})
		return
	}
	if err := r.ParseForm(); err != nil {
		s.render(w, r, formErrorCode(err), "login", &page{Problem: err.Error()})
		return
	}
	token, who, err := redeem(r.Context(), s.DB, r.PostForm.Get("code"))
	if errors.Is(err, ErrBadCode) {
		s.Logger.Warn("console: failed sign-in", zap.String("client", client))
		s.failures.allow(client, time.Now())
		s.render(w, r, http.StatusUnauthorized, "login", &page{Problem: uiText(ErrBadCode.Error(), lang(w, r))})
		return
	}
	if err != nil {
		s.internalPage(w, r, err)
		return
	}
	s.Logger.Info("console: signed in", zap.String("agent", who.ID), zap.String("code issued by", who.issuedBy))
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(r), Value: token, Path: "/", Expires: who.ExpiresAt,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r)})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ *session) {
	if c, err := r.Cookie(s.cookieName(r)); err == nil {
		if err := endSession(r.Context(), s.DB, c.Value); err != nil {
			s.internalPage(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(r), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(r)})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// recorder records a new address or phone of a case's account for the console: only for a
// person assigned to the case now and, for an action's form (spec), one their role sends
// in the case's stage. Its errors are the person's to read: a database failure is logged
// and only its reference shown.
func (s *Server) recorder(caseID string, who *session, spec *contract.ActionSpec) contract.Recorder {
	return func(ctx context.Context, kind contract.FieldKind, text string) (string, error) {
		st, err := s.readCase(ctx, caseID, who.Agent)
		if errors.Is(err, errNotFound) {
			return "", err
		}
		if err != nil {
			return "", s.hidden(err)
		}
		if spec != nil && (!spec.AllowedRole(who.Role) || !spec.OpenIn(st.Stage)) {
			return "", fmt.Errorf("not recorded: %s is not for %s in stage %s", spec.Name, who.ID, st.Stage)
		}
		record := book.RecordAddress
		if kind == contract.KindPhone {
			record = book.RecordPhone
		}
		id, err := record(ctx, s.DB, st.AccountID, text, who.ID)
		if err != nil && !errors.Is(err, book.ErrInvalid) {
			return "", s.hidden(err)
		}
		return id, err
	}
}

// hidden logs an error a person cannot act on and returns what they may read of it.
func (s *Server) hidden(err error) error {
	ref := newRef()
	s.Logger.Error("internal error", zap.String("ref", ref), zap.Error(err))
	return fmt.Errorf("could not be done now (reference %s in the server's log); try again later", ref)
}
