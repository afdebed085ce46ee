package fcemu

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ossbroker/ossbroker/pkg/devtools/docsamples"
)

// TestHTTPEventShapeIsDocumented: the event the local trigger sends has
// the keys and JSON types of the fc3 component's sample HTTP trigger event
// at every level, but for requestContext.triggerId, which the SDK's
// events.HTTPTriggerEvent has no field for and the function never reads.
func TestHTTPEventShapeIsDocumented(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(docsamples.Read("fc3-http-event-template.json"), &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc["requestContext"].(map[string]any), "triggerId")
	var got []byte
	tr := &Trigger{Logger: quiet, Invoke: func(_ context.Context, ev []byte, _ string) (Result, error) {
		got = ev
		return Result{Body: []byte(`{"statusCode":200,"headers":{},"isBase64Encoded":false,"body":""}`)}, nil
	}}
	req := httptest.NewRequest("POST", "http://abc.cn-hangzhou.fcapp.run/2023-03-30/functions/f/invocations", strings.NewReader("haha"))
	req.Header.Set("Content-Type", "text/plain")
	tr.ServeHTTP(httptest.NewRecorder(), req)
	// Header and query names are data: compare their values' types only.
	var ev map[string]any
	if err := json.Unmarshal(got, &ev); err != nil {
		t.Fatal(err)
	}
	for _, m := range []map[string]any{doc, ev} {
		for _, k := range []string{"headers", "queryParameters"} {
			for name, v := range m[k].(map[string]any) {
				if _, ok := v.(string); !ok {
					t.Errorf("%s %s: %T, not a string", k, name, v)
				}
			}
			m[k] = map[string]any{}
		}
	}
	want, _ := json.Marshal(doc)
	gotShape, _ := json.Marshal(ev)
	if err := docsamples.SameShape(gotShape, want); err != nil {
		t.Fatalf("event %s\n%v", got, err)
	}
}

// TestRuntimeHeadersAreTheSDKs: every x-fc-* header the runtime API sends
// with an event is one the SDK reads (its header constants, copied in
// docsamples), the three it requires are there, deadline and timeout as
// integers, and the API version in the path is the SDK's.
func TestRuntimeHeadersAreTheSDKs(t *testing.T) {
	src := string(docsamples.Read("fc-runtime-api-client-consts.go.txt"))
	sdk := map[string]bool{}
	for _, m := range regexp.MustCompile(`"(x-fc-[a-z-]+)"`).FindAllStringSubmatch(src, -1) {
		sdk[m[1]] = true
	}
	if len(sdk) < 20 || !strings.Contains(src, `apiVersion       = "2020-11-11"`) || !strings.Contains(apiPrefix, "/2020-11-11/") {
		t.Fatalf("SDK constants: %d headers; apiPrefix %s", len(sdk), apiPrefix)
	}
	rt := NewRuntimeAPI()
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { rt.Close() })
	done := make(chan error, 1)
	go func() {
		_, err := rt.Invoke(context.Background(), []byte(`{}`), Invocation{RequestID: "1-abc", Timeout: 3 * time.Second,
			Credentials:  &Credentials{AccessKeyID: "STS.id", AccessKeySecret: "secret", SecurityToken: "token"},
			FunctionName: "f", Region: "cn-hangzhou", AccountID: "1234567890123456"})
		done <- err
	}()
	resp, err := http.Get(srv.URL + apiPrefix + "next")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sent := 0
	for k := range resp.Header {
		k = strings.ToLower(k)
		if strings.HasPrefix(k, "x-fc-") {
			sent++
			if !sdk[k] {
				t.Errorf("header %s is not one the SDK reads", k)
			}
		}
	}
	for _, h := range []string{"x-fc-request-id", "x-fc-function-deadline", "x-fc-function-timeout", "x-fc-access-key-id",
		"x-fc-access-key-secret", "x-fc-security-token", "x-fc-function-name", "x-fc-region", "x-fc-account-id"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("%s not sent", h)
		}
	}
	for _, h := range []string{"x-fc-function-deadline", "x-fc-function-timeout"} {
		if _, err := strconv.ParseInt(resp.Header.Get(h), 10, 64); err != nil {
			t.Errorf("%s %q is not an integer", h, resp.Header.Get(h))
		}
	}
	r2, err := http.Post(srv.URL+apiPrefix+"1-abc/response", "application/json", strings.NewReader(`null`))
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if sent < 9 {
		t.Fatalf("%d x-fc-* headers", sent)
	}
}
