package ossemu

import (
	"mime"
	"net/http"
)

func isMultipartForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

func (s *Server) postObject(w http.ResponseWriter, r *http.Request, reqID, bucket string) {
	s.writeError(w, r, reqID, errNotImplemented())
}
