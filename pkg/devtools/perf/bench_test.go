package perf

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fc"

	"github.com/ossbroker/ossbroker/pkg/devtools/ossemu"
	"github.com/ossbroker/ossbroker/pkg/devtools/perf/fixture"
)

// Benchmark names are read by pkg/devtools/perf/benchtable, which pairs every path
// with its floor:
//
//	Presign/<kind>       event JSON -> response JSON, one presigned PUT URL
//	FloorVerify/<kind>   the token's signature check alone (crypto package)
//	FloorV4              the V4 signature alone with a cached signing key:
//	                     SHA-256 of the canonical request, HMAC of the string to sign
//	FloorV4Derive        the same plus the four key-derivation HMACs (for reference)
//	Upload/<size>        event JSON (base64 body) -> response JSON, the object
//	                     written to an in-process OSS server over loopback
//	FloorUpload/<size>   base64-decoding plus MD5 of the same bytes

var (
	keysOnce sync.Once
	keys     *fixture.Keys
)

func testKeys(_ *testing.B) *fixture.Keys {
	keysOnce.Do(func() { keys = fixture.Must(fixture.NewKeys()) })
	return keys
}

func BenchmarkPresign(b *testing.B) {
	k := testKeys(b)
	srv, endpoint := fixture.Must2(fixture.NewOSS())
	defer srv.Close()
	for _, kind := range fixture.Kinds {
		b.Run(string(kind), func(b *testing.B) {
			ctx := context.Background()
			h, closeFn, err := fixture.Broker(ctx, fixture.Options{Auth: k.AuthConfig(kind, ""), Endpoint: endpoint})
			if err != nil {
				b.Fatal(err)
			}
			defer closeFn()
			fn := fixture.Adapter(h)
			ev := fixture.Event("POST", "/v1/presign", k.Token(kind, "bench-user", time.Hour), "application/json", []byte(fixture.PresignBody), false, nil)
			check(b, fn, ev, http.StatusOK)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fn.Invoke(ctx, ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func check(b *testing.B, fn fc.Handler, ev []byte, want int) {
	b.Helper()
	out, err := fn.Invoke(context.Background(), ev)
	if err != nil {
		b.Fatal(err)
	}
	if st, err := fixture.Status(out); err != nil || st != want {
		b.Fatalf("status %d (%v), want %d: %s", st, err, want, fixture.Short(out))
	}
}

func BenchmarkFloorVerify(b *testing.B) {
	k := testKeys(b)
	for _, kind := range fixture.Kinds {
		b.Run(string(kind), func(b *testing.B) {
			tok := k.Token(kind, "bench-user", time.Hour)
			i := strings.LastIndexByte(tok, '.')
			input, sig := tok[:i], fixture.Must(base64.RawURLEncoding.DecodeString(tok[i+1:]))
			var verify func() bool
			switch kind {
			case fixture.HS256:
				verify = func() bool {
					m := hmac.New(sha256.New, fixture.HS256Secret)
					m.Write([]byte(input))
					return hmac.Equal(m.Sum(nil), sig)
				}
			case fixture.RS256, fixture.JWKS:
				verify = func() bool {
					d := sha256.Sum256([]byte(input))
					return rsa.VerifyPKCS1v15(&k.RSA.PublicKey, crypto.SHA256, d[:], sig) == nil
				}
			case fixture.ES256:
				verify = func() bool {
					d := sha256.Sum256([]byte(input))
					r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
					return ecdsa.Verify(&k.EC.PublicKey, d[:], r, s)
				}
			}
			if !verify() {
				b.Fatal("floor verification failed")
			}
			b.ReportAllocs()
			for b.Loop() {
				verify()
			}
		})
	}
}

// v4Inputs is the canonical request and string-to-sign scope of the URL the
// presign benchmark produces, built with ossemu's pure functions.
func v4Inputs() (canonical, datetime, scope string) {
	now := time.Now().UTC()
	datetime, date := now.Format(ossemu.TimeFormat), now.Format(ossemu.DateFormat)
	scope = ossemu.Scope(date, fixture.Region, ossemu.Product)
	q := url.Values{
		"x-oss-signature-version": {ossemu.Algorithm},
		"x-oss-date":              {datetime},
		"x-oss-expires":           {"900"},
		"x-oss-credential":        {fixture.RAMID + "/" + scope},
	}
	h := http.Header{"Content-Type": {"image/png"}, "X-Oss-Forbid-Overwrite": {"true"}}
	canonical = ossemu.CanonicalRequest("PUT", fixture.Bucket, "exampledir/photos/cat.png", q, h, nil)
	return canonical, datetime, scope
}

func BenchmarkFloorV4(b *testing.B) {
	canonical, datetime, scope := v4Inputs()
	key := ossemu.SigningKey(fixture.RAMSecret, datetime[:8], fixture.Region, ossemu.Product)
	prefix := ossemu.Algorithm + "\n" + datetime + "\n" + scope + "\n"
	var sts [256]byte
	var sig [64]byte
	mac := hmac.New(sha256.New, key)
	b.ReportAllocs()
	for b.Loop() {
		sum := sha256.Sum256([]byte(canonical))
		msg := append(append(sts[:0], prefix...), hex.EncodeToString(sum[:])...)
		mac.Reset()
		mac.Write(msg)
		hex.Encode(sig[:], mac.Sum(nil))
	}
}

func BenchmarkFloorV4Derive(b *testing.B) {
	canonical, datetime, scope := v4Inputs()
	b.ReportAllocs()
	for b.Loop() {
		key := ossemu.SigningKey(fixture.RAMSecret, datetime[:8], fixture.Region, ossemu.Product)
		ossemu.Signature(key, ossemu.StringToSign(datetime, scope, canonical))
	}
}

var uploadSizes = []struct {
	name string
	n    int
}{{"64KiB", 64 << 10}, {"1MiB", 1 << 20}, {"5MiB", 5 << 20}}

func body(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + i>>8)
	}
	return p
}

func BenchmarkUpload(b *testing.B) {
	k := testKeys(b)
	srv, endpoint := fixture.Must2(fixture.NewOSS())
	defer srv.Close()
	ctx := context.Background()
	h, closeFn, err := fixture.Broker(ctx, fixture.Options{Auth: k.AuthConfig(fixture.HS256, ""), Endpoint: endpoint})
	if err != nil {
		b.Fatal(err)
	}
	defer closeFn()
	fn := fixture.Adapter(h)
	tok := k.Token(fixture.HS256, "bench-user", time.Hour)
	for _, sz := range uploadSizes {
		b.Run(sz.name, func(b *testing.B) {
			ev := fixture.Event("PUT", "/v1/objects/exampledir/bench/"+sz.name+".bin", tok, "application/octet-stream",
				body(sz.n), true, map[string]string{"overwrite": "true"})
			check(b, fn, ev, http.StatusCreated)
			b.SetBytes(int64(sz.n))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fn.Invoke(ctx, ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFloorUpload(b *testing.B) {
	for _, sz := range uploadSizes {
		b.Run(sz.name, func(b *testing.B) {
			enc := base64.StdEncoding.EncodeToString(body(sz.n))
			dst := make([]byte, base64.StdEncoding.DecodedLen(len(enc)))
			b.SetBytes(int64(sz.n))
			b.ReportAllocs()
			for b.Loop() {
				n, err := base64.StdEncoding.Decode(dst, []byte(enc))
				if err != nil {
					b.Fatal(err)
				}
				md5.Sum(dst[:n])
			}
		})
	}
}
