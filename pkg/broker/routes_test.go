package broker_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/ossbroker/ossbroker/pkg/broker"
)

// TestRouteTableMatchesOpenAPI holds the route table against openapi.yaml
// both ways: every route and method of the table is documented, with the
// same authentication, and every documented path and method is in the
// table. HEAD is documented by GET (as HTTP defines it); OPTIONS is the
// preflight every path answers.
func TestRouteTableMatchesOpenAPI(t *testing.T) {
	doc := loadSpec(t)
	table := broker.RouteTable()
	byPath := map[string]broker.Route{}
	for _, rt := range table {
		if _, dup := byPath[rt.Path]; dup {
			t.Errorf("%s is in the table twice", rt.Path)
		}
		byPath[rt.Path] = rt
		item := doc.Paths.Value(rt.Path)
		if item == nil {
			t.Errorf("%s %s: not in openapi.yaml", rt.Methods, rt.Path)
			continue
		}
		methods := strings.Split(rt.Methods, ", ")
		for _, m := range methods {
			op := item.GetOperation(m)
			if m == http.MethodHead {
				if !slices.Contains(methods, http.MethodGet) {
					t.Errorf("HEAD %s without GET", rt.Path)
				}
				op = item.GetOperation(http.MethodGet)
			}
			if op == nil {
				t.Errorf("%s %s: not in openapi.yaml", m, rt.Path)
				continue
			}
			if bearer := needsBearer(doc, op); bearer != rt.Bearer {
				t.Errorf("%s %s: openapi.yaml says bearer JWT %v, the table %v", m, rt.Path, bearer, rt.Bearer)
			}
		}
	}
	for path, item := range doc.Paths.Map() {
		rt, ok := byPath[path]
		if !ok {
			t.Errorf("%s: in openapi.yaml, not in the route table", path)
			continue
		}
		for m := range item.Operations() {
			if m != http.MethodOptions && !slices.Contains(strings.Split(rt.Methods, ", "), m) {
				t.Errorf("%s %s: in openapi.yaml, not in the route table (%s)", m, path, rt.Methods)
			}
		}
	}
	if len(table) == 0 || len(doc.Paths.Map()) == 0 {
		t.Fatalf("%d routes, %d documented paths", len(table), len(doc.Paths.Map()))
	}
}

// needsBearer reports whether op requires the bearer JWT: its own security,
// or the document's when it has none.
func needsBearer(doc *openapi3.T, op *openapi3.Operation) bool {
	sec := doc.Security
	if op.Security != nil {
		sec = *op.Security
	}
	for _, req := range sec {
		if _, ok := req["bearer"]; ok {
			return true
		}
	}
	return false
}

// TestRouteTableHolds sends real requests to every route of the table:
// each method it does not list is 405 with exactly its list in Allow; each
// bearer-JWT route answers 401 to every listed method without a token and
// something else with one; the others answer a valid token alone with no
// 2xx (their sender's signature authenticates them), or, for the public
// documents, 200 without one.
func TestRouteTableHolds(t *testing.T) {
	e := newEnv(t, options{callbacks: true})
	tok := map[string]string{"Authorization": "Bearer " + token(t, "alice", nil), "Content-Type": "application/json"}
	anon := map[string]string{"Content-Type": "application/json"}
	all := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}
	for _, rt := range broker.RouteTable() {
		path := strings.NewReplacer("{key}", "exampledir/routes/a.txt", "{source}", "gh").Replace(rt.Path)
		listed := strings.Split(rt.Methods, ", ")
		for _, m := range all {
			switch {
			case !slices.Contains(listed, m):
				res := do(t, m, e.url+path, tok, []byte("{}"))
				if res.status != 405 || res.header.Get("Allow") != rt.Methods {
					t.Errorf("%s %s: %d, Allow %q; want 405, Allow %q", m, path, res.status, res.header.Get("Allow"), rt.Methods)
				}
			case rt.Bearer:
				res := do(t, m, e.url+path, anon, []byte("{}"))
				if res.status != 401 || !strings.Contains(string(res.body), `"code":"unauthorized"`) {
					t.Errorf("%s %s without a token: %d %s, want 401 unauthorized", m, path, res.status, res.body)
				}
				if res := do(t, m, e.url+path, tok, []byte("{}")); res.status == 401 {
					t.Errorf("%s %s with a valid token: 401 %s", m, path, res.body)
				}
			case strings.HasPrefix(path, "/v1/"):
				if res := do(t, m, e.url+path, tok, []byte("{}")); res.status < 300 {
					t.Errorf("%s %s with only a bearer JWT: %d %s", m, path, res.status, res.body)
				}
			default:
				if res := do(t, m, e.url+path, nil, nil); res.status != 200 {
					t.Errorf("%s %s without a token: %d %s, want 200", m, path, res.status, res.body)
				}
			}
		}
	}
}
