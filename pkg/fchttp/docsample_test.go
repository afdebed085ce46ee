package fchttp

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/ossbroker/ossbroker/pkg/devtools/docsamples"
)

// TestDocumentedHTTPEvent: the fc3 component's sample HTTP trigger event,
// byte for byte, becomes the request it describes, and the answer has
// exactly the fields of the SDK's documented HTTPTriggerResponse
// (events/README_HTTP_TRIGGER.md), each of its JSON type.
func TestDocumentedHTTPEvent(t *testing.T) {
	type seen struct {
		method, path, query, ct, action, body string
	}
	var got seen
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), r.Header.Get("x-acs-action"), string(b)}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	res, err := h(context.Background(), docsamples.Read("fc3-http-event-template.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := seen{"POST", "/2023-03-30/functions/fc3-event-test-http-trigger-Darwin-x86_64/invocations", "",
		"application/octet-stream", "InvokeFunction", "haha"}
	if got != want {
		t.Fatalf("request %+v\nwant %+v", got, want)
	}
	out, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(out, &fields); err != nil {
		t.Fatal(err)
	}
	doc := string(docsamples.Read("fc-http-trigger-response.go.txt"))
	types := map[string]string{"int": "float64", "map[string]string": "map[string]interface {}", "bool": "bool", "string": "string"}
	var names []string
	for _, m := range regexp.MustCompile("(?m)^\\s+\\w+\\s+(\\S+)\\s+`json:\"(\\w+)\"`").FindAllStringSubmatch(doc, -1) {
		names = append(names, m[2])
		v, ok := fields[m[2]]
		if !ok {
			t.Errorf("response has no %s: %s", m[2], out)
			continue
		}
		if g := typeName(v); g != types[m[1]] {
			t.Errorf("response %s is %s, documented %s", m[2], g, m[1])
		}
	}
	sort.Strings(names)
	var keys []string
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != strings.Join(names, ",") || len(names) != 4 {
		t.Fatalf("response fields %v, documented %v", keys, names)
	}
}

func typeName(v any) string {
	switch v.(type) {
	case float64:
		return "float64"
	case map[string]any:
		return "map[string]interface {}"
	case bool:
		return "bool"
	case string:
		return "string"
	}
	return "other"
}
