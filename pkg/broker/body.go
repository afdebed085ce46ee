package broker

import (
	"errors"
	"io"
	"net/http"
)

var (
	errBodyTooLarge = errors.New("body over the limit")
	errBodyLength   = errors.New("body length differs from Content-Length")
)

// readBody reads a direct upload's body into one buffer of the right size
// when Content-Length is known (FC always knows it), instead of
// [io.ReadAll]'s growing copies; otherwise it reads at most limit+1 bytes.
// It returns errBodyTooLarge over limit, errBodyLength when the body does
// not match its Content-Length.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if n := r.ContentLength; n >= 0 && n <= limit {
		body := make([]byte, n)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return nil, errBodyLength
			}
			return nil, err
		}
		// Nothing may follow; if something does, say which limit it broke.
		extra, err := io.Copy(io.Discard, io.LimitReader(r.Body, limit-n+1))
		switch {
		case err != nil:
			return nil, err
		case extra == 0:
			return body, nil
		case n+extra > limit:
			return nil, errBodyTooLarge
		default:
			return nil, errBodyLength
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errBodyTooLarge
		}
		return nil, err
	}
	if r.ContentLength >= 0 && int64(len(body)) != r.ContentLength {
		return nil, errBodyLength
	}
	return body, nil
}
