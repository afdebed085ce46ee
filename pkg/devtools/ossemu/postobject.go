package ossemu

import (
	"crypto/hmac"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	maxFormField  = 4 << 10  // OSS: form fields other than file must not exceed 4 KB
	maxPolicySize = 64 << 10 // the policy is long; allow more
	maxFormFields = 128
	maxPolicyTTL  = 7 * 24 * time.Hour
)

func isMultipartForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

func errPolicy(status int, msg, ec string) *ossError {
	return newErr(status, "InvalidPolicyDocument", msg, ec)
}

// postObject is a browser form upload with a V4 policy (OSS documentation: PostObject).
// Every check but the file's size runs when the file part begins (it must
// come last), so such a refused upload never reads the file; the size is
// counted as the file is read, and a file over its limit is never stored.
func (s *Server) postObject(w http.ResponseWriter, r *http.Request, reqID, bucket string) {
	if e := s.servePost(w, r, bucket, reqID); e != nil {
		s.writeError(w, r, reqID, e)
	}
}

func (s *Server) servePost(w http.ResponseWriter, r *http.Request, bucket, reqID string) *ossError {
	_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if params["boundary"] == "" {
		return invalidArg("", "The multipart/form-data boundary is missing.", "Content-Type", "")
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	form := map[string]string{}
	for n := 0; ; n++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			return newErr(400, "InvalidArgument", "The body of your POST request is not well-formed multipart/form-data: no file field.", "")
		}
		if err != nil || n > maxFormFields {
			return newErr(400, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.", "")
		}
		name := strings.ToLower(p.FormName())
		if name == "file" {
			return s.postFile(w, r, bucket, reqID, form, p)
		}
		limit := int64(maxFormField)
		if name == "policy" {
			limit = maxPolicySize
		}
		v, err := io.ReadAll(io.LimitReader(p, limit+1))
		if err != nil {
			return newErr(400, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.", "")
		}
		if int64(len(v)) > limit {
			return newErr(400, "FieldItemTooLong", "Your POST request fields preceding the upload file were too large.", "")
		}
		if _, dup := form[name]; dup {
			return invalidArg("", "The form field "+strconv.Quote(name)+" is repeated.", name, "")
		}
		form[name] = string(v)
	}
}

type postPolicy struct {
	Expiration string            `json:"expiration"`
	Conditions []json.RawMessage `json:"conditions"`
}

func (s *Server) postFile(w http.ResponseWriter, r *http.Request, bucket, reqID string, form map[string]string, file *multipart.Part) *ossError {
	key := form["key"]
	if fn := file.FileName(); fn != "" {
		key = strings.ReplaceAll(key, "${filename}", fn)
	}
	if e := checkKey(key); e != nil {
		return e
	}
	user, e := s.verifyPost(form)
	if e != nil {
		return e
	}
	form["key"] = key
	form["bucket"] = bucket
	pol, e := decodePolicy(form["policy"])
	if e != nil {
		return e
	}
	exp, err := time.Parse(time.RFC3339, pol.Expiration)
	if err != nil {
		return errPolicy(400, "Invalid Policy: Invalid 'expiration' value: "+strconv.Quote(pol.Expiration)+".", "")
	}
	signed, _ := time.Parse(TimeFormat, form["x-oss-date"])
	if s.now().After(exp) {
		return errPolicy(403, "Invalid according to Policy: Policy expired.", "0006-00000213")
	}
	if exp.Sub(signed) > maxPolicyTTL {
		return errPolicy(400, "Invalid Policy: the policy may be valid for at most 7 days after x-oss-date.", "")
	}
	lengthRange, e := checkPolicyConditions(pol.Conditions, form)
	if e != nil {
		return e
	}
	// A form's callback is the callback field; its variables are the
	// x:name fields.
	var cb *callbackSpec
	if form["callback"] != "" {
		vars := map[string]string{}
		for k, v := range form {
			if strings.HasPrefix(k, "x:") {
				vars[k] = v
			}
		}
		js, _ := json.Marshal(vars)
		if cb, e = parseCallback(form["callback"], base64.StdEncoding.EncodeToString(js)); e != nil {
			return e
		}
	}
	// The signature covers the policy only; RAM decides what it may write.
	if e := s.authorize(principal{user: user}, "oss:PutObject", s.objectARN(bucket, key)); e != nil {
		return e
	}

	m := &objMeta{Bucket: bucket, Key: key, Type: "Normal", ContentType: form["content-type"]}
	if m.ContentType == "" {
		m.ContentType = file.Header.Get("Content-Type")
	}
	if m.ContentType == "" {
		m.ContentType = "application/octet-stream"
	}
	total := 0
	for k, v := range form {
		if strings.HasPrefix(k, "x-oss-meta-") {
			if m.UserMeta == nil {
				m.UserMeta = map[string]string{}
			}
			m.UserMeta[k] = v
			total += len(k) + len(v)
		}
	}
	if total > maxUserMeta {
		return invalidArg("0011-00000002", "The user metadata (x-oss-meta-*) exceeds 8 KB.", "x-oss-meta-*", "")
	}
	for _, h := range storedHeaders {
		if v := form[strings.ToLower(h)]; v != "" {
			if m.Headers == nil {
				m.Headers = map[string]string{}
			}
			m.Headers[h] = v
		}
	}
	forbid := strings.EqualFold(form["x-oss-forbid-overwrite"], "true")
	if _, exists := s.store.head(bucket, key); exists && forbid {
		return errFileExists("0026-00000002")
	}
	status := http.StatusNoContent
	switch v := form["success_action_status"]; v {
	case "200":
		status = http.StatusOK
	case "201":
		status = http.StatusCreated
	}

	// content-length-range bounds the object, i.e. the bytes of the file
	// part, not the form around it (OSS's EC pages 0006-00000003/4;
	// PostObject docs). Reading stops one byte past the lower of the range's
	// top and the object size limit, so an oversized file is never stored.
	limit := s.cfg.MaxObjectSize
	if lengthRange != nil {
		limit = min(limit, lengthRange[1])
	}
	b, err := s.store.writeBlob(file, limit)
	switch {
	case errors.Is(err, errTooLarge) && lengthRange != nil && limit == lengthRange[1]:
		// Read (not stored) up to the object size limit, so that a browser
		// gets this answer rather than a connection reset mid-upload.
		io.Copy(io.Discard, io.LimitReader(r.Body, s.cfg.MaxObjectSize))
		return newErr(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size: the file is over the policy's content-length-range.", "0006-00000003")
	case errors.Is(err, errTooLarge):
		return errEntityTooLarge()
	case err != nil:
		return newErr(400, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.", "")
	}
	if lengthRange != nil && b.size < lengthRange[0] {
		b.discard()
		return newErr(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size: the file is under the policy's content-length-range.", "0006-00000004")
	}
	// What may follow the file part (its closing boundary) is read, so the
	// client sees the answer rather than a reset connection.
	io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	if e := s.commitObject(b, m, forbid); e != nil {
		return e
	}
	defer s.emit(r, m, reqID, "PostObject") // after the answer, as put does
	h := w.Header()
	setDigests(h, m.ETag, m.MD5, m.CRC64)
	if cb != nil {
		s.callback(w, r, cb, s.sysVars(r, m, reqID, "PostObject"))
		return nil
	}
	if status == http.StatusCreated {
		type postResponse struct {
			XMLName  xml.Name `xml:"PostResponse"`
			Bucket   string   `xml:"Bucket"`
			Location string   `xml:"Location"`
			Key      string   `xml:"Key"`
			ETag     string   `xml:"ETag"`
		}
		return writeXML(w, status, postResponse{Bucket: bucket, Location: "http://" + r.Host + "/" + bucket + "/" + escape(key, false), Key: key, ETag: m.ETag})
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(status)
	return nil
}

// verifyPost checks the V4 form fields and the policy signature.
func (s *Server) verifyPost(form map[string]string) (*User, *ossError) {
	if form["policy"] == "" {
		// Without a policy the upload is anonymous; buckets here are private.
		return nil, newErr(403, "AccessDenied", "Anonymous user has no right to access this bucket.", "")
	}
	for _, f := range []string{"x-oss-signature-version", "x-oss-credential", "x-oss-date", "x-oss-signature"} {
		if form[f] == "" {
			return nil, invalidArg("", "The form field "+f+" is required with a policy.", f, "")
		}
	}
	if v := form["x-oss-signature-version"]; v != Algorithm {
		return nil, invalidArg("", "x-oss-signature-version must be OSS4-HMAC-SHA256.", "x-oss-signature-version", v)
	}
	ts := form["x-oss-date"]
	t, err := time.Parse(TimeFormat, ts)
	if err != nil || t.Format(TimeFormat) != ts {
		return nil, invalidArg("0002-00000709", "x-oss-date is not in ISO 8601 basic format.", "x-oss-date", ts)
	}
	parts := strings.Split(form["x-oss-credential"], "/")
	if len(parts) != 5 || parts[0] == "" || parts[4] != Terminator || parts[3] != Product {
		return nil, invalidArg("", "The credential is malformed.", "x-oss-credential", "")
	}
	user, ok := s.users[parts[0]]
	if !ok {
		return nil, newErr(403, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.", "0002-00000902")
	}
	if parts[1] != ts[:8] {
		return nil, invalidArg("0002-00000709", "The credential date does not match x-oss-date.", "x-oss-credential", parts[1])
	}
	if parts[2] != s.cfg.Region {
		return nil, invalidArg("0002-00000715", "The signing region in credential is invalid.", "x-oss-credential", parts[2])
	}
	if t.Sub(s.now()) > maxSkew {
		return nil, newErr(403, "AccessDenied", "Request is not valid yet.", "")
	}
	want := Signature(s.keys.get(user.AccessKeySecret, parts[1], parts[2], parts[3]), form["policy"])
	if !hmac.Equal([]byte(want), []byte(form["x-oss-signature"])) {
		return nil, newErr(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.", "0002-00000201")
	}
	if user.SecurityToken != "" && subtle.ConstantTimeCompare([]byte(form["x-oss-security-token"]), []byte(user.SecurityToken)) != 1 {
		return nil, newErr(403, "InvalidSecurityToken", "The security token you provided is invalid.", "0002-00000008")
	}
	return user, nil
}

func decodePolicy(b64 string) (*postPolicy, *ossError) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errPolicy(400, "Invalid Policy: the policy is not base64.", "")
	}
	var p postPolicy
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, errPolicy(400, "Invalid Policy: Invalid JSON.", "")
	}
	if p.Conditions == nil {
		return nil, errPolicy(400, "Invalid Policy: the policy must have conditions.", "0006-00000207")
	}
	return &p, nil
}

// checkPolicyConditions evaluates the policy conditions against the form and
// returns the content-length-range, if any. The V4 fields must be pinned
// by the policy, as OSS's V4 POST documentation requires.
func checkPolicyConditions(conds []json.RawMessage, form map[string]string) ([]int64, *ossError) {
	failed := func(c json.RawMessage) *ossError {
		return newErr(403, "AccessDenied", "Invalid according to Policy: Policy Condition failed: "+string(c), "")
	}
	bad := func(c json.RawMessage) *ossError {
		return errPolicy(400, "Invalid Policy: Invalid condition: "+string(c), "")
	}
	field := func(name string) (string, bool) {
		name = strings.ToLower(strings.TrimPrefix(name, "$"))
		v, ok := form[name]
		return v, ok
	}
	pinned := map[string]bool{}
	var lengthRange []int64
	for _, c := range conds {
		var obj map[string]string
		if json.Unmarshal(c, &obj) == nil {
			if len(obj) != 1 {
				return nil, bad(c)
			}
			for k, want := range obj {
				v, _ := field(k)
				if v != want {
					return nil, failed(c)
				}
				pinned[strings.ToLower(strings.TrimPrefix(k, "$"))] = true
			}
			continue
		}
		var arr []json.RawMessage
		if json.Unmarshal(c, &arr) != nil || len(arr) != 3 {
			return nil, bad(c)
		}
		var op string
		if json.Unmarshal(arr[0], &op) != nil {
			return nil, bad(c)
		}
		op = strings.ToLower(op)
		if op == "content-length-range" {
			var lo, hi int64
			if json.Unmarshal(arr[1], &lo) != nil || json.Unmarshal(arr[2], &hi) != nil || lo < 0 || hi < lo {
				return nil, bad(c)
			}
			lengthRange = []int64{lo, hi}
			continue
		}
		var name string
		if json.Unmarshal(arr[1], &name) != nil || !strings.HasPrefix(name, "$") {
			return nil, bad(c)
		}
		v, _ := field(name)
		switch op {
		case "eq", "starts-with":
			var want string
			if json.Unmarshal(arr[2], &want) != nil {
				return nil, bad(c)
			}
			if (op == "eq" && v != want) || (op == "starts-with" && !strings.HasPrefix(v, want)) {
				return nil, failed(c)
			}
			if op == "eq" {
				pinned[strings.ToLower(strings.TrimPrefix(name, "$"))] = true
			}
		case "in", "not-in":
			var list []string
			if json.Unmarshal(arr[2], &list) != nil {
				return nil, bad(c)
			}
			found := false
			for _, x := range list {
				found = found || x == v
			}
			if found != (op == "in") {
				return nil, failed(c)
			}
		default:
			// ends-with and anything else are refused (EC 0006-00000216).
			return nil, errPolicy(400, fmt.Sprintf("Invalid Policy: unsupported condition operator %q.", op), "0006-00000216")
		}
	}
	for _, f := range []string{"x-oss-signature-version", "x-oss-credential", "x-oss-date"} {
		if !pinned[f] {
			return nil, errPolicy(400, "Invalid Policy: the policy must contain the condition {\""+f+"\": ...}.", "")
		}
	}
	return lengthRange, nil
}
