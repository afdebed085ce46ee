package ossemu

import (
	"testing"
)

func TestPutPolicyJSON(t *testing.T) {
	got := PutPolicy("examplebucket", "exampledir/").String()
	want := `{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:PutObject","Resource":"acs:oss:*:*:examplebucket/exampledir/*"}]}`
	if got != want {
		t.Fatalf("PutPolicy = %s\nwant        %s", got, want)
	}
	p, err := ParsePolicy([]byte(got))
	if err != nil {
		t.Fatal(err)
	}
	if p.String() != want {
		t.Fatalf("round trip = %s", p)
	}
}

func TestPolicyAllows(t *testing.T) {
	seed := PutPolicy("examplebucket", "exampledir/")
	multi, err := ParsePolicy([]byte(`{"Version":"1","Statement":[
		{"Effect":"Allow","Action":["oss:GetObject","OSS:PUTOBJECT"],"Resource":["acs:oss:*:*:b/pub/*","acs:oss:*:*:b/in/*/x"]},
		{"Effect":"Allow","Action":"oss:*","Resource":"acs:oss:*:*:b/all/*"},
		{"Effect":"Deny","Action":"oss:Put*","Resource":"acs:oss:*:*:b/all/locked/*"},
		{"Effect":"Allow","Action":"oss:DeleteObject","Resource":"acs:oss:*:*:b/cond/*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}},
		{"Effect":"Deny","Action":"oss:GetObject","Resource":"acs:oss:*:*:b/pub/hidden*","Condition":{"Bool":{"acs:SecureTransport":"false"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p        *Policy
		action   string
		resource string
		want     bool
	}{
		{seed, "oss:PutObject", "acs:oss:cn-hangzhou:1000:examplebucket/exampledir/a/b.txt", true},
		{seed, "OSS:putobject", "acs:oss:cn-hangzhou:1000:examplebucket/exampledir/x", true},
		{seed, "oss:PutObject", "acs:oss:cn-hangzhou:1000:examplebucket/exampledir", false},
		{seed, "oss:PutObject", "acs:oss:cn-hangzhou:1000:examplebucket/other/x", false},
		{seed, "oss:PutObject", "acs:oss:cn-hangzhou:1000:examplebucket/ExampleDir/x", false},
		{seed, "oss:GetObject", "acs:oss:cn-hangzhou:1000:examplebucket/exampledir/x", false},
		{seed, "oss:PutObject", "acs:oss:cn-hangzhou:1000:otherbucket/exampledir/x", false},
		{multi, "oss:GetObject", "acs:oss:r:a:b/pub/x", true},
		{multi, "oss:PutObject", "acs:oss:r:a:b/in/deep/er/x", true},
		{multi, "oss:PutObject", "acs:oss:r:a:b/in/deep/y", false},
		{multi, "oss:ListObjects", "acs:oss:r:a:b/all/z", true},
		{multi, "oss:PutObject", "acs:oss:r:a:b/all/locked/z", false},
		{multi, "oss:GetObject", "acs:oss:r:a:b/all/locked/z", true},
		{multi, "oss:DeleteObject", "acs:oss:r:a:b/cond/z", false},   // Allow with Condition never applies
		{multi, "oss:GetObject", "acs:oss:r:a:b/pub/hidden1", false}, // Deny with Condition always applies
		{nil, "oss:GetObject", "acs:oss:r:a:b/x", false},
	} {
		if got := c.p.Allows(c.action, c.resource); got != c.want {
			t.Errorf("Allows(%s, %s) = %v, want %v", c.action, c.resource, got, c.want)
		}
	}
}

func TestParsePolicyRejects(t *testing.T) {
	for _, doc := range []string{
		``,
		`{}`,
		`{"Version":"2","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}`,
		`{"Version":"1","Statement":[]}`,
		`{"Version":"1","Statement":[{"Effect":"allow","Action":"oss:*","Resource":"*"}]}`,
		`{"Version":"1","Statement":[{"Effect":"Allow","Resource":"*"}]}`,
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}`,
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","NotResource":"*"}]}`,
		`{"Version":"1","Statement":[{"Effect":"Allow","Action":1,"Resource":"*"}]}`,
		`{"Version":"1","Extra":true,"Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}`,
	} {
		if _, err := ParsePolicy([]byte(doc)); err == nil {
			t.Errorf("ParsePolicy accepted %s", doc)
		}
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"*", "anything/at/all", true}, {"a*c", "abbbc", true}, {"a*c", "abbbd", false},
		{"a*b*c", "a-b-b-c", true}, {"a*b*c", "acb", false}, {"", "", true}, {"", "x", false},
		{"x*", "x", true}, {"*x", "yx", true}, {"a?c", "abc", false}, {"a?c", "a?c", true},
	} {
		if got := glob(c.p, c.s); got != c.want {
			t.Errorf("glob(%q, %q) = %v", c.p, c.s, got)
		}
	}
}
