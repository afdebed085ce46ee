package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzVerify: Verify never panics, and whatever it accepts passes an
// independent check: canonical shape, alg exactly HS256, an HMAC computed
// here over the exact signing input, a non-empty sub, exp in the future, no
// crit, an allowed typ.
func FuzzVerify(f *testing.F) {
	exp := itoa(testNow.Add(time.Hour).Unix())
	hdr := `{"alg":"HS256","typ":"JWT"}`
	pl := `{"sub":"u","exp":` + exp + `}`
	seeds := []struct {
		header, payload string
		mac             bool
	}{
		{hdr, pl, true},
		{hdr, pl, false},
		{`{"alg":"HS256"}`, `{"sub":"u","exp":"` + exp + `"}`, true},
		{`{"alg":"HS256","typ":"at+jwt"}`, `{"sub":"u","exp":` + exp + `.5,"iat":1}`, true},
		{`{"alg":"HS256","crit":["x"]}`, pl, true},
		{`{"alg":"HS256","typ":"JOSE"}`, pl, true},
		{`{"alg":"none"}`, pl, false},
		{`{"alg":"hs256"}`, pl, true},
		{`{"alg":"HS512"}`, pl, true},
		{`{"alg":"RS256"}`, pl, true},
		{`{"alg":"HS256","alg":"none"}`, pl, true},
		{hdr, `{"sub":"","exp":` + exp + `}`, true},
		{hdr, `{"sub":"u","sub":"","exp":` + exp + `}`, true},
		{hdr, `{"SUB":"u","exp":` + exp + `}`, true},
		{hdr, `{"sub":"u","exp":0}`, true},
		{hdr, `{"sub":"u","exp":1e300}`, true},
		{hdr, `{"sub":"u","exp":-1e300}`, true},
		{hdr, `{"sub":"u","exp":` + exp + `,"nbf":9999999999}`, true},
		{hdr, `{"sub":"u","exp":` + exp + `,"aud":42}`, true},
		{hdr, `{"sub":"\xff","exp":` + exp + `}`, true},
		{hdr, `null`, true},
		{`[]`, pl, true},
		{hdr, pl + " ", true},
	}
	for _, s := range seeds {
		f.Add(s.header, s.payload, []byte("sig"), s.mac, "")
	}
	valid := handHS256(hsSecret, hdr, pl)
	for _, raw := range []string{
		valid,
		valid + "=",
		strings.Replace(valid, ".", ".\n", 1),
		valid[:len(valid)-1],
		"a.b.c",
		"..",
		strings.Repeat("a", MaxTokenBytes+1),
	} {
		f.Add("", "", []byte(nil), false, raw)
	}

	v, err := NewVerifier(context.Background(), Config{HS256Secret: hsSecret, Now: clock})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(v.Close)

	f.Fuzz(func(t *testing.T, header, payload string, sig []byte, mac bool, raw string) {
		tok := raw
		if tok == "" {
			in := b64([]byte(header)) + "." + b64([]byte(payload))
			if mac {
				m := hmac.New(sha256.New, hsSecret)
				m.Write([]byte(in))
				sig = m.Sum(nil)
			}
			tok = in + "." + b64(sig)
		}
		p, err := v.Verify(context.Background(), tok)
		if err != nil {
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("error does not wrap ErrUnauthorized: %v", err)
			}
			for _, part := range strings.Split(tok, ".") {
				if len(part) >= 16 && strings.Contains(err.Error(), part) {
					t.Fatalf("error %q leaks a token part", err)
				}
			}
			return
		}
		referenceCheck(t, tok, p)
	})
}

func referenceCheck(t *testing.T, tok string, p Principal) {
	t.Helper()
	if len(tok) > MaxTokenBytes || !tokenShape.MatchString(tok) {
		t.Fatalf("accepted a token of bad shape: %q", tok)
	}
	parts := strings.Split(tok, ".")
	dec := base64.RawURLEncoding.Strict()
	hb, err1 := dec.DecodeString(parts[0])
	pb, err2 := dec.DecodeString(parts[1])
	sig, err3 := dec.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatalf("accepted non-canonical base64: %v %v %v", err1, err2, err3)
	}
	m := hmac.New(sha256.New, hsSecret)
	m.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(m.Sum(nil), sig) {
		t.Fatal("accepted a token whose HMAC does not match")
	}
	var h map[string]any
	if err := json.Unmarshal(hb, &h); err != nil {
		t.Fatalf("accepted a header that is not a JSON object: %v", err)
	}
	if h["alg"] != "HS256" {
		t.Fatalf("accepted alg %v", h["alg"])
	}
	if _, ok := h["crit"]; ok {
		t.Fatal("accepted crit")
	}
	if typ, ok := h["typ"]; ok {
		s, _ := typ.(string)
		if !strings.EqualFold(s, "JWT") && !strings.EqualFold(s, "at+jwt") {
			t.Fatalf("accepted typ %v", typ)
		}
	}
	var c map[string]any
	d := json.NewDecoder(bytes.NewReader(pb))
	d.UseNumber()
	if err := d.Decode(&c); err != nil {
		t.Fatalf("accepted a payload that is not a JSON object: %v", err)
	}
	sub, _ := c["sub"].(string)
	if sub == "" || sub != p.Subject {
		t.Fatalf("accepted sub %v (principal %q)", c["sub"], p.Subject)
	}
	now := float64(testNow.Unix())
	exp, ok := number(c["exp"])
	if !ok || !(exp > now) {
		t.Fatalf("accepted exp %v at %v", c["exp"], now)
	}
	for _, name := range []string{"nbf", "iat"} {
		if v, present := c[name]; present && v != nil {
			if n, ok := number(v); !ok || n > now+1 {
				t.Fatalf("accepted %s %v at %v", name, v, now)
			}
		}
	}
}

// number reads a NumericDate the way RegisteredClaims does: a JSON number
// or a string holding one.
func number(v any) (float64, bool) {
	var s string
	switch v := v.(type) {
	case json.Number:
		s = string(v)
	case string:
		s = v
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func benchVerify(b *testing.B, cfg Config, m jwt.SigningMethod, key any) {
	cfg.Now = clock
	v, err := NewVerifier(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	tok := sign(b, m, key, claims(map[string]any{"iss": "https://issuer.example/", "email": "a@example.com", "scope": "upload"}), nil)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyHS256(b *testing.B) {
	benchVerify(b, Config{HS256Secret: hsSecret}, jwt.SigningMethodHS256, hsSecret)
}

func BenchmarkVerifyES256(b *testing.B) {
	k := keys()
	benchVerify(b, Config{PublicKeyPEM: pkixPEM(b, &k.ec256.PublicKey)}, jwt.SigningMethodES256, k.ec256)
}

func BenchmarkVerifyRS256(b *testing.B) {
	k := keys()
	benchVerify(b, Config{PublicKeyPEM: pkixPEM(b, &k.rsa.PublicKey)}, jwt.SigningMethodRS256, k.rsa)
}

// FuzzMembers: on every valid JSON document, members either declines or
// gives exactly what json.Unmarshal into a map[string]json.RawMessage gives.
func FuzzMembers(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { } `, `null`, `[]`, `"s"`, `{"sub":"u","exp":1}`,
		`{"sub":"u","sub":"v"}`, `{"a":{"b":[1,{"c":"}"}]},"d":"\"}"}`,
		"{\n\t\"a\" : [ 1 , 2 ] ,\r\"b\":true , \"c\":null}",
		`{"s\u0075b":"x"}`, `{"é":1}`, `{"a":"\\","b":"\""}`, `{"a":-1.5e3,"b":0}`,
		`{"sub":"\ud800"}`, `{"sub":"a\udc00\ud800"}`, `{"sub":"\ud83d\ude00","t":"\ufffd"}`, "{\"sub\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		// Claims are taken only when they decode without replacement: no
		// string claim holds a U+FFFD that the payload did not write.
		var c tokenClaims
		if c.UnmarshalJSON(b) == nil {
			p := Principal{Subject: c.Subject, claims: c.raw}
			for name, raw := range c.raw {
				s, ok := p.Claim(name)
				written := bytes.Contains(bytes.ToLower(raw), []byte(`\ufffd`)) || bytes.Contains(raw, []byte("\uFFFD"))
				if ok && strings.ContainsRune(s, utf8.RuneError) && !written {
					t.Fatalf("%q: claim %q decoded with replacement: %q", b, name, s)
				}
			}
		}
		got, ok := members(b)
		if !ok {
			return
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("members accepted %q, json.Unmarshal: %v", b, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: members %d names, json %d", b, len(got), len(want))
		}
		for k, v := range want {
			if !bytes.Equal(got[k], v) {
				t.Fatalf("%q: %q = %q, json %q", b, k, got[k], v)
			}
		}
	})
}

// FuzzSeconds: where seconds reads a date, it reads what jwt.NumericDate does.
func FuzzSeconds(f *testing.F) {
	for _, s := range []string{"0", "1", "1700000000", "01", "-1", "1.5", "1e9", "999999999999999", "9999999999999999", `"1"`, ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		n, ok := seconds(v)
		if !ok {
			return
		}
		var d jwt.NumericDate
		if err := d.UnmarshalJSON(v); err != nil {
			t.Fatalf("seconds(%q) = %d, NumericDate: %v", v, n, err)
		}
		if want := jwt.NewNumericDate(time.Unix(n, 0)); !d.Equal(want.Time) {
			t.Fatalf("seconds(%q) = %v, NumericDate %v", v, want, d)
		}
	})
}
