package codec

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"go.temporal.io/sdk/converter"
)

// MaxBodyBytes bounds the body of an /encode or /decode request; larger
// requests get 413.
const MaxBodyBytes = 4 << 20

// Authorizer decides whether a codec server request may proceed. It is not
// consulted for CORS preflight (OPTIONS) requests, which browsers send
// without credentials.
type Authorizer func(r *http.Request) bool

// BearerToken accepts requests carrying "Authorization: Bearer <secret>",
// compared in constant time. An empty secret is a misconfiguration, so the
// returned Authorizer then refuses every request rather than letting an
// empty token in.
func BearerToken(secret string) Authorizer {
	if secret == "" {
		return func(*http.Request) bool { return false }
	}
	// Comparing digests keeps the comparison constant-time in the length
	// of the secret too.
	want := sha256.Sum256([]byte(secret))
	return func(r *http.Request) bool {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return false
		}
		got := sha256.Sum256([]byte(strings.TrimSpace(token)))
		return subtle.ConstantTimeCompare(got[:], want[:]) == 1
	}
}

// Handler returns the codec server for the Temporal Web UI and CLI: POST
// /encode and POST /decode, with bodies and answers as
// converter.NewPayloadCodecHTTPHandler defines them ({"payloads": [...]} in
// protobuf JSON), using the same PayloadCodec as NewDataConverter.
//
// Paths are matched exactly, so mount it at the root of its own server or
// under a prefix with http.StripPrefix, e.g.
//
//	mux.Handle("/codec/", http.StripPrefix("/codec", codec.Handler(k, auth, origins)))
//
// and point the UI and CLI at https://host/codec. Every other path is 404.
//
// Requests the Authorizer rejects (a nil Authorizer rejects all) get 401
// with a JSON body {"error": "..."}. For an Origin that exactly matches one
// of allowedOrigins (scheme://host[:port], as the browser sends it) the
// response carries CORS headers allowing credentials and the Content-Type,
// X-Namespace and Authorization headers the UI sends; OPTIONS preflights are
// answered 204 without authentication. Other origins get no CORS headers,
// so browsers on them cannot read the answers. It panics if k is nil.
func Handler(k *Keyring, auth Authorizer, allowedOrigins []string) http.Handler {
	origins := make(map[string]bool, len(allowedOrigins))
	for _, o := range allowedOrigins {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			origins[o] = true
		}
	}
	if auth == nil {
		auth = func(*http.Request) bool { return false }
	}
	return &codecServer{
		inner:   converter.NewPayloadCodecHTTPHandler(NewPayloadCodec(k)),
		auth:    auth,
		origins: origins,
	}
}

type codecServer struct {
	inner   http.Handler
	auth    Authorizer
	origins map[string]bool
}

func (s *codecServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// The answer depends on Origin whenever CORS is configured; tell caches.
	h.Add("Vary", "Origin")
	if origin := r.Header.Get("Origin"); origin != "" && s.origins[origin] {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
		h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	}

	var op string
	switch strings.TrimPrefix(r.URL.Path, "/") {
	case "encode":
		op = "/encode"
	case "decode":
		op = "/decode"
	default:
		writeJSONError(w, http.StatusNotFound, "not found: the codec server serves POST /encode and POST /decode")
		return
	}

	switch r.Method {
	case http.MethodOptions:
		// CORS preflight: browsers send it without credentials.
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodPost:
	default:
		if !s.auth(r) {
			unauthorized(w)
			return
		}
		h.Set("Allow", "POST, OPTIONS")
		writeJSONError(w, http.StatusMethodNotAllowed, "method not allowed: use POST")
		return
	}

	if !s.auth(r) {
		unauthorized(w)
		return
	}

	if r.ContentLength > MaxBodyBytes {
		tooLarge(w)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			tooLarge(w)
			return
		}
		writeJSONError(w, http.StatusBadRequest, "reading request body: "+err.Error())
		return
	}

	// Hand the SDK handler a request whose path ends in /encode or /decode
	// however this handler was mounted, with the body already read.
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path, u.RawPath = op, ""
	r2.URL = &u
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	s.inner.ServeHTTP(w, r2)
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="casework-codec"`)
	writeJSONError(w, http.StatusUnauthorized, "unauthorized: send Authorization: Bearer <codec token>")
}

func tooLarge(w http.ResponseWriter) {
	writeJSONError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", MaxBodyBytes))
}

func writeJSONError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg}) // the status is sent: a failed write (the client went away) has nobody to tell
}
