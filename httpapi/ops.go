package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/casework/casework/codec"
)

// OpsAuth authenticates operations at the codec server: the operations credential as a
// bearer token (the temporal CLI's --codec-auth, TEMPORAL_CODEC_AUTH), or the session
// cookie a browser gets by typing the credential at /codec/login (the Web UI, with
// "include cross-origin credentials" on in its codec server settings).
type OpsAuth struct {
	secret   string
	bearer   codec.Authorizer
	secure   bool
	attempts *limiter // sign-in attempts per client address
}

// NewOpsAuth returns the authenticator of the operations credential secret; secure marks
// its cookie Secure (under TLS).
func NewOpsAuth(secret string, secure bool) *OpsAuth {
	return &OpsAuth{secret: secret, bearer: codec.BearerToken(secret), secure: secure, attempts: newLimiter(FailedAuthRate)}
}

const opsCookie = "cw_ops"

// opsSession is how long a browser's session lasts.
const opsSession = 8 * time.Hour

func (o *OpsAuth) sign(exp string) string {
	m := hmac.New(sha256.New, []byte(o.secret))
	m.Write([]byte("codec-session|" + exp))
	return hex.EncodeToString(m.Sum(nil))
}

// Authorize accepts the bearer credential or an unexpired session cookie.
func (o *OpsAuth) Authorize(r *http.Request) bool {
	if o.secret == "" {
		return false
	}
	if o.bearer(r) {
		return true
	}
	c, err := r.Cookie(opsCookie)
	if err != nil {
		return false
	}
	exp, sig, ok := strings.Cut(c.Value, ".")
	unix, err := strconv.ParseInt(exp, 10, 64)
	if !ok || err != nil || time.Now().Unix() > unix {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(sig), []byte(o.sign(exp))) == 1
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Casework codec server</title></head>
<body><main><h1>Casework codec server</h1>
<p>Operations sign in here so that the Temporal Web UI can decode payloads (turn on
"include cross-origin credentials" in the UI's codec server settings).</p>
{{if .}}<p role="alert">{{.}}</p>{{end}}
<form method="post"><label for="secret">Operations credential</label>
<input id="secret" name="secret" type="password" autocomplete="off" required>
<button type="submit">Sign in</button></form></main></body></html>`))

// Login serves the sign-in page (GET) and turns the credential into a session cookie
// (POST): HttpOnly, SameSite=Strict, Secure under TLS.
func (o *OpsAuth) Login() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action 'self'")
		switch r.Method {
		case http.MethodGet:
			_ = loginPage.Execute(w, "") // a failed write (the client went away) has nobody to tell
		case http.MethodPost:
			if wait, ok := o.attempts.allow(clientAddress(r), time.Now()); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
				w.WriteHeader(http.StatusTooManyRequests)
				_ = loginPage.Execute(w, "Too many sign-in attempts from this address: try again later.") // as above
				return
			}
			given := sha256.Sum256([]byte(r.PostFormValue("secret")))
			want := sha256.Sum256([]byte(o.secret))
			if o.secret == "" || subtle.ConstantTimeCompare(given[:], want[:]) != 1 {
				w.WriteHeader(http.StatusUnauthorized)
				_ = loginPage.Execute(w, "That is not the operations credential.") // as above
				return
			}
			exp := strconv.FormatInt(time.Now().Add(opsSession).Unix(), 10)
			http.SetCookie(w, &http.Cookie{Name: opsCookie, Value: exp + "." + o.sign(exp), Path: "/codec",
				MaxAge: int(opsSession.Seconds()), HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: o.secure})
			_, _ = fmt.Fprint(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed in</title></head><body><p>Signed in for 8 hours: the Web UI can decode payloads now.</p></body></html>`)
		default:
			w.Header().Set("Allow", "GET, POST")
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	})
}
