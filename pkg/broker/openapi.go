package broker

import (
	_ "embed"
	"net/http"
	"strconv"
)

// OpenAPI is the OpenAPI 3.1 description of the API, served at
// GET /openapi.yaml. openapi_test.go validates real responses of every
// route against it.
//
//go:embed openapi.yaml
var OpenAPI []byte

// serveOpenAPI answers GET/HEAD /openapi.yaml, without auth.
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/yaml")
	h.Set("Content-Length", strconv.Itoa(len(OpenAPI)))
	h.Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(OpenAPI)
	}
}
