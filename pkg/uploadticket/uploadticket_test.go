package uploadticket

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func sealer(t *testing.T, secret string) *Sealer {
	t.Helper()
	k, err := DeriveKey([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpen(t *testing.T) {
	s := sealer(t, "0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	c := Claims{Bucket: "examplebucket", Key: "exampledir/a b/中.png", Subject: "alice\u00e9", ContentType: "image/png",
		Pinned: 12, MaxSize: 100, Upload: NewUploadID(), RequestID: "r1", Expires: now.Add(time.Hour).UTC()}
	tk, err := s.Seal(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Open(tk, now)
	if err != nil || got != c {
		t.Fatalf("Open = %+v, %v; want %+v", got, err, c)
	}
	// Expired at and after Expires.
	for _, at := range []time.Time{c.Expires, c.Expires.Add(time.Second)} {
		if _, err := s.Open(tk, at); !errors.Is(err, ErrInvalid) {
			t.Errorf("open at %v: %v", at, err)
		}
	}
	// Every single-bit change of every byte, every truncation: refused.
	for i := range tk {
		b := []byte(tk)
		b[i] ^= 0x01
		if _, err := s.Open(string(b), now); !errors.Is(err, ErrInvalid) {
			t.Fatalf("byte %d changed: accepted", i)
		}
		if _, err := s.Open(tk[:i], now); !errors.Is(err, ErrInvalid) {
			t.Fatalf("truncated to %d: accepted", i)
		}
	}
	// Another secret's key, an appended byte, two dots, the payload alone.
	other := sealer(t, "another secret of thirty-two b.")
	body, _, _ := strings.Cut(tk, ".")
	for name, v := range map[string]string{"appended": tk + "A", "dots": tk + ".x", "no mac": body, "empty mac": body + "."} {
		if _, err := s.Open(v, now); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := other.Open(tk, now); !errors.Is(err, ErrInvalid) {
		t.Error("another key opened the ticket")
	}
	// A MAC made with the key but without the context label does not open.
	key, err := DeriveKey([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(body))
	if _, err := s.Open(body+"."+base64.RawURLEncoding.EncodeToString(m.Sum(nil)), now); !errors.Is(err, ErrInvalid) {
		t.Error("a MAC without the context label was accepted")
	}
}

func TestSealRefuses(t *testing.T) {
	s := sealer(t, "0123456789abcdef0123456789abcdef")
	ok := Claims{Bucket: "b", Key: "k", Subject: "s", Upload: "u", MaxSize: 1, Pinned: -1, Expires: time.Now().Add(time.Hour)}
	if _, err := s.Seal(ok); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Claims){
		"no bucket": func(c *Claims) { c.Bucket = "" }, "no key": func(c *Claims) { c.Key = "" },
		"no subject": func(c *Claims) { c.Subject = "" }, "no upload": func(c *Claims) { c.Upload = "" },
		"no expiry": func(c *Claims) { c.Expires = time.Time{} }, "no limit": func(c *Claims) { c.MaxSize = 0 },
		"bad pinned": func(c *Claims) { c.Pinned = -2 }, "bad utf-8": func(c *Claims) { c.Subject = "\xff" },
	} {
		c := ok
		mut(&c)
		if _, err := s.Seal(c); err == nil {
			t.Errorf("%s: sealed", name)
		}
	}
	if _, err := DeriveKey([]byte("short")); err == nil {
		t.Error("a short secret was accepted")
	}
	if a, b := NewUploadID(), NewUploadID(); a == b || len(a) != 22 {
		t.Error("upload ids are not fresh 22-character values")
	}
}
