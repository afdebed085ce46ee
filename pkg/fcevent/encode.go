package fcevent

import "github.com/ossbroker/ossbroker/pkg/internal/jsonstring"

func appendStringPtr(dst []byte, s *string) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	return jsonstring.Append(dst, *s)
}

func appendMapPtr(dst []byte, m *map[string]string) []byte {
	if m == nil {
		return append(dst, "null"...)
	}
	return jsonstring.AppendMap(dst, *m)
}
