// Package apierror is the API's error body,
// {"error":{"code","message","requestId"}}, kept in one place for the two
// packages that answer with it: the broker, and the FC adapter for events
// that never become a request.
package apierror

import "encoding/json"

// Body is the error response.
type Body struct {
	Error Detail `json:"error"`
}

// Detail says what went wrong: a stable code, a message for people, and the
// request id (also sent as X-Request-Id).
type Detail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"requestId"`
}

// JSON encodes the body. Strings always encode, so there is no error.
func JSON(code, message, requestID string) []byte {
	b, _ := json.Marshal(&Body{Detail{Code: code, Message: message, RequestID: requestID}})
	return b
}
