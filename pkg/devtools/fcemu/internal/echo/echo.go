// Package echo is the test function behind fcemu's tests: a handler that
// reports what it received, shared by the compiled test binary
// (testdata/echofn, run by the real SDK loop) and the in-process tests.
package echo

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/aliyun/fc-runtime-go-sdk/fccontext"

	"github.com/ossbroker/ossbroker/pkg/internal/requestid"
)

// Echo is what Handler reports as JSON.
type Echo struct {
	Method        string              `json:"method"`
	RawPath       string              `json:"rawPath"`
	Path          string              `json:"path"`
	RawQuery      string              `json:"rawQuery"`
	Query         map[string][]string `json:"query"`
	Header        map[string][]string `json:"header"`
	Host          string              `json:"host"`
	RemoteAddr    string              `json:"remoteAddr"`
	ContentLength int64               `json:"contentLength"`
	Body          []byte              `json:"body"`
	RequestID     string              `json:"requestId"`
	FCRequestID   string              `json:"fcRequestId"`
	FCRegion      string              `json:"fcRegion"`
	FCAccessKeyID string              `json:"fcAccessKeyId"`
}

// Handler serves:
//   - /panic: panics;
//   - /raw...: answers 201 with the request body as the response body, the
//     request's Content-Type and two X-Multi values;
//   - anything else: 200 with an Echo of the request.
var Handler http.Handler = http.HandlerFunc(serve)

func serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/panic":
		panic("echo: asked to panic")
	case strings.HasPrefix(r.URL.Path, "/raw"):
		if ct := r.Header.Get("Content-Type"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		w.WriteHeader(http.StatusCreated)
		io.Copy(w, r.Body)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	e := Echo{
		Method: r.Method, RawPath: r.URL.EscapedPath(), Path: r.URL.Path,
		RawQuery: r.URL.RawQuery, Query: r.URL.Query(), Header: r.Header,
		Host: r.Host, RemoteAddr: r.RemoteAddr, ContentLength: r.ContentLength,
		Body: body, RequestID: requestid.From(r.Context()),
	}
	if fcc, ok := fccontext.FromContext(r.Context()); ok {
		e.FCRequestID, e.FCRegion, e.FCAccessKeyID = fcc.RequestID, fcc.Region, fcc.Credentials.AccessKeyId
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Request-Id", e.RequestID)
	json.NewEncoder(w).Encode(e)
}
