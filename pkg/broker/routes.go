package broker

import (
	"net/http"
	"strings"
)

// CallbackPath is the route OSS calls back after an upload that carried the
// broker's callback: Config.CallbackURL is the function's public base URL
// followed by CallbackPath.
const CallbackPath = "/v1/callbacks/oss"

const (
	objectsPrefix  = "/v1/objects/"
	webhooksPrefix = "/v1/webhooks/"
	uppyS3Path     = "/v1/uppy/s3"
)

// routes is the whole HTTP API, one line a route: the methods it answers
// (as its 405's Allow header lists them), its path, who authenticates the
// caller, and its handler. openapi.yaml describes the same routes
// (TestRouteTableMatchesOpenAPI).
//
// ServeHTTP matches the raw path, not [http.ServeMux], which would clean
// "..", "//" and "%2F" out of object keys before the key gate could judge
// them: a path ending in a {parameter} matches every path under its
// prefix, and the rest of the path, '/' and escapes included, is the
// parameter. OPTIONS on any path is the CORS preflight (cors.go); a path
// no route matches is 404, or Config.Extra's for GET and HEAD outside /v1/.
var routes = []route{
	{"GET, HEAD", "/healthz", noAuth, exact((*Broker).healthz)},
	{"GET, HEAD", "/openapi.yaml", noAuth, exact((*Broker).openAPI)},
	{"POST", "/v1/presign", bearerJWT, exact((*Broker).presign)},
	{"POST", "/v1/presign-post", bearerJWT, exact((*Broker).presignPost)},
	{"POST", "/v1/presign-get", bearerJWT, exact((*Broker).presignGet)},
	{"POST", "/v1/multipart", bearerJWT, exact((*Broker).multipartInitiate)},
	{"POST", "/v1/multipart/parts", bearerJWT, exact((*Broker).multipartParts)},
	{"POST", "/v1/multipart/complete", bearerJWT, exact((*Broker).multipartComplete)},
	{"POST", "/v1/multipart/abort", bearerJWT, exact((*Broker).multipartAbort)},
	{"POST", "/v1/multipart/list", bearerJWT, exact((*Broker).multipartList)},
	{"POST", "/v1/uppy/sign", bearerJWT, exact((*Broker).uppySign)},
	{"GET, POST, DELETE", uppyS3Path, bearerJWT, exact((*Broker).uppyS3)},
	{"PUT, POST", objectsPrefix + "{key}", bearerJWT, (*Broker).putObject},
	{"POST", CallbackPath, ossSignature, exact((*Broker).ossCallback)},
	{"POST", webhooksPrefix + "{source}", senderSignature, (*Broker).webhook},
}

// route is one line of routes.
type route struct {
	methods string // listed as in an Allow header: "GET, HEAD"
	path    string // exact, or a prefix followed by one {parameter}
	auth    authn
	serve   handler
}

// authn is who authenticates a route's caller.
type authn string

const (
	bearerJWT       authn = "bearer JWT"                  // Authorization: Bearer, checked by the handler
	ossSignature    authn = "OSS's RSA signature"         // osscallback.Verifier
	senderSignature authn = "the webhook sender's HMAC"   // webhook.Source
	noAuth          authn = "none (public, no user data)" // health and the API description
)

// handler serves a matched route; param is the rest of the path after the
// prefix of a {parameter} route, "" for the others.
type handler func(b *Broker, w http.ResponseWriter, r *http.Request, param string) *apiError

// exact adapts a handler of a route without a parameter.
func exact(h func(*Broker, http.ResponseWriter, *http.Request) *apiError) handler {
	return func(b *Broker, w http.ResponseWriter, r *http.Request, _ string) *apiError { return h(b, w, r) }
}

// match reports whether the raw path is the route's, with the parameter.
func (rt *route) match(path string) (param string, ok bool) {
	prefix, _, isParam := strings.Cut(rt.path, "{")
	if !isParam {
		return "", path == rt.path
	}
	if !strings.HasPrefix(path, prefix) {
		return "", false
	}
	return path[len(prefix):], true
}

// logName is the route as the access log names it: the path, or the
// prefix and "*" for a {parameter} route (the parameter may be a token
// someone pasted, or personal data).
func (rt *route) logName() string {
	if prefix, _, isParam := strings.Cut(rt.path, "{"); isParam {
		return prefix + "*"
	}
	return rt.path
}

// dispatch serves r by the table and returns the route's log name.
func (b *Broker) dispatch(w http.ResponseWriter, r *http.Request, path string) (string, *apiError) {
	if r.Method == http.MethodOptions {
		return path, b.preflight(w, r)
	}
	for i := range routes {
		rt := &routes[i]
		param, ok := rt.match(path)
		if !ok {
			continue
		}
		if err := allow(r, rt.methods); err != nil {
			return rt.logName(), err
		}
		return rt.logName(), rt.serve(b, w, r, param)
	}
	if b.cfg.Extra != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) && !strings.HasPrefix(path, "/v1/") {
		b.cfg.Extra.ServeHTTP(w, r)
		return "extra", nil
	}
	return "unknown", errNotFound
}

// allow is the 405 for a method the route does not list.
func allow(r *http.Request, methods string) *apiError {
	for m := range strings.SplitSeq(methods, ", ") {
		if r.Method == m {
			return nil
		}
	}
	return &apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", message: "allowed methods: " + methods, allow: methods}
}

// healthz is GET /healthz: the instance is up.
func (b *Broker) healthz(w http.ResponseWriter, _ *http.Request) *apiError {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// openAPI is GET /openapi.yaml.
func (b *Broker) openAPI(w http.ResponseWriter, r *http.Request) *apiError {
	serveOpenAPI(w, r)
	return nil
}
