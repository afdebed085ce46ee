package ossemu

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ossbroker/ossbroker/pkg/osscallback"
)

// Upload callbacks (OSS documentation: upload callback), for PutObject, PostObject and
// CompleteMultipartUpload: after the object is committed, the server POSTs
// the callback body to callbackUrl, signed with its own RSA key whose public
// half it serves at CallbackKeyPath, waits at most CallbackTimeout (5 s, as
// OSS), never retries, and answers the uploader 200 with the application's
// JSON, or 203 CallbackFailed with the object kept.
//
// Where OSS's documentation is silent, the emulator assumes: in an
// application/json body, ${size} is substituted as a number and every other
// variable as a JSON string (the documented example is
// {"mimeType":${mimeType},"size":${size}}); in a form-urlencoded body each
// value is URL-encoded; unknown variables become empty; ${etag} has no quotes.

// CallbackKeyPath is where the server serves its callback public key (PEM).
// No bucket can have this name (bucket names have no dots or underscores).
const CallbackKeyPath = "/callback_pub_key_v1.pem"

const (
	defaultCallbackTimeout = 5 * time.Second
	maxCallbackResponse    = 3 << 20 // OSS: the application's JSON is at most 3 MB
	maxCallbackURLs        = 5
)

// callbackSpec is a decoded x-oss-callback (and x-oss-callback-var).
type callbackSpec struct {
	URLs     []string
	Host     string
	Body     string
	BodyType string
	Vars     map[string]string
}

type callbackParam struct {
	CallbackURL      string `json:"callbackUrl"`
	CallbackHost     string `json:"callbackHost"`
	CallbackBody     string `json:"callbackBody"`
	CallbackBodyType string `json:"callbackBodyType"`
	CallbackSNI      bool   `json:"callbackSNI"`
}

func errCallbackArg(ec, msg string) *ossError {
	return invalidArg(ec, msg, "callback", "")
}

// parseCallback decodes the callback and callback-var values; ("", "")
// means no callback. A bad value is refused before anything is stored.
func parseCallback(cb, vars string) (*callbackSpec, *ossError) {
	if cb == "" {
		if vars != "" {
			return nil, errCallbackArg("", "x-oss-callback-var requires x-oss-callback.")
		}
		return nil, nil
	}
	raw, err := base64.StdEncoding.DecodeString(cb)
	if err != nil {
		return nil, errCallbackArg("0007-00000002", "The callback is not base64 encoded.")
	}
	var p callbackParam
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, errCallbackArg("0007-00000003", "The callback is not a valid JSON object.")
	}
	if strings.TrimSpace(p.CallbackURL) == "" {
		return nil, errCallbackArg("0007-00000004", "The callbackUrl of the callback is empty.")
	}
	if p.CallbackBody == "" {
		return nil, errCallbackArg("0007-00000011", "The callbackBody of the callback is empty.")
	}
	switch p.CallbackBodyType {
	case "":
		p.CallbackBodyType = "application/x-www-form-urlencoded"
	case "application/x-www-form-urlencoded", "application/json":
	default:
		return nil, errCallbackArg("", "The callbackBodyType must be application/x-www-form-urlencoded or application/json.")
	}
	spec := &callbackSpec{Host: p.CallbackHost, Body: p.CallbackBody, BodyType: p.CallbackBodyType}
	for _, u := range strings.Split(p.CallbackURL, ";") {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if !strings.Contains(u, "://") {
			u = "http://" + u
		}
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return nil, errCallbackArg("0007-00000005", "The callbackUrl of the callback is invalid.")
		}
		spec.URLs = append(spec.URLs, u)
	}
	if len(spec.URLs) == 0 || len(spec.URLs) > maxCallbackURLs {
		return nil, errCallbackArg("0007-00000005", "The callbackUrl must hold 1 to 5 URLs.")
	}
	if vars != "" {
		raw, err := base64.StdEncoding.DecodeString(vars)
		if err != nil {
			return nil, invalidArg("0007-00000006", "The callback-var is not base64 encoded.", "callback-var", "")
		}
		if err := json.Unmarshal(raw, &spec.Vars); err != nil {
			return nil, invalidArg("0007-00000007", "The callback-var is not a JSON object of strings.", "callback-var", "")
		}
		for k := range spec.Vars {
			if !strings.HasPrefix(k, "x:") || k != strings.ToLower(k) {
				return nil, invalidArg("0007-00000008", "Custom callback variables must start with x: and be lower case.", "callback-var", k)
			}
		}
	}
	return spec, nil
}

// callbackSys are the system variables of one upload.
type callbackSys struct {
	bucket, key, etag, mimeType, contentMD5, clientIP, reqID, operation string
	size                                                                int64
	crc                                                                 uint64
}

func (s *Server) sysVars(r *http.Request, m *objMeta, reqID, op string) callbackSys {
	ip := r.RemoteAddr
	if h, _, err := net.SplitHostPort(ip); err == nil {
		ip = h
	}
	c := callbackSys{bucket: m.Bucket, key: m.Key, etag: strings.Trim(m.ETag, `"`), mimeType: m.ContentType,
		clientIP: ip, reqID: reqID, operation: op, size: m.Size, crc: m.CRC64}
	if m.MD5 != nil && op == "PutObject" {
		c.contentMD5 = base64.StdEncoding.EncodeToString(m.MD5)
	}
	return c
}

// render substitutes ${...} in the body template.
func (spec *callbackSpec) render(sys callbackSys) []byte {
	jsonMode := spec.BodyType == "application/json"
	var out bytes.Buffer
	t := spec.Body
	for {
		i := strings.Index(t, "${")
		if i < 0 {
			out.WriteString(t)
			break
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			out.WriteString(t)
			break
		}
		out.WriteString(t[:i])
		name := t[i+2 : i+j]
		t = t[i+j+1:]
		var v string
		number := false
		switch name {
		case "bucket":
			v = sys.bucket
		case "object":
			v = sys.key
		case "etag":
			v = sys.etag
		case "size":
			v, number = strconv.FormatInt(sys.size, 10), true
		case "mimeType":
			v = sys.mimeType
		case "crc64":
			v = strconv.FormatUint(sys.crc, 10)
		case "contentMd5":
			v = sys.contentMD5
		case "clientIp":
			v = sys.clientIP
		case "reqId":
			v = sys.reqID
		case "operation":
			v = sys.operation
		default:
			v = spec.Vars[name] // x:name; imageInfo.*, vpcId: empty here
		}
		switch {
		case jsonMode && number:
			out.WriteString(v)
		case jsonMode:
			b, _ := json.Marshal(v)
			out.Write(b)
		default:
			out.WriteString(url.QueryEscape(v))
		}
	}
	return out.Bytes()
}

// callbackKey returns the key pair, made on first use when not configured.
func (s *Server) callbackKey() *rsa.PrivateKey {
	s.cbOnce.Do(func() {
		if s.cfg.CallbackKey != nil {
			s.cbKey = s.cfg.CallbackKey
			return
		}
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic("ossemu: callback key: " + err.Error())
		}
		s.cbKey = k
	})
	return s.cbKey
}

// CallbackKeyURL is the x-oss-pub-key-url the server sends (decoded):
// Config.CallbackKeyURL, or [CallbackKeyPath] on the first Listen address.
// Local mode tells the broker to trust exactly this URL.
func (s *Server) CallbackKeyURL() string {
	if s.cfg.CallbackKeyURL != "" {
		return s.cfg.CallbackKeyURL
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addr == "" {
		return ""
	}
	return "http://" + s.addr + CallbackKeyPath
}

// CallbackPublicKeyPEM is the PEM the server serves at [CallbackKeyPath].
func (s *Server) CallbackPublicKeyPEM() []byte {
	return osscallback.PublicKeyPEM(&s.callbackKey().PublicKey)
}

func (s *Server) serveCallbackKey(w http.ResponseWriter, r *http.Request) {
	pemBytes := s.CallbackPublicKeyPEM()
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Content-Length", strconv.Itoa(len(pemBytes)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(pemBytes)
	}
}

// callback runs spec for the committed object and answers the uploader:
// 200 with the application's JSON, or 203 CallbackFailed.
func (s *Server) callback(w http.ResponseWriter, r *http.Request, spec *callbackSpec, sys callbackSys) {
	body := spec.render(sys)
	sum := md5.Sum(body)
	// The headers of OSS's documented callback request, besides the
	// signature's (which post sets per URL).
	hdr := http.Header{}
	hdr.Set("Content-MD5", base64.StdEncoding.EncodeToString(sum[:]))
	hdr.Set("User-Agent", "aliyun-oss-callback")
	hdr.Set("x-oss-bucket", sys.bucket)
	hdr.Set("x-oss-request-id", sys.reqID)
	hdr.Set("x-oss-requester", AccountID)
	hdr.Set("x-oss-signature-version", "1.0")
	hdr.Set("x-oss-tag", "CALLBACK")
	reply, why := s.deliver(r.Context(), spec, body, hdr)
	if why != "" {
		s.log.Info("ossemu: callback failed", "request_id", sys.reqID, "reason", why)
		s.writeError(w, r, sys.reqID, newErr(http.StatusNonAuthoritativeInfo, "CallbackFailed", why, "0007-00000203"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(reply)))
	w.WriteHeader(http.StatusOK)
	w.Write(reply)
}

// deliver POSTs body to each callback URL in turn until one answers 200
// with JSON; it returns that JSON, or why none did.
func (s *Server) deliver(ctx context.Context, spec *callbackSpec, body []byte, hdr http.Header) ([]byte, string) {
	timeout := s.cfg.CallbackTimeout
	if timeout <= 0 {
		timeout = defaultCallbackTimeout
	}
	client := s.cfg.CallbackClient
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	keyURL := base64.StdEncoding.EncodeToString([]byte(s.CallbackKeyURL()))
	why := ""
	for _, u := range spec.URLs {
		reply, err := s.post(ctx, client, timeout, u, spec, body, keyURL, hdr)
		if err == "" {
			return reply, ""
		}
		why = err
	}
	return nil, why
}

func (s *Server) post(ctx context.Context, client *http.Client, timeout time.Duration, target string, spec *callbackSpec, body []byte,
	keyURL string, hdr http.Header) ([]byte, string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, "Error status : -1. The callbackUrl is invalid."
	}
	msg, err := osscallback.StringToSign(req.URL.EscapedPath(), req.URL.RawQuery, req.URL.RawQuery != "" || req.URL.ForceQuery, body)
	if err != nil {
		return nil, "Error status : -1. The callbackUrl path is invalid."
	}
	sig, err := osscallback.Sign(s.callbackKey(), msg)
	if err != nil {
		return nil, "Error status : -1. Signing the callback failed."
	}
	if spec.Host != "" {
		req.Host = spec.Host
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", spec.BodyType)
	req.Header.Set("Date", s.now().UTC().Format(http.TimeFormat))
	req.Header.Set(osscallback.HeaderPubKeyURL, keyURL)
	req.Header.Set(osscallback.HeaderAuthorization, sig)
	res, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, "Error status : -1. The callback timed out after " + timeout.String() + "."
		}
		return nil, "Error status : -1. The callback server could not be reached."
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, "Error status : " + strconv.Itoa(res.StatusCode) + "."
	}
	if res.ContentLength < 0 || res.ContentLength > maxCallbackResponse {
		return nil, "Error status : 200. The response must have a Content-Length of at most 3 MB."
	}
	reply, err := io.ReadAll(io.LimitReader(res.Body, maxCallbackResponse+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, "Error status : -1. The callback timed out after " + timeout.String() + "."
		}
		return nil, "Error status : -1. Reading the callback response failed."
	}
	if !json.Valid(reply) {
		return nil, "Error status : 200. The callback response is not JSON."
	}
	return reply, ""
}
