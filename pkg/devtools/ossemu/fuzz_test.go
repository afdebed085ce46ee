package ossemu

import (
	"bufio"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

var fuzzTime = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func fuzzServer(t testing.TB) *Server {
	return mustServer(t, Config{Region: testRegion, Buckets: []string{testBucket}, MaxObjectSize: 1 << 16,
		Users: []User{{AccessKeyID: ownerAK, AccessKeySecret: ownerSK}, {AccessKeyID: stsAK, AccessKeySecret: stsSK, SecurityToken: stsToken},
			{AccessKeyID: "LTAI5tTestAccessKeyId", AccessKeySecret: "TestAccessKeySecret123"}},
		Now: func() time.Time { return fuzzTime }})
}

// presignURL builds a presigned URL with the pure functions.
func presignURL(path string, q url.Values, hdr http.Header, additional []string, ak, sk string, at time.Time, expires string) string {
	ts := at.UTC().Format(TimeFormat)
	q.Set("x-oss-signature-version", Algorithm)
	q.Set("x-oss-credential", ak+"/"+Scope(ts[:8], testRegion, Product))
	q.Set("x-oss-date", ts)
	q.Set("x-oss-expires", expires)
	if len(additional) > 0 {
		q.Set("x-oss-additional-headers", strings.Join(additional, ";"))
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	dec, _ := url.PathUnescape(key)
	cr := CanonicalRequest("PUT", bucket, dec, q, hdr, additional)
	q.Set("x-oss-signature", Signature(SigningKey(sk, ts[:8], testRegion, Product), StringToSign(ts, Scope(ts[:8], testRegion, Product), cr)))
	return path + "?" + strings.ReplaceAll(q.Encode(), "+", "%20")
}

func rawRequest(method, target, headers string, body []byte) []byte {
	return []byte(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:9100\r\n" + headers + "\r\n" + string(body))
}

func headerLines(h http.Header) string {
	var b strings.Builder
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	return b.String()
}

// fuzzSeeds are valid signed requests of every shape.
func fuzzSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	// Header auth PUT (x-oss-date).
	r := signedRequest(t, "PUT", "http://127.0.0.1:9100/"+testBucket+"/dir/a%20b%2Bc.txt?x=1", nil,
		map[string]string{"Content-Type": "text/plain", "X-Oss-Meta-A": "b", "Content-Length": "5"}, ownerAK, ownerSK, fuzzTime)
	seeds = append(seeds, rawRequest("PUT", r.URL.RequestURI(), headerLines(r.Header), []byte("hello")))
	// Header auth GET.
	r = signedRequest(t, "GET", "http://127.0.0.1:9100/"+testBucket+"/dir/a%20b%2Bc.txt", nil, nil, ownerAK, ownerSK, fuzzTime)
	seeds = append(seeds, rawRequest("GET", r.URL.RequestURI(), headerLines(r.Header), nil))
	// Presigned PUT with a content type, an additional header and an STS token.
	h := http.Header{"Content-Type": {"image/png"}, "X-Custom": {"v"}}
	q := url.Values{"x-oss-security-token": {stsToken}}
	target := presignURL("/"+testBucket+"/sts/%C3%BC.png", q, h, []string{"x-custom"}, stsAK, stsSK, fuzzTime, "600")
	seeds = append(seeds, rawRequest("PUT", target, headerLines(h)+"Content-Length: 3\r\n", []byte("png")))
	// Presigned PUT, no headers.
	target = presignURL("/"+testBucket+"/plain", url.Values{}, http.Header{}, nil, ownerAK, ownerSK, fuzzTime.Add(-time.Minute), "60")
	seeds = append(seeds, rawRequest("PUT", target, "Content-Length: 0\r\n", nil))
	// PostObject form (the §4.5 vector), exercising the form parser.
	var buf strings.Builder
	mw := multipart.NewWriter(&buf)
	for _, kv := range vectorForm("exampledir/f.txt", vectorPolicy, "42b05e6c16141bf4f05d38bf0c099cc39760b20227d7a303177e67279a1374c1").fields {
		mw.WriteField(kv[0], kv[1])
	}
	fw, _ := mw.CreateFormFile("file", "f.txt")
	fw.Write([]byte("form"))
	mw.Close()
	seeds = append(seeds, rawRequest("POST", "/"+testBucket, fmt.Sprintf("Content-Type: %s\r\nContent-Length: %d\r\n", mw.FormDataContentType(), buf.Len()), []byte(buf.String())))
	return seeds
}

// independentSignature recomputes what a correct signature for r must be,
// parsing the auth fields separately from the server's parser.
func independentSignature(r *http.Request, bucket, key string) (provided, want string, ok bool) {
	secrets := map[string]string{ownerAK: ownerSK, stsAK: stsSK, "LTAI5tTestAccessKeyId": "TestAccessKeySecret123"}
	q := r.URL.Query()
	var cred, ts string
	var add []string
	if a := r.Header.Get("Authorization"); a != "" {
		for _, f := range strings.Split(strings.TrimPrefix(a, Algorithm+" "), ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
			switch k {
			case "Credential":
				cred = v
			case "Signature":
				provided = v
			case "AdditionalHeaders":
				add = strings.Split(v, ";")
			}
		}
		ts = r.Header.Get("x-oss-date")
		if ts == "" {
			ts = r.Header.Get("Date")
		}
	} else {
		cred, provided, ts = q.Get("x-oss-credential"), q.Get("x-oss-signature"), q.Get("x-oss-date")
		if v := q.Get("x-oss-additional-headers"); v != "" {
			add = strings.Split(v, ";")
		}
		q.Del("x-oss-signature")
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return provided, "", false
	}
	sk, known := secrets[parts[0]]
	if !known {
		return provided, "", false
	}
	add = NormalizeAdditionalHeaders(add)
	h := r.Header.Clone()
	h.Set("Host", r.Host)
	cr := CanonicalRequest(r.Method, bucket, key, q, h, add)
	scope := Scope(parts[1], parts[2], parts[3])
	return provided, Signature(SigningKey(sk, parts[1], parts[2], parts[3]), StringToSign(ts, scope, cr)), true
}

// FuzzVerify feeds mutated signed requests to the verifier and the full
// handler: nothing may panic, and nothing may be accepted unless its
// signature equals the independently computed one.
func FuzzVerify(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(string(raw))))
		if err != nil {
			return
		}
		tg := s.resolve(r)
		who, e := s.authenticate(r, tg.bucket, tg.key)
		if e == nil && who.user != nil {
			provided, want, ok := independentSignature(r, tg.bucket, tg.key)
			if !ok || provided != want {
				t.Fatalf("accepted a request whose signature %q is not the expected %q:\n%s", provided, want, raw)
			}
		}
		if e != nil && (e.Status < 400 || e.Status > 499) {
			t.Fatalf("auth error with status %d", e.Status)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code == http.StatusInternalServerError {
			t.Fatalf("500 for:\n%q\n%s", raw, w.Body)
		}
	})
}

// TestFuzzSeedsAreValid makes sure the corpus starts from accepted requests.
func TestFuzzSeedsAreValid(t *testing.T) {
	s := fuzzServer(t)
	for i, raw := range fuzzSeeds(t) {
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(string(raw))))
		if err != nil {
			t.Fatal(err)
		}
		if r.Method == "POST" {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != 204 {
				t.Fatalf("form seed refused: %d %s", w.Code, w.Body)
			}
			continue
		}
		tg := s.resolve(r)
		if who, e := s.authenticate(r, tg.bucket, tg.key); e != nil || who.user == nil {
			t.Fatalf("seed %d refused: %v\n%s", i, e, raw)
		}
	}
}

func BenchmarkVerifyPresignedPut(b *testing.B) {
	s := fuzzServer(b)
	h := http.Header{"Content-Type": {"image/png"}}
	target := presignURL("/"+testBucket+"/uploads/2025/01/photo%20one.png", url.Values{}, h, nil, ownerAK, ownerSK, fuzzTime, "600")
	r := httptest.NewRequest("PUT", "http://127.0.0.1:9100"+target, nil)
	r.Header = h
	tg := s.resolve(r)
	if _, e := s.authenticate(r, tg.bucket, tg.key); e != nil {
		b.Fatal(e)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, e := s.authenticate(r, tg.bucket, tg.key); e != nil {
			b.Fatal(e)
		}
	}
}
