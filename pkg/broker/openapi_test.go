package broker_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/ossbroker/ossbroker/pkg/broker"
)

// loadSpec loads and validates the embedded OpenAPI document. kin-openapi
// reads it as OpenAPI 3.1 and validates bodies with JSON Schema 2020-12.
func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(broker.OpenAPI)
	if err != nil {
		t.Fatalf("openapi.yaml does not load: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi.yaml is OpenAPI %s, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// specRoute finds the operation a request hits, the way the broker routes
// (on the raw path: a key may hold '/'). A path the document does not list,
// or a method it does not list for the path, gets an operation made of the
// document's NotFound or MethodNotAllowed response.
func specRoute(doc *openapi3.T, method, rawPath string) (*routers.Route, map[string]string) {
	path, params := rawPath, map[string]string{}
	if key, ok := strings.CutPrefix(rawPath, "/v1/objects/"); ok {
		path, params["key"] = "/v1/objects/{key}", key
	}
	if source, ok := strings.CutPrefix(rawPath, "/v1/webhooks/"); ok {
		path, params["source"] = "/v1/webhooks/{source}", source
	}
	item := doc.Paths.Value(path)
	if item == nil {
		return orphan(doc, path, method, http.StatusNotFound, "NotFound"), params
	}
	op := item.GetOperation(method)
	if method == http.MethodHead && op == nil {
		op = item.GetOperation(http.MethodGet)
	}
	if op == nil {
		return orphan(doc, path, method, http.StatusMethodNotAllowed, "MethodNotAllowed"), params
	}
	return &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}, params
}

func orphan(doc *openapi3.T, path, method string, status int, response string) *routers.Route {
	op := openapi3.NewOperation()
	op.OperationID = response
	op.Responses = openapi3.NewResponses(openapi3.WithStatus(status, &openapi3.ResponseRef{Value: doc.Components.Responses[response].Value}))
	return &routers.Route{Spec: doc, Path: path, PathItem: &openapi3.PathItem{}, Method: method, Operation: op}
}

// specCase is one real request and the status the broker must answer.
type specCase struct {
	name   string
	base   string // broker URL
	method string
	path   string // raw, as sent
	header map[string]string
	body   []byte
	want   int
}

func TestOpenAPIDescribesEveryResponse(t *testing.T) {
	doc := loadSpec(t)
	// /v1/uppy/s3 answers S3's XML documents, described as strings.
	openapi3filter.RegisterBodyDecoder("application/xml", openapi3filter.FileBodyDecoder)
	origin := "https://app.example.com"
	e := newEnv(t, options{origins: []string{origin}})
	images := newEnv(t, options{contentTypes: "image/*"})
	down := newEnv(t, options{endpoint: "http://" + closedAddr(t)})
	noCreds := brokerWithoutCredentials(t)
	tok := "Bearer " + token(t, "alice", nil)
	js := map[string]string{"Authorization": tok, "Content-Type": "application/json"}
	text := map[string]string{"Authorization": tok, "Content-Type": "text/plain"}
	presign := func(v any) []byte { b, _ := json.Marshal(v); return b }
	sum := md5.Sum([]byte("hello"))

	cases := []specCase{
		{"healthz", e.url, "GET", "/healthz", nil, nil, 200},
		{"healthz HEAD", e.url, "HEAD", "/healthz", nil, nil, 200},
		{"openapi.yaml", e.url, "GET", "/openapi.yaml", nil, nil, 200},
		{"presign", e.url, "POST", "/v1/presign", js, presign(map[string]any{"key": "exampledir/spec/a.png", "contentType": "image/png",
			"contentLength": 3, "contentMD5": base64.StdEncoding.EncodeToString(sum[:]), "expiresIn": 60, "metadata": map[string]string{"owner": "alice"}}), 200},
		{"presign folder", e.url, "POST", "/v1/presign", js, presign(map[string]any{"key": "exampledir/spec/", "overwrite": true}), 200},
		{"presign bad JSON", e.url, "POST", "/v1/presign", js, []byte(`{"key":`), 400},
		{"presign bad key", e.url, "POST", "/v1/presign", js, presign(map[string]any{"key": "exampledir/../x"}), 400},
		{"presign no token", e.url, "POST", "/v1/presign", map[string]string{"Content-Type": "application/json"}, presign(map[string]any{"key": "exampledir/a"}), 401},
		{"presign outside prefix", e.url, "POST", "/v1/presign", js, presign(map[string]any{"key": "other/a"}), 403},
		{"presign too long", e.url, "POST", "/v1/presign", js, presign(map[string]any{"key": "exampledir/a", "contentLength": 1 << 40}), 413},
		{"presign not JSON", e.url, "POST", "/v1/presign", text, []byte("key=exampledir/a"), 415},
		{"presign refused type", images.url, "POST", "/v1/presign", js, presign(map[string]any{"key": "exampledir/a", "contentType": "text/plain"}), 415},
		{"presign no credentials", noCreds, "POST", "/v1/presign", js, presign(map[string]any{"key": "exampledir/a"}), 502},
		{"presign GET", e.url, "GET", "/v1/presign", js, nil, 405},
		{"put", e.url, "PUT", "/v1/objects/exampledir/spec/hello%20world.txt", text, []byte("hello"), 201},
		{"put again", e.url, "PUT", "/v1/objects/exampledir/spec/hello%20world.txt", text, []byte("hello"), 409},
		{"put overwrite", e.url, "PUT", "/v1/objects/exampledir/spec/hello%20world.txt?overwrite=true", text, []byte("hello"), 201},
		{"put folder", e.url, "PUT", "/v1/objects/exampledir/spec/", text, []byte("hello"), 400},
		{"put no token", e.url, "PUT", "/v1/objects/exampledir/spec/b.txt", map[string]string{"Content-Type": "text/plain"}, []byte("hello"), 401},
		{"put outside prefix", e.url, "PUT", "/v1/objects/other/b.txt", text, []byte("hello"), 403},
		{"put too large", e.url, "PUT", "/v1/objects/exampledir/spec/big.bin", text, make([]byte, 1<<20+1), 413},
		{"put refused type", images.url, "PUT", "/v1/objects/exampledir/spec/b.txt", text, []byte("hello"), 415},
		{"put storage down", down.url, "PUT", "/v1/objects/exampledir/spec/b.txt", text, []byte("hello"), 502},
		{"put GET", e.url, "GET", "/v1/objects/exampledir/spec/b.txt", text, nil, 405},
		{"post", e.url, "POST", "/v1/objects/exampledir/spec/", text, []byte("hello"), 201},
		{"post to a key", e.url, "POST", "/v1/objects/exampledir/spec/c.txt", text, []byte("hello"), 400},
		{"post no token", e.url, "POST", "/v1/objects/exampledir/spec/", map[string]string{"Content-Type": "text/plain"}, []byte("hello"), 401},
		{"post outside prefix", e.url, "POST", "/v1/objects/other/", text, []byte("hello"), 403},
		{"post too large", e.url, "POST", "/v1/objects/exampledir/spec/", text, make([]byte, 1<<20+1), 413},
		{"post refused type", images.url, "POST", "/v1/objects/exampledir/spec/", text, []byte("hello"), 415},
		{"post storage down", down.url, "POST", "/v1/objects/exampledir/spec/", text, []byte("hello"), 502},
		{"healthz POST", e.url, "POST", "/healthz", nil, nil, 405},
		{"openapi.yaml PUT", e.url, "PUT", "/openapi.yaml", nil, nil, 405},
		{"unknown route", e.url, "GET", "/v1/nothing", js, nil, 404},
		{"root", e.url, "GET", "/", nil, nil, 404},
	}
	// Webhooks (webhooks_test.go): a GitHub sender, signed as GitHub does.
	wh := newWhEnv(t, whOptions{maxBytes: 1024})
	whPutOnly := newWhEnv(t, whOptions{putOnly: true})
	hook := func(delivery, body, ct string) map[string]string {
		h := signGitHub(whGitHubSecret, delivery, []byte(body))
		h["Content-Type"] = ct
		return h
	}
	// Standard Webhooks signs its id: the same id with another body is a
	// conflict (GitHub's and Stripe's keys are the body's hash).
	std := func(id, body string) map[string]string {
		h := signStandard(whStdKey, id, whClock.Unix(), []byte(body))
		h["Content-Type"] = "application/json"
		return h
	}
	big := strings.Repeat("x", 1025)
	cases = append(cases, []specCase{
		{"webhook", wh.url, "POST", "/v1/webhooks/gh", hook("d-1", `{"a":1}`, "application/json"), []byte(`{"a":1}`), 200},
		{"webhook redelivery", wh.url, "POST", "/v1/webhooks/gh", hook("d-1", `{"a":1}`, "application/json"), []byte(`{"a":1}`), 200},
		{"webhook std", wh.url, "POST", "/v1/webhooks/std", std("m-1", `{"a":1}`), []byte(`{"a":1}`), 200},
		{"webhook same id, other body", wh.url, "POST", "/v1/webhooks/std", std("m-1", `{"a":2}`), []byte(`{"a":2}`), 409},
		{"webhook bad signature", wh.url, "POST", "/v1/webhooks/gh", hook("d-2", `{"a":1}`, "application/json"), []byte(`{"a":3}`), 401},
		{"webhook unknown source", wh.url, "POST", "/v1/webhooks/nope", hook("d-2", `{"a":1}`, "application/json"), []byte(`{"a":1}`), 401},
		{"webhook any content type", wh.url, "POST", "/v1/webhooks/gh", hook("d-3", `{}`, "not a type"), []byte(`{}`), 200},
		{"webhook too large", wh.url, "POST", "/v1/webhooks/gh", hook("d-4", big, "text/plain"), []byte(big), 413},
		{"webhook GET", wh.url, "GET", "/v1/webhooks/gh", nil, nil, 405},
		{"webhook first, PutObject-only policy", whPutOnly.url, "POST", "/v1/webhooks/gh", hook("d-5", `{}`, "application/json"), []byte(`{}`), 200},
		{"webhook redelivery, PutObject-only policy", whPutOnly.url, "POST", "/v1/webhooks/gh", hook("d-5", `{}`, "application/json"), []byte(`{}`), 200},
		{"webhook std first, PutObject-only policy", whPutOnly.url, "POST", "/v1/webhooks/std", std("m-5", `{}`), []byte(`{}`), 200},
		{"webhook std redelivery, PutObject-only policy", whPutOnly.url, "POST", "/v1/webhooks/std", std("m-5", `{}`), []byte(`{}`), 502},
	}...)
	// Batch presign, presign-post, presign-get and multipart (openapi_routes_test.go).
	cases = append(cases, uploadRouteSpecCases(t)...)
	// Upload callbacks and receipts (callbacks_test.go).
	cases = append(cases, callbackSpecCases(t)...)
	// OPTIONS on every path, from an allowed and a refused origin.
	for _, p := range append([]string{"/v1/presign", "/v1/objects/exampledir/a.txt", "/v1/webhooks/gh", "/healthz", "/openapi.yaml", "/v1/uppy/s3"}, uploadRoutePaths...) {
		pre := map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}
		cases = append(cases, specCase{"preflight " + p, e.url, "OPTIONS", p, pre, nil, 204})
		evil := map[string]string{"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"}
		cases = append(cases, specCase{"preflight refused " + p, e.url, "OPTIONS", p, evil, nil, 403})
	}

	covered := map[string]bool{}
	for _, c := range cases {
		req, err := http.NewRequest(c.method, c.base+c.path, bytes.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range c.header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, res.StatusCode, body, c.want)
			continue
		}
		route, params := specRoute(doc, c.method, req.URL.EscapedPath())
		in := &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true},
		}
		// The requests that succeed must be ones the document describes.
		if c.want < 300 && c.method != "HEAD" {
			in.Options.ExcludeRequestBody = c.method != "POST" || c.path != "/v1/presign" && !slices.Contains(uploadRoutePaths, c.path)
			req.Body = io.NopCloser(bytes.NewReader(c.body))
			if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
				t.Errorf("%s: the request does not match the document: %v", c.name, err)
			}
		}
		err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
			Body: io.NopCloser(bytes.NewReader(body)), Options: in.Options,
		})
		if err != nil {
			t.Errorf("%s: %d response does not match the document: %v\nbody: %s", c.name, res.StatusCode, err, body)
		}
		if c.method == "HEAD" && len(body) != 0 {
			t.Errorf("%s: HEAD answered a body", c.name)
		}
		covered[route.Operation.OperationID+" "+strconv.Itoa(res.StatusCode)] = true
	}

	// Every documented answer was produced for real, except the ones no
	// request can cause on purpose: a bug (500), an OSS timeout (504,
	// covered by the storage package's fault tests) and a clash of two
	// names of 128 random bits (postObject's 409), and a webhook body cut
	// short of its Content-Length (webhook's 400: only a plain HTTP client
	// that breaks the protocol sends one; TestWebhookShortBody).
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status := range op.Responses.Map() {
				id := op.OperationID + " " + status
				if status == "500" || status == "504" || id == "postObject 409" || id == "webhook 400" || covered[id] {
					continue
				}
				t.Errorf("%s %s (%s): documented response %s was never produced by this test", method, path, op.OperationID, status)
			}
		}
	}
	for _, orphan := range []string{"NotFound 404", "MethodNotAllowed 405"} {
		if !covered[orphan] {
			t.Errorf("%s was never produced by this test", orphan)
		}
	}
}

// TestOpenAPIServed checks GET /openapi.yaml: the embedded document, as
// YAML, without a token.
func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t, options{})
	res := do(t, "GET", e.url+"/openapi.yaml", nil, nil)
	if res.status != 200 || !bytes.Equal(res.body, broker.OpenAPI) {
		t.Fatalf("GET /openapi.yaml: %d, %d bytes, want the %d embedded bytes", res.status, len(res.body), len(broker.OpenAPI))
	}
	if ct := res.header.Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type %q, want application/yaml", ct)
	}
	if res.header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}
}

// TestOpenAPIListsEveryErrorCode keeps the document's code enum and the
// broker's codes in step: every code the handlers can return is listed.
func TestOpenAPIListsEveryErrorCode(t *testing.T) {
	doc := loadSpec(t)
	codes := doc.Components.Schemas["Error"].Value.Properties["error"].Value.Properties["code"].Value.Enum
	var listed []string
	for _, c := range codes {
		listed = append(listed, c.(string))
	}
	for _, want := range []string{"invalid_request", "invalid_key", "unauthorized", "key_outside_prefix", "origin_not_allowed",
		"not_found", "method_not_allowed", "object_exists", "payload_too_large", "unsupported_media_type", "storage_unavailable", "internal",
		"insufficient_scope", "invalid_handle", "upload_not_found", "invalid_part", "invalid_part_order", "part_too_small", "multipart_unavailable", "invalid_callback", "part_size_mismatch"} {
		if !slices.Contains(listed, want) {
			t.Errorf("error code %q is not in the document's enum %v", want, listed)
		}
	}
}
