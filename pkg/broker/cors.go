package broker

import (
	"net/http"
	"slices"
	"strings"
)

const (
	corsMethods = "GET, HEAD, POST, PUT, DELETE, OPTIONS"
	corsHeaders = "Authorization, Content-Type, Content-MD5"
	corsMaxAge  = "600"
)

func (b *Broker) originAllowed(origin string) bool {
	return origin != "" && (slices.Contains(b.cfg.AllowedOrigins, "*") ||
		slices.Contains(b.cfg.AllowedOrigins, strings.ToLower(origin)))
}

// cors adds the CORS response headers for an allowed Origin. The broker
// takes bearer tokens, not cookies, so credentials are never allowed.
func (b *Broker) cors(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Add("Vary", "Origin")
	if origin := r.Header.Get("Origin"); b.originAllowed(origin) {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", "X-Request-Id, Location")
	}
}

// preflight answers OPTIONS on any route, without auth: browsers send no
// Authorization header on a preflight.
func (b *Broker) preflight(w http.ResponseWriter, r *http.Request) *apiError {
	origin := r.Header.Get("Origin")
	if !b.originAllowed(origin) {
		return errorf(http.StatusForbidden, "origin_not_allowed", "this origin is not in ALLOWED_ORIGINS")
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", corsMethods)
	h.Set("Access-Control-Allow-Headers", corsHeaders)
	h.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
