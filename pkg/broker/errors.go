package broker

import (
	"encoding/json"
	"net/http"

	"github.com/ossbroker/ossbroker/pkg/internal/apierror"
)

// apiError is a documented error: an HTTP status and a stable code.
type apiError struct {
	status  int
	code    string
	message string
	allow   string // methods, for 405
	// challenge, when set, is the WWW-Authenticate value (RFC 6750:
	// invalid_token on a 401, insufficient_scope on a 403). Webhook 401s
	// have none: their senders use no bearer scheme.
	challenge string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errorf(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

// The errors every route shares. Token failures all look alike on purpose:
// the body never says which check failed.
var (
	errUnauthorized = &apiError{status: http.StatusUnauthorized, code: "unauthorized",
		message: "a valid bearer token is required", challenge: `Bearer error="invalid_token"`}
	errNotFound = errorf(http.StatusNotFound, "not_found", "no such route")
	errInternal = errorf(http.StatusInternalServerError, "internal", "internal error")
)

func writeError(w http.ResponseWriter, requestID string, e *apiError) {
	switch {
	case e.challenge != "":
		w.Header().Set("WWW-Authenticate", e.challenge)
	case e.allow != "":
		w.Header().Set("Allow", e.allow)
	}
	writeBody(w, e.status, apierror.JSON(e.code, e.message, requestID))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, apierror.JSON("internal", "internal error", "")
	}
	writeBody(w, status, body)
}

// writeBody sends a JSON body, never cached: it may hold a presigned URL.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}
