package ossemu

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"
)

const vectorPolicy = `{"expiration":"2025-01-02T04:04:05.000Z","conditions":[{"bucket":"examplebucket"},{"x-oss-signature-version":"OSS4-HMAC-SHA256"},{"x-oss-credential":"LTAI5tTestAccessKeyId/20250102/cn-hangzhou/oss/aliyun_v4_request"},{"x-oss-date":"20250102T030405Z"},["content-length-range",1,1048576],["starts-with","$key","exampledir/"]]}`

type postForm struct {
	fields [][2]string // in order; "file" is appended last
	file   []byte
}

func (f postForm) encode(t *testing.T) (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range f.fields {
		if err := mw.WriteField(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "upload.txt")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(f.file)
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// vectorForm is the §4.5 vector as a browser would post it.
func vectorForm(key, policy, signature string, extra ...[2]string) postForm {
	fields := [][2]string{
		{"key", key},
		{"policy", base64.StdEncoding.EncodeToString([]byte(policy))},
		{"x-oss-signature-version", Algorithm},
		{"x-oss-credential", "LTAI5tTestAccessKeyId/20250102/cn-hangzhou/oss/aliyun_v4_request"},
		{"x-oss-date", "20250102T030405Z"},
		{"x-oss-signature", signature},
	}
	return postForm{fields: append(fields, extra...), file: []byte("posted content")}
}

func TestPostObject(t *testing.T) {
	const vecSig = "42b05e6c16141bf4f05d38bf0c099cc39760b20227d7a303177e67279a1374c1"
	signedAt := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	resign := func(policy string) string {
		return Signature(SigningKey("TestAccessKeySecret123", "20250102", "cn-hangzhou", "oss"), base64.StdEncoding.EncodeToString([]byte(policy)))
	}
	endsWith := strings.Replace(vectorPolicy, `["starts-with","$key","exampledir/"]`, `["ends-with","$key",".txt"]`, 1)
	noDate := strings.Replace(vectorPolicy, `{"x-oss-date":"20250102T030405Z"},`, "", 1)
	inCT := strings.Replace(vectorPolicy, `["starts-with","$key","exampledir/"]`, `["in","$content-type",["image/png","text/plain"]]`, 1)
	for _, c := range []struct {
		name   string
		form   postForm
		at     time.Duration
		status int
		code   string
		stored string // key expected to exist afterwards
	}{
		{name: "vector accepted", form: vectorForm("exampledir/post.txt", vectorPolicy, vecSig), status: 204, stored: "exampledir/post.txt"},
		{name: "201 with XML", form: vectorForm("exampledir/post201.txt", vectorPolicy, vecSig, [2]string{"success_action_status", "201"}), status: 201, stored: "exampledir/post201.txt"},
		{name: "filename substitution", form: vectorForm("exampledir/${filename}", vectorPolicy, vecSig), status: 204, stored: "exampledir/upload.txt"},
		{name: "key outside starts-with", form: vectorForm("elsewhere/post.txt", vectorPolicy, vecSig), status: 403, code: "AccessDenied"},
		{name: "signature wrong", form: vectorForm("exampledir/x.txt", vectorPolicy, strings.Repeat("0", 64)), status: 403, code: "SignatureDoesNotMatch"},
		{name: "policy changed", form: vectorForm("exampledir/x.txt", strings.Replace(vectorPolicy, "1048576", "1048577", 1), vecSig), status: 403, code: "SignatureDoesNotMatch"},
		{name: "policy expired", form: vectorForm("exampledir/x.txt", vectorPolicy, vecSig), at: time.Hour + time.Second, status: 403, code: "InvalidPolicyDocument"},
		{name: "x-oss-date too far ahead", form: vectorForm("exampledir/x.txt", vectorPolicy, vecSig), at: -16 * time.Minute, status: 403, code: "AccessDenied"},
		{name: "empty file under range (the range bounds the file)", form: func() postForm { f := vectorForm("exampledir/x.txt", vectorPolicy, vecSig); f.file = nil; return f }(), status: 400, code: "EntityTooSmall"},
		{name: "file of the range's top", form: func() postForm {
			f := vectorForm("exampledir/top.txt", vectorPolicy, vecSig)
			f.file = bytes.Repeat([]byte("x"), 1<<20)
			return f
		}(), status: 204, stored: "exampledir/top.txt"},
		{name: "file over range", form: func() postForm {
			f := vectorForm("exampledir/big.txt", vectorPolicy, vecSig)
			f.file = bytes.Repeat([]byte("x"), 1<<20+1)
			return f
		}(), status: 400, code: "EntityTooLarge"},
		{name: "ends-with refused", form: vectorForm("exampledir/e.txt", endsWith, resign(endsWith)), status: 400, code: "InvalidPolicyDocument"},
		{name: "x-oss-date not pinned", form: vectorForm("exampledir/d.txt", noDate, resign(noDate)), status: 400, code: "InvalidPolicyDocument"},
		{name: "in condition met", form: vectorForm("exampledir/in.txt", inCT, resign(inCT), [2]string{"Content-Type", "text/plain"}), status: 204, stored: "exampledir/in.txt"},
		{name: "in condition failed", form: vectorForm("exampledir/in2.txt", inCT, resign(inCT), [2]string{"Content-Type", "text/html"}), status: 403, code: "AccessDenied"},
		{name: "no policy", form: postForm{fields: [][2]string{{"key", "exampledir/anon"}}, file: []byte("x")}, status: 403, code: "AccessDenied"},
	} {
		t.Run(c.name, func(t *testing.T) {
			clk := newClock(signedAt.Add(c.at))
			env := newEnv(t, func(cfg *Config) {
				cfg.Users = append(cfg.Users, User{AccessKeyID: "LTAI5tTestAccessKeyId", AccessKeySecret: "TestAccessKeySecret123"})
				cfg.Now = clk.Now
			})
			ct, body := c.form.encode(t)
			resp := do(t, "POST", env.endpoint+"/"+testBucket, map[string]string{"Content-Type": ct, "Origin": "https://app.example.com"}, string(body))
			if resp.status != c.status {
				t.Fatalf("status %d, want %d: %s", resp.status, c.status, resp.body)
			}
			if c.code != "" {
				if e := parseErr(t, resp.body); e.Code != c.code {
					t.Fatalf("code %s, want %s: %s", e.Code, c.code, e.Message)
				}
				if n := len(env.s.store.listing(testBucket, "")); n != 0 {
					t.Fatalf("refused post stored %d objects", n)
				}
				return
			}
			if resp.header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || resp.header.Get("ETag") == "" {
				t.Fatalf("response headers %v", resp.header)
			}
			m, body2, err := env.s.store.open(testBucket, c.stored)
			if err != nil {
				t.Fatalf("%s not stored", c.stored)
			}
			got, _ := io.ReadAll(body2)
			body2.Close()
			if !bytes.Equal(got, c.form.file) || m.ETag != resp.header.Get("ETag") {
				t.Fatalf("stored %q etag %s", got, m.ETag)
			}
			if c.status == 201 && !strings.Contains(resp.body, "<Key>"+c.stored+"</Key>") {
				t.Fatalf("201 body %s", resp.body)
			}
		})
	}
}

// TestPostObjectRAM: the policy signature only proves the key pair; RAM
// still limits what a RAM user's form may write.
func TestPostObjectRAM(t *testing.T) {
	now := time.Now().UTC()
	env := newEnv(t, func(c *Config) { c.Now = func() time.Time { return now } })
	ts := now.Format(TimeFormat)
	cred := ramAK + "/" + Scope(ts[:8], testRegion, Product)
	post := func(key string) response {
		policy := fmt.Sprintf(`{"expiration":%q,"conditions":[{"x-oss-signature-version":"OSS4-HMAC-SHA256"},{"x-oss-credential":%q},{"x-oss-date":%q}]}`,
			now.Add(time.Hour).Format("2006-01-02T15:04:05.000Z"), cred, ts)
		b64 := base64.StdEncoding.EncodeToString([]byte(policy))
		f := postForm{fields: [][2]string{{"key", key}, {"policy", b64}, {"x-oss-signature-version", Algorithm},
			{"x-oss-credential", cred}, {"x-oss-date", ts},
			{"x-oss-signature", Signature(SigningKey(ramSK, ts[:8], testRegion, Product), b64)}}, file: []byte("ram")}
		ct, body := f.encode(t)
		return do(t, http.MethodPost, env.endpoint+"/"+testBucket, map[string]string{"Content-Type": ct}, string(body))
	}
	if r := post("uploads/form.txt"); r.status != 204 {
		t.Fatalf("allowed prefix: %d %s", r.status, r.body)
	}
	if r := post("private/form.txt"); r.status != 403 || parseErr(t, r.body).Code != "AccessDenied" {
		t.Fatalf("outside policy: %d %s", r.status, r.body)
	}
}

// TestPostObjectRangeBoundsFile: content-length-range bounds the uploaded
// object, the bytes of the file part, whatever the form around it
// (OSS documentation: PostObject): at each edge of several ranges, a file one byte inside
// is stored and one byte outside refused with nothing stored, with a form
// overhead of a few hundred bytes and of over 400 KiB (many extra fields, a
// long file name, a long boundary), posted as real multipart/form-data.
func TestPostObjectRangeBoundsFile(t *testing.T) {
	signedAt := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	env := newEnv(t, func(cfg *Config) {
		cfg.Users = append(cfg.Users, User{AccessKeyID: "LTAI5tTestAccessKeyId", AccessKeySecret: "TestAccessKeySecret123"})
		cfg.Now = newClock(signedAt).Now
	})
	type overhead struct {
		name     string
		fields   [][2]string
		filename string
		boundary string
	}
	var many [][2]string
	for i := range 100 {
		many = append(many, [2]string{fmt.Sprintf("x-extra-%03d", i), strings.Repeat("v", 4000)})
	}
	overheads := []overhead{
		{name: "small form"},
		{name: "400 KiB of form", fields: many, filename: strings.Repeat("n", 2000) + ".bin", boundary: strings.Repeat("b", 70)},
	}
	n := 0
	for _, rng := range [][2]int64{{0, 0}, {0, 1}, {1, 1}, {0, 100}, {10, 4096}, {1000, 1000}, {0, 64 << 10}, {0, 300 << 10}} {
		lo, hi := rng[0], rng[1]
		policy := strings.Replace(vectorPolicy, `["content-length-range",1,1048576]`, fmt.Sprintf(`["content-length-range",%d,%d]`, lo, hi), 1)
		sig := Signature(SigningKey("TestAccessKeySecret123", "20250102", "cn-hangzhou", "oss"), base64.StdEncoding.EncodeToString([]byte(policy)))
		sizes := map[int64]bool{hi: true, hi + 1: false, lo: true}
		if lo > 0 {
			sizes[lo-1] = false
		}
		if hi > lo {
			sizes[lo+1], sizes[hi-1] = true, true
		}
		for _, o := range overheads {
			for size, ok := range sizes {
				n++
				key := fmt.Sprintf("exampledir/range-%d.bin", n)
				f := vectorForm(key, policy, sig, o.fields...)
				var buf bytes.Buffer
				mw := multipart.NewWriter(&buf)
				if o.boundary != "" {
					if err := mw.SetBoundary(o.boundary); err != nil {
						t.Fatal(err)
					}
				}
				for _, kv := range f.fields {
					mw.WriteField(kv[0], kv[1])
				}
				name := o.filename
				if name == "" {
					name = "f.bin"
				}
				fw, _ := mw.CreateFormFile("file", name)
				file := bytes.Repeat([]byte{0xa5}, int(size))
				fw.Write(file)
				mw.Close()
				resp := do(t, "POST", env.endpoint+"/"+testBucket, map[string]string{"Content-Type": mw.FormDataContentType()}, buf.String())
				what := fmt.Sprintf("range [%d,%d], %s (%d bytes over the file), file of %d bytes", lo, hi, o.name, int64(buf.Len())-size, size)
				_, stored, err := env.s.store.open(testBucket, key)
				if err == nil {
					stored.Close()
				}
				switch {
				case ok && (resp.status != 204 || err != nil):
					t.Errorf("%s: %d %s, stored %v; want 204", what, resp.status, resp.body, err == nil)
				case !ok && resp.status == 204:
					t.Errorf("%s: accepted; want refused", what)
				case !ok && err == nil:
					t.Errorf("%s: refused but stored", what)
				case !ok:
					want := "EntityTooLarge"
					if size < lo {
						want = "EntityTooSmall"
					}
					if e := parseErr(t, resp.body); resp.status != 400 || e.Code != want {
						t.Errorf("%s: %d %s, want 400 %s", what, resp.status, e.Code, want)
					}
				}
			}
		}
	}
}
