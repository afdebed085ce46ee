package uploadhandle

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	testNow    = time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)
	testSecret = []byte("0123456789abcdef0123456789abcdef-handle")
)

func sealer(t testing.TB, secret []byte) *Sealer {
	t.Helper()
	k, err := DeriveKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func claims() Claims {
	return Claims{Bucket: "examplebucket", Key: "exampledir/alice/big ü+.bin", UploadID: "0004B9894A22E5B1888A1E29F823****",
		Subject: "alice", ContentType: "video/mp4", Size: 64 << 20, PartSize: 8 << 20, Expires: testNow.Add(24 * time.Hour)}
}

func TestRoundTrip(t *testing.T) {
	s := sealer(t, testSecret)
	for _, c := range []Claims{claims(), func() Claims { c := claims(); c.Overwrite, c.Size, c.ContentType = true, 0, ""; return c }()} {
		h, err := s.Seal(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range h {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
				t.Fatalf("handle %q is not URL-safe (%q)", h, r)
			}
		}
		got, err := s.Open(h, "alice", testNow)
		if err != nil {
			t.Fatal(err)
		}
		if got != c {
			t.Fatalf("Open = %+v, want %+v", got, c)
		}
		// Deterministic: the same claims seal to the same handle.
		if h2, _ := s.Seal(c); h2 != h {
			t.Fatalf("Seal is not deterministic: %q vs %q", h, h2)
		}
	}
}

// Every FC instance derives the same key from the same secret: a handle
// sealed by one opens on another. Another secret opens nothing.
func TestInstancesShareKey(t *testing.T) {
	h, err := sealer(t, testSecret).Seal(claims())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sealer(t, append([]byte(nil), testSecret...)).Open(h, "alice", testNow); err != nil {
		t.Fatalf("another instance with the same secret: %v", err)
	}
	other := append([]byte(nil), testSecret...)
	other[0] ^= 1
	if _, err := sealer(t, other).Open(h, "alice", testNow); !errors.Is(err, ErrInvalid) {
		t.Fatalf("another secret opened the handle: %v", err)
	}
}

func TestDeriveKey(t *testing.T) {
	if _, err := DeriveKey(make([]byte, MinSecretBytes-1)); err == nil {
		t.Fatal("short secret accepted")
	}
	k, _ := DeriveKey(testSecret)
	m := hmac.New(sha256.New, testSecret)
	m.Write([]byte("ossbroker/multipart-upload-handle/v1"))
	if !hmac.Equal(k, m.Sum(nil)) || hmac.Equal(k, testSecret[:32]) {
		t.Fatal("DeriveKey is not HMAC-SHA256(secret, label)")
	}
	if _, err := New(make([]byte, 16)); err == nil {
		t.Fatal("16-byte key accepted")
	}
}

func TestSealRefuses(t *testing.T) {
	s := sealer(t, testSecret)
	for name, mut := range map[string]func(*Claims){
		"no key":          func(c *Claims) { c.Key = "" },
		"no upload id":    func(c *Claims) { c.UploadID = "" },
		"no subject":      func(c *Claims) { c.Subject = "" },
		"no bucket":       func(c *Claims) { c.Bucket = "" },
		"no expiry":       func(c *Claims) { c.Expires = time.Time{} },
		"no part size":    func(c *Claims) { c.PartSize = 0 },
		"bad UTF-8":       func(c *Claims) { c.Key = "exampledir/\xff" },
		"key too long":    func(c *Claims) { c.Key = strings.Repeat("k", MaxKeyBytes+1) },
		"bucket too long": func(c *Claims) { c.Bucket = strings.Repeat("b", MaxBucketBytes+1) },
		"id too long":     func(c *Claims) { c.UploadID = strings.Repeat("u", MaxUploadIDBytes+1) },
		"type too long":   func(c *Claims) { c.ContentType = strings.Repeat("t", MaxContentTypeBytes+1) },
	} {
		c := claims()
		mut(&c)
		if _, err := s.Seal(c); err == nil {
			t.Errorf("%s: sealed", name)
		}
	}
}

// rawSeal MACs an arbitrary payload with s's key: it builds handles that
// are authentic but malformed, to show the payload is still parsed strictly.
func rawSeal(s *Sealer, payloadJSON string) string {
	body := base64.RawURLEncoding.EncodeToString([]byte(payloadJSON))
	return body + "." + base64.RawURLEncoding.EncodeToString(s.s.MAC(body))
}

func TestOpenRefuses(t *testing.T) {
	s := sealer(t, testSecret)
	key, err := DeriveKey(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	c := claims()
	h, _ := s.Seal(c)
	body, sig, _ := strings.Cut(h, ".")
	flip := func(str string, i int) string {
		b := []byte(str)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	exp := c.Expires.Unix()
	cases := map[string]struct {
		h   string
		now time.Time
	}{
		"empty":                 {"", testNow},
		"no dot":                {body + sig, testNow},
		"two dots":              {h + ".x", testNow},
		"empty body":            {"." + sig, testNow},
		"truncated signature":   {h[:len(h)-1], testNow},
		"truncated body":        {body[1:] + "." + sig, testNow},
		"signature only":        {sig, testNow},
		"padded signature":      {h + "=", testNow},
		"std base64 alphabet":   {strings.NewReplacer("-", "+", "_", "/").Replace(h), testNow},
		"flipped body byte":     {flip(body, len(body)/2) + "." + sig, testNow},
		"flipped sig byte":      {body + "." + flip(sig, 3), testNow},
		"expired at exp":        {h, c.Expires},
		"expired after":         {h, c.Expires.Add(time.Hour)},
		"over max length":       {strings.Repeat("a", MaxLen+1), testNow},
		"whitespace":            {" " + h, testNow},
		"version 1":             {rawSeal(s, `{"v":1,"b":"examplebucket","k":"exampledir/a","u":"U","s":"alice","t":"","p":1,"e":`+itoa(exp)+`}`), testNow},
		"raw subject":           {rawSeal(s, `{"v":2,"b":"examplebucket","k":"exampledir/a","u":"U","s":"alice","t":"","p":1,"e":`+itoa(exp)+`}`), testNow},
		"other subject":         {rawSeal(s, `{"v":2,"b":"examplebucket","k":"exampledir/a","u":"U","s":"`+subjectDigest("bob")+`","t":"","p":1,"e":`+itoa(exp)+`}`), testNow},
		"wrong version":         {rawSeal(s, `{"v":3,"b":"examplebucket","k":"exampledir/a","u":"U","s":"alice","t":"","p":1,"e":`+itoa(exp)+`}`), testNow},
		"no version":            {rawSeal(s, `{"b":"examplebucket","k":"exampledir/a","u":"U","s":"alice","t":"","p":1,"e":`+itoa(exp)+`}`), testNow},
		"unknown field":         {rawSeal(s, `{"v":2,"b":"examplebucket","k":"exampledir/a","u":"U","s":"`+subjectDigest("alice")+`","t":"","p":1,"e":`+itoa(exp)+`,"admin":true}`), testNow},
		"trailing data":         {rawSeal(s, `{"v":2,"b":"examplebucket","k":"exampledir/a","u":"U","s":"`+subjectDigest("alice")+`","t":"","p":1,"e":`+itoa(exp)+`}{}`), testNow},
		"empty subject":         {rawSeal(s, `{"v":2,"b":"examplebucket","k":"exampledir/a","u":"U","s":"","t":"","p":1,"e":`+itoa(exp)+`}`), testNow},
		"no upload id":          {rawSeal(s, `{"v":2,"b":"examplebucket","k":"exampledir/a","s":"`+subjectDigest("alice")+`","t":"","p":1,"e":`+itoa(exp)+`}`), testNow},
		"zero part size":        {rawSeal(s, `{"v":2,"b":"examplebucket","k":"exampledir/a","u":"U","s":"`+subjectDigest("alice")+`","t":"","p":0,"e":`+itoa(exp)+`}`), testNow},
		"not JSON":              {rawSeal(s, `v=1&k=exampledir/a`), testNow},
		"other context":         {body + "." + base64.RawURLEncoding.EncodeToString(plainMAC(key, body)), testNow},
		"MAC of decoded body":   {body + "." + base64.RawURLEncoding.EncodeToString(plainMAC(key, macContext+mustDecode(body))), testNow},
		"sig of another handle": {otherBody(t, s) + "." + sig, testNow},
	}
	for name, tc := range cases {
		if got, err := s.Open(tc.h, "alice", tc.now); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Open = %+v, %v; want ErrInvalid", name, got, err)
		}
	}
	if _, err := s.Open(h, "alice", c.Expires.Add(-time.Second)); err != nil {
		t.Errorf("one second before expiry: %v", err)
	}
}

// Tampering with any single field of an authentic handle, and re-encoding
// it without the key, fails.
func TestTamperedFields(t *testing.T) {
	s := sealer(t, testSecret)
	h, _ := s.Seal(claims())
	body, sig, _ := strings.Cut(h, ".")
	raw := mustDecode(body)
	for _, swap := range [][2]string{
		{`"s":"` + subjectDigest("alice") + `"`, `"s":"` + subjectDigest("bob") + `"`},
		{`"u":"0004B9894A22E5B1888A1E29F823****"`, `"u":"0004B9894A22E5B1888A1E29F823***X"`},
		{`"k":"exampledir/alice/`, `"k":"exampledir/bob/`},
		{`"e":`, `"e":9`},
		{`"v":2`, `"v":2.0`},
	} {
		if !strings.Contains(raw, swap[0]) {
			t.Fatalf("payload %s lacks %s", raw, swap[0])
		}
		forged := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(raw, swap[0], swap[1], 1))) + "." + sig
		if _, err := s.Open(forged, "alice", testNow); !errors.Is(err, ErrInvalid) {
			t.Errorf("tampered %s: %v", swap[1], err)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func plainMAC(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func mustDecode(s string) string {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func otherBody(t *testing.T, s *Sealer) string {
	c := claims()
	c.Subject = "bob"
	h, err := s.Seal(c)
	if err != nil {
		t.Fatal(err)
	}
	body, _, _ := strings.Cut(h, ".")
	return body
}

// FuzzHandle: Open never panics, and whatever it accepts is exactly what
// the issuer would seal for those claims: an accepted handle is one the
// issuer signed.
func FuzzHandle(f *testing.F) {
	s := sealer(f, testSecret)
	h, _ := s.Seal(claims())
	body, sig, _ := strings.Cut(h, ".")
	f.Add(h)
	f.Add(body + "." + sig[:10])
	f.Add(rawSeal(s, `{"v":2}`))
	f.Add(rawSeal(s, `{"v":2,"b":"b","k":"k","u":"u","s":"`+subjectDigest("alice")+`","t":"","p":1,"e":99999999999}`))
	f.Add("..")
	f.Add("a.b")
	f.Add(strings.Repeat("A", 64) + "." + strings.Repeat("_", 43))
	f.Fuzz(func(t *testing.T, in string) {
		c, err := s.Open(in, "alice", testNow)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		again, err := s.Seal(c)
		if err != nil {
			t.Fatalf("accepted claims %+v do not seal: %v", c, err)
		}
		if again != in {
			// The fuzzer cannot forge the MAC, so this would be an
			// authentic payload Seal does not write: a parsing gap.
			t.Fatalf("accepted %q, but the issuer writes %q for its claims", in, again)
		}
		if c.Subject == "" || c.Key == "" || c.UploadID == "" || !testNow.Before(c.Expires) {
			t.Fatalf("accepted incomplete or expired claims %+v", c)
		}
	})
}

// TestMaxLenHolds: claims at every field's bound, made of each byte or
// character that grows most under JSON escaping (control bytes, quotes,
// backslashes, HTML-special characters, U+2028/U+2029, 4-byte UTF-8), seal
// within MaxLen and open again. A valid key never makes a handle too long.
func TestMaxLenHolds(t *testing.T) {
	s := sealer(t, testSecret)
	var units []string
	for b := 0; b < 0x80; b++ {
		units = append(units, string(rune(b)))
	}
	units = append(units, "\u2028", "\u2029", "\u00e9", "\U0001F600", "\ufffd")
	longest := 0
	for _, u := range units {
		fill := func(n int) string { return strings.Repeat(u, n/len(u)) + strings.Repeat("x", n%len(u)) }
		c := Claims{Bucket: fill(MaxBucketBytes), Key: fill(MaxKeyBytes), UploadID: fill(MaxUploadIDBytes),
			Subject: fill(8 << 10), ContentType: fill(MaxContentTypeBytes), Overwrite: true,
			Size: 1<<63 - 1, PartSize: 1<<63 - 1, Expires: time.Unix(1<<40, 0)}
		h, err := s.Seal(c)
		if err != nil {
			t.Fatalf("unit %q: %v", u, err)
		}
		longest = max(longest, len(h))
		got, err := s.Open(h, c.Subject, testNow)
		if err != nil || got.Key != c.Key || got.ContentType != c.ContentType {
			t.Fatalf("unit %q: Open = %v", u, err)
		}
	}
	if longest > MaxLen {
		t.Fatalf("longest handle %d > MaxLen %d", longest, MaxLen)
	}
	t.Logf("longest handle %d bytes, MaxLen %d", longest, MaxLen)
}
