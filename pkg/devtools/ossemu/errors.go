package ossemu

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"strconv"
)

// ossError is an error answered the way OSS answers it (OSS documentation: error responses).
type ossError struct {
	Status  int
	Code    string
	Message string
	EC      string

	ArgumentName, ArgumentValue       string
	StringToSign, CanonicalRequest    string
	AccessDeniedDetail                *accessDeniedDetail
	OSSAccessKeyID, SignatureProvided string
	Expires, ServerTime               string
}

func (e *ossError) Error() string { return e.Code + ": " + e.Message }

type accessDeniedDetail struct {
	PolicyType       string `xml:"PolicyType"`
	NoPermissionType string `xml:"NoPermissionType"`
	AuthAction       string `xml:"AuthAction"`
}

type errorBody struct {
	XMLName            xml.Name            `xml:"Error"`
	Code               string              `xml:"Code"`
	Message            string              `xml:"Message"`
	RequestID          string              `xml:"RequestId"`
	HostID             string              `xml:"HostId"`
	Key                string              `xml:"Key,omitempty"` // NoSuchKey names the key
	ArgumentName       string              `xml:"ArgumentName,omitempty"`
	ArgumentValue      string              `xml:"ArgumentValue,omitempty"`
	OSSAccessKeyID     string              `xml:"OSSAccessKeyId,omitempty"`
	SignatureProvided  string              `xml:"SignatureProvided,omitempty"`
	StringToSign       string              `xml:"StringToSign,omitempty"`
	CanonicalRequest   string              `xml:"CanonicalRequest,omitempty"`
	Expires            string              `xml:"Expires,omitempty"`
	ServerTime         string              `xml:"ServerTime,omitempty"`
	AccessDeniedDetail *accessDeniedDetail `xml:"AccessDeniedDetail,omitempty"`
	EC                 string              `xml:"EC,omitempty"`
	RecommendDoc       string              `xml:"RecommendDoc,omitempty"`
}

func newErr(status int, code, msg, ec string) *ossError {
	return &ossError{Status: status, Code: code, Message: msg, EC: ec}
}

func invalidArg(ec, msg, name, value string) *ossError {
	e := newErr(http.StatusBadRequest, "InvalidArgument", msg, ec)
	e.ArgumentName, e.ArgumentValue = name, value
	return e
}

// Frequently used errors. Codes/ECs follow OSS.s error code pages; where OSS does
// not document one, the choice is noted there or at the call site.
func errNoSuchBucket() *ossError {
	return newErr(404, "NoSuchBucket", "The specified bucket does not exist.", "0015-00000101")
}

func errNoSuchKey() *ossError {
	return newErr(404, "NoSuchKey", "The specified key does not exist.", "0026-00000001")
}

func errNoSuchUpload() *ossError {
	return newErr(404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", "0042-00000002")
}

func errMethodNotAllowed() *ossError {
	return newErr(405, "MethodNotAllowed", "The specified method is not allowed against this resource.", "0016-00000105")
}

func errNotImplemented() *ossError {
	return newErr(501, "NotImplemented", "The emulator does not implement this operation.", "")
}

func errInternal() *ossError {
	return newErr(500, "InternalError", "We encountered an internal error. Please try again.", "")
}

// writeError sends e as XML, or for HEAD with an empty body and the XML
// base64-encoded in x-oss-err (what the SDK decodes).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, reqID string, e *ossError) {
	body := errorBody{
		Code: e.Code, Message: e.Message, RequestID: reqID, HostID: r.Host,
		ArgumentName: e.ArgumentName, ArgumentValue: e.ArgumentValue,
		OSSAccessKeyID: e.OSSAccessKeyID, SignatureProvided: e.SignatureProvided,
		StringToSign: e.StringToSign, CanonicalRequest: e.CanonicalRequest,
		Expires: e.Expires, ServerTime: e.ServerTime,
		AccessDeniedDetail: e.AccessDeniedDetail, EC: e.EC,
	}
	if e.Code == "NoSuchKey" {
		body.Key = s.resolve(r).key
	}
	if e.EC != "" {
		body.RecommendDoc = "https://api.aliyun.com/troubleshoot?q=" + e.EC
	}
	out, err := xml.MarshalIndent(body, "", "  ")
	if err != nil {
		out = nil
	}
	out = append([]byte(xml.Header), out...)
	s.log.Info("ossemu error", "request_id", reqID, "method", r.Method, "status", e.Status, "code", e.Code, "ec", e.EC)
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	if e.EC != "" {
		h.Set("x-oss-ec", e.EC)
	}
	if r.Method == http.MethodHead {
		h.Set("x-oss-err", base64.StdEncoding.EncodeToString(out))
		h.Set("Content-Length", "0")
		w.WriteHeader(e.Status)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(e.Status)
	w.Write(out)
}
