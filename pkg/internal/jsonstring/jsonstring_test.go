package jsonstring_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ossbroker/ossbroker/pkg/internal/jsonstring"
)

var cases = []string{
	"", "plain", `quote " backslash \ slash /`, "<script>&amp;</script>", "\b\f\n\r\t\x00\x1f\x7f",
	"é ünïcødé 你好 🙂", "\u2028\u2029", "bad \xff utf-8 \xc3", "\xed\xa0\x80 surrogate half", strings.Repeat("a\"", 100),
}

func TestAppend(t *testing.T) {
	for _, s := range cases {
		want, _ := json.Marshal(s)
		if got := jsonstring.Append([]byte("x"), s); !bytes.Equal(got[1:], want) || got[0] != 'x' {
			t.Errorf("Append(%q) = %s, json.Marshal %s", s, got, want)
		}
	}
}

func TestAppendMap(t *testing.T) {
	big := map[string]string{}
	for i, s := range cases {
		big[s] = cases[len(cases)-1-i]
		big[strings.Repeat("k", i+1)] = s
	}
	for _, m := range []map[string]string{nil, {}, {"b": "1", "a": "2", "<": ">"}, big} {
		want, _ := json.Marshal(m)
		if got := jsonstring.AppendMap(nil, m); !bytes.Equal(got, want) {
			t.Errorf("AppendMap(%q) = %s, json.Marshal %s", m, got, want)
		}
	}
}

func FuzzAppend(f *testing.F) {
	for _, s := range cases {
		f.Add(s, s+"k")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		want, _ := json.Marshal(a)
		if got := jsonstring.Append(nil, a); !bytes.Equal(got, want) {
			t.Fatalf("Append(%q) = %s, json.Marshal %s", a, got, want)
		}
		m := map[string]string{a: b, b: a}
		want, _ = json.Marshal(m)
		if got := jsonstring.AppendMap(nil, m); !bytes.Equal(got, want) {
			t.Fatalf("AppendMap(%q) = %s, json.Marshal %s", m, got, want)
		}
	})
}
