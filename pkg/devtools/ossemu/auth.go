package ossemu

import (
	"crypto/hmac"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	maxSkew    = 15 * time.Minute
	maxExpires = 604800 // seconds, 7 days
)

// authMode is how a request carries its signature.
type authMode int

const (
	modeAnonymous authMode = iota
	modeHeader
	modeQuery
)

// authParams are the V4 fields of a request, parsed but not yet checked.
type authParams struct {
	mode        authMode
	accessKeyID string
	date        string // scope date, yyyymmdd
	region      string
	product     string
	timestamp   string    // x-oss-date (or Date), as sent
	t           time.Time // timestamp parsed
	additional  []string
	signature   string
	expires     string // query mode only
	token       string
	query       url.Values // decoded query without x-oss-signature
}

// principal is an authenticated caller.
type principal struct {
	user *User // nil = anonymous
}

// keyCache memoizes signing keys per (secret, date, region, product); a
// key is valid for a whole day, and deriving it costs four HMACs.
type keyCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *keyCache) get(secret, date, region, product string) []byte {
	ck := secret + "\x00" + date + "\x00" + region + "\x00" + product
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.m[ck]; ok {
		return k
	}
	if c.m == nil || len(c.m) > 1024 {
		c.m = map[string][]byte{}
	}
	k := SigningKey(secret, date, region, product)
	c.m[ck] = k
	return k
}

// authenticate verifies the request's V4 signature in the order OSS
// checks it and returns the caller. bucket and key are the resolved
// (decoded) names; the canonical URI is always path style.
func (s *Server) authenticate(r *http.Request, bucket, key string) (principal, *ossError) {
	p, e := parseAuth(r)
	if e != nil {
		return principal{}, e
	}
	if p.mode == modeAnonymous {
		return principal{}, nil
	}
	hdr := p.mode == modeHeader

	// 3. Access key.
	user, ok := s.users[p.accessKeyID]
	if !ok {
		e := newErr(403, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.", "0002-00000902")
		e.OSSAccessKeyID = p.accessKeyID
		return principal{}, e
	}

	// 4. Scope.
	if p.date != p.t.UTC().Format(DateFormat) {
		if hdr {
			return principal{}, invalidArg("0002-00000212", "Invalid signing date in Authorization header.", "Authorization", p.date)
		}
		return principal{}, invalidArg("0002-00000223", "Invalid signing date in x-oss-credential.", "x-oss-credential", p.date)
	}
	if p.product != Product {
		return principal{}, invalidArg("0002-00000227", "The signing product in credential is invalid.", "Credential", p.product)
	}
	if p.region != s.cfg.Region {
		// OSS documents the EC, not the code; InvalidArgument as for PostObject (0002-00000715).
		ec := "0002-00000228"
		if !hdr {
			ec = "0002-00000226"
		}
		return principal{}, invalidArg(ec, "The signing region in credential is invalid.", "Credential", p.region)
	}

	// 5. Time.
	t := p.t
	now := s.now().UTC()
	if hdr {
		if d := now.Sub(t); d > maxSkew || d < -maxSkew {
			e := newErr(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", "0002-00000504")
			e.ServerTime = now.Format(time.RFC3339)
			return principal{}, e
		}
	} else {
		n, err := strconv.ParseInt(p.expires, 10, 64)
		if err != nil || n < 1 || n > maxExpires || strconv.FormatInt(n, 10) != p.expires {
			return principal{}, invalidArg("0002-00000232", "x-oss-expires must be an integer between 1 and 604800 seconds.", "x-oss-expires", p.expires)
		}
		if t.Sub(now) > maxSkew {
			return principal{}, newErr(403, "AccessDenied", "Request is not valid yet.", "0002-00000235")
		}
		if exp := t.Add(time.Duration(n) * time.Second); now.After(exp) {
			e := newErr(403, "AccessDenied", "Request has expired.", "0002-00000236")
			e.Expires = exp.Format(time.RFC3339)
			e.ServerTime = now.Format(time.RFC3339)
			return principal{}, e
		}
	}

	// 6. Listed additional headers must be present.
	h := signedHeaderView(r, p.additional)
	for _, name := range p.additional {
		if h.Get(name) == "" {
			// Real OSS answers 400 (SDK TestPresignExtra); the code is not documented.
			return principal{}, invalidArg("", "The additional header "+name+" is listed but missing from the request.", "AdditionalHeaders", name)
		}
	}

	// 7. Signature.
	cr := CanonicalRequest(r.Method, bucket, key, p.query, h, p.additional)
	sts := StringToSign(p.timestamp, Scope(p.date, p.region, p.product), cr)
	want := Signature(s.keys.get(user.AccessKeySecret, p.date, p.region, p.product), sts)
	if !hmac.Equal([]byte(want), []byte(p.signature)) {
		e := newErr(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", "0002-00000201")
		e.OSSAccessKeyID = p.accessKeyID
		e.StringToSign = sts
		e.CanonicalRequest = cr
		return principal{}, e
	}

	// STS token: required and equal for STS users (docs ECs 0002-00000003/-008).
	if user.SecurityToken != "" {
		if p.token == "" {
			return principal{}, newErr(403, "InvalidSecurityToken", "The security token you provided is invalid.", "0002-00000003")
		}
		if subtle.ConstantTimeCompare([]byte(p.token), []byte(user.SecurityToken)) != 1 {
			return principal{}, newErr(403, "InvalidSecurityToken", "The security token you provided is invalid.", "0002-00000008")
		}
	}
	return principal{user: user}, nil
}

// signedHeaderView is the request's header as the client saw it: Go moves
// Host out of the map, so put it back when it is listed.
func signedHeaderView(r *http.Request, additional []string) http.Header {
	for _, a := range additional {
		if a == "host" {
			h := r.Header.Clone()
			h.Set("Host", r.Host)
			return h
		}
	}
	return r.Header
}

// parseAuth detects the auth mode and checks the presence and format of
// every auth field (step 2); problems are 400 InvalidArgument.
func parseAuth(r *http.Request) (authParams, *ossError) {
	var p authParams
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return p, invalidArg("", "The query string is malformed.", "", "")
	}
	for k, vs := range q {
		if len(vs) > 1 {
			// The SDK keeps the last value; refusing repeats removes the ambiguity.
			return p, invalidArg("", "Query parameter "+strconv.Quote(k)+" is repeated.", k, "")
		}
	}
	authz := r.Header.Get("Authorization")
	_, inQuery := q["x-oss-signature-version"]
	switch {
	case authz != "" && inQuery:
		return p, invalidArg("", "Only one authentication mechanism (header or query) is allowed.", "Authorization", "")
	case authz != "":
		p.mode = modeHeader
	case inQuery:
		p.mode = modeQuery
	default:
		if q.Has("OSSAccessKeyId") || q.Has("Signature") {
			return p, newErr(403, "AccessDenied", "This emulator accepts only V4 signatures (OSS4-HMAC-SHA256).", "")
		}
		p.mode = modeAnonymous
		return p, nil
	}

	var cred string
	if p.mode == modeHeader {
		rest, ok := strings.CutPrefix(authz, Algorithm+" ")
		if !ok {
			return p, newErr(403, "AccessDenied", "This emulator accepts only V4 signatures (OSS4-HMAC-SHA256).", "")
		}
		seen := map[string]bool{}
		for _, item := range strings.Split(rest, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
			if !ok || seen[k] {
				return p, invalidArg("0002-00000213", "The Authorization header is malformed.", "Authorization", "")
			}
			seen[k] = true
			switch k {
			case "Credential":
				cred = v
			case "AdditionalHeaders":
				p.additional = NormalizeAdditionalHeaders(strings.Split(v, ";"))
			case "Signature":
				p.signature = v
			default:
				return p, invalidArg("0002-00000213", "Unknown field "+strconv.Quote(k)+" in the Authorization header.", "Authorization", "")
			}
		}
		if cred == "" || p.signature == "" {
			return p, invalidArg("0002-00000213", "The Authorization header must carry Credential and Signature.", "Authorization", "")
		}
		// Without x-oss-date OSS falls back to Date, and the raw Date value
		// is the string-to-sign timestamp: aliyun-oss-go-sdk V4 signs so.
		p.timestamp = r.Header.Get("x-oss-date")
		if p.timestamp == "" {
			p.timestamp = r.Header.Get("Date")
			if p.timestamp == "" {
				return p, newErr(403, "AccessDenied", "V4 header authentication requires the x-oss-date or Date header.", "0002-00000503")
			}
			t, err := time.Parse(http.TimeFormat, p.timestamp)
			if err != nil {
				return p, invalidArg("0002-00000502", "The Date header is not a valid HTTP date.", "Date", p.timestamp)
			}
			p.t = t
		}
		p.token = r.Header.Get("x-oss-security-token")
		if p.token == "" {
			p.token = q.Get("x-oss-security-token")
		}
	} else {
		if v := q.Get("x-oss-signature-version"); v != Algorithm {
			return p, invalidArg("0002-00000066", "x-oss-signature-version is invalid.", "x-oss-signature-version", v)
		}
		for _, f := range []struct{ name, missing, empty string }{
			{"x-oss-credential", "0002-00000217", "0002-00000218"},
			{"x-oss-signature", "0002-00000219", "0002-00000220"},
			{"x-oss-expires", "0002-00000215", "0002-00000216"},
			{"x-oss-date", "0002-00000502", "0002-00000502"},
		} {
			if !q.Has(f.name) {
				return p, invalidArg(f.missing, f.name+" is missing from the query string.", f.name, "")
			}
			if q.Get(f.name) == "" {
				return p, invalidArg(f.empty, f.name+" is empty.", f.name, "")
			}
		}
		cred = q.Get("x-oss-credential")
		p.signature = q.Get("x-oss-signature")
		p.expires = q.Get("x-oss-expires")
		p.timestamp = q.Get("x-oss-date")
		if q.Has("x-oss-additional-headers") {
			p.additional = NormalizeAdditionalHeaders(strings.Split(q.Get("x-oss-additional-headers"), ";"))
		}
		qt, ht := q.Get("x-oss-security-token"), r.Header.Get("x-oss-security-token")
		if qt != "" && ht != "" {
			return p, invalidArg("0002-00000010", "The security token is given in both the URL and the headers.", "x-oss-security-token", "")
		}
		p.token = qt + ht
		q.Del("x-oss-signature")
	}
	p.query = q

	if p.t.IsZero() {
		t, err := time.Parse(TimeFormat, p.timestamp)
		if err != nil || t.Format(TimeFormat) != p.timestamp {
			return p, invalidArg("0002-00000502", "x-oss-date is not in ISO 8601 basic format (yyyymmddThhmmssZ).", "x-oss-date", p.timestamp)
		}
		p.t = t
	}
	if v := r.Header.Get("x-oss-content-sha256"); v != "" && v != UnsignedPayload {
		return p, invalidArg("0002-00000214", "x-oss-content-sha256 must be UNSIGNED-PAYLOAD.", "x-oss-content-sha256", v)
	}
	parts := strings.Split(cred, "/")
	credEC, credDateEC := "0002-00000213", "0002-00000212"
	if p.mode == modeQuery {
		credEC, credDateEC = "0002-00000224", "0002-00000223"
	}
	if len(parts) != 5 || parts[0] == "" || parts[4] != Terminator {
		return p, invalidArg(credEC, "The credential is malformed; expected <AccessKeyId>/<yyyymmdd>/<region>/oss/aliyun_v4_request.", "Credential", "")
	}
	if _, err := time.Parse(DateFormat, parts[1]); err != nil || len(parts[1]) != 8 {
		return p, invalidArg(credDateEC, "Invalid signing date in credential.", "Credential", parts[1])
	}
	p.accessKeyID, p.date, p.region, p.product = parts[0], parts[1], parts[2], parts[3]
	return p, nil
}
