package ossemu

import (
	"net/http"
	"strconv"
	"strings"
)

// CORSRule is one bucket CORS rule (OSS documentation: PutBucketCors). Origins and headers may
// contain '*' wildcards; header names match case-insensitively; the first
// rule that matches wins.
type CORSRule struct {
	AllowedOrigins []string
	AllowedMethods []string // GET, PUT, DELETE, POST, HEAD
	AllowedHeaders []string
	ExposeHeaders  []string
	MaxAgeSeconds  int
}

// BrowserUploadCORS is the rule local mode needs for browser uploads with
// presigned URLs or PostObject: GET, PUT, POST, HEAD from origins (all when
// none given), any request header, and the response headers a browser
// client reads.
func BrowserUploadCORS(origins ...string) CORSRule {
	if len(origins) == 0 {
		origins = []string{"*"}
	}
	return CORSRule{
		AllowedOrigins: append([]string(nil), origins...),
		AllowedMethods: []string{"GET", "PUT", "POST", "HEAD"},
		AllowedHeaders: []string{"*"},
		ExposeHeaders:  []string{"ETag", "x-oss-request-id", "x-oss-hash-crc64ecma"},
		MaxAgeSeconds:  600,
	}
}

func (c *CORSRule) matchOrigin(origin string) bool {
	for _, o := range c.AllowedOrigins {
		if glob(o, origin) {
			return true
		}
	}
	return false
}

func (c *CORSRule) matchMethod(m string) bool {
	for _, am := range c.AllowedMethods {
		if strings.EqualFold(am, m) {
			return true
		}
	}
	return false
}

func (c *CORSRule) matchHeader(h string) bool {
	h = strings.ToLower(h)
	for _, ah := range c.AllowedHeaders {
		if glob(strings.ToLower(ah), h) {
			return true
		}
	}
	return false
}

// corsMessage is OSS's own text, typos included.
const corsMessage = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Requet-Headers are not whitelisted by the resource's CORS spec."

// preflight answers an unauthenticated OPTIONS request.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request, reqID string) {
	origin := r.Header.Get("Origin")
	method := r.Header.Get("Access-Control-Request-Method")
	if origin == "" {
		s.writeError(w, r, reqID, newErr(400, "BadRequest", "Insufficient information. Origin request header needed.", ""))
		return
	}
	if method == "" {
		s.writeError(w, r, reqID, newErr(400, "BadRequest", "Insufficient information. Request Access-Control-Request-Method header needed.", ""))
		return
	}
	var reqHeaders []string
	for _, v := range r.Header.Values("Access-Control-Request-Headers") {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				reqHeaders = append(reqHeaders, h)
			}
		}
	}
	for i := range s.cfg.CORS {
		rule := &s.cfg.CORS[i]
		if !rule.matchOrigin(origin) || !rule.matchMethod(method) {
			continue
		}
		ok := true
		for _, h := range reqHeaders {
			if !rule.matchHeader(h) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", strings.Join(rule.AllowedMethods, ", "))
		if len(reqHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.ToLower(strings.Join(reqHeaders, ", ")))
		}
		if len(rule.ExposeHeaders) > 0 {
			h.Set("Access-Control-Expose-Headers", strings.Join(rule.ExposeHeaders, ", "))
		}
		if rule.MaxAgeSeconds > 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(rule.MaxAgeSeconds))
		}
		h.Add("Vary", "Origin")
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return
	}
	s.writeError(w, r, reqID, newErr(403, "AccessForbidden", corsMessage, ""))
}

// addCORS sets the CORS headers of an actual (non-preflight) response, so
// that browsers can also read error responses.
func (s *Server) addCORS(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	for i := range s.cfg.CORS {
		rule := &s.cfg.CORS[i]
		if !rule.matchOrigin(origin) || !rule.matchMethod(r.Method) {
			continue
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", strings.Join(rule.AllowedMethods, ", "))
		if len(rule.ExposeHeaders) > 0 {
			h.Set("Access-Control-Expose-Headers", strings.Join(rule.ExposeHeaders, ", "))
		}
		if rule.MaxAgeSeconds > 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(rule.MaxAgeSeconds))
		}
		h.Add("Vary", "Origin")
		return
	}
}
