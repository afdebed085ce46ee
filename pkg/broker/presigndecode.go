package broker

import "strconv"

// decodePresign is the fast path of unmarshalStrict for the common single
// presign body: one object with the fields key, contentType, contentMD5
// (strings without escapes), overwrite (true or false), contentLength and
// expiresIn (plain integers), each spelled exactly and given once. It
// reports false for anything else (metadata, files, escapes, null, other
// spellings, odd numbers, bad syntax), which then goes to encoding/json;
// where it reports true the result is encoding/json's (FuzzDecodePresign).
// body decodes without replacement (readJSON: [jsonstring.Lossless]).
func decodePresign(body []byte, req *presignRequest) bool {
	var out presignRequest
	var seen uint8
	i := skipWS(body, 0)
	if i >= len(body) || body[i] != '{' {
		return false
	}
	i = skipWS(body, i+1)
	if i < len(body) && body[i] == '}' {
		i++
	} else {
		for {
			name, j, ok := plainString(body, i)
			if !ok {
				return false
			}
			if i = skipWS(body, j); i >= len(body) || body[i] != ':' {
				return false
			}
			i = skipWS(body, i+1)
			var bit uint8
			switch name {
			case "key":
				bit = 1
				out.Key, i, ok = plainString(body, i)
			case "contentType":
				bit = 2
				out.ContentType, i, ok = plainString(body, i)
			case "contentMD5":
				bit = 4
				out.ContentMD5, i, ok = plainString(body, i)
			case "overwrite":
				bit = 8
				out.Overwrite, i, ok = literalBool(body, i)
			case "contentLength":
				bit = 16
				out.ContentLength, i, ok = plainInt(body, i)
			case "expiresIn":
				bit = 32
				out.ExpiresIn, i, ok = plainInt(body, i)
			default:
				return false
			}
			if !ok || seen&bit != 0 {
				return false
			}
			seen |= bit
			if i = skipWS(body, i); i < len(body) && body[i] == ',' {
				i = skipWS(body, i+1)
				continue
			}
			if i >= len(body) || body[i] != '}' {
				return false
			}
			i++
			break
		}
	}
	if skipWS(body, i) != len(body) {
		return false
	}
	*req = out
	return true
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainString reads a JSON string at i that has no escapes and no control
// characters, returning it and the index after its closing quote.
func plainString(b []byte, i int) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", i, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return string(b[i+1 : j]), j + 1, true
		case c == '\\' || c < ' ':
			return "", i, false
		}
	}
	return "", i, false
}

func literalBool(b []byte, i int) (bool, int, bool) {
	switch {
	case len(b)-i >= 4 && string(b[i:i+4]) == "true":
		return true, i + 4, true
	case len(b)-i >= 5 && string(b[i:i+5]) == "false":
		return false, i + 5, true
	}
	return false, i, false
}

// plainInt reads -?(0|[1-9][0-9]*) of at most 18 digits (always an int64).
func plainInt(b []byte, i int) (*int64, int, bool) {
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	start := j
	for j < len(b) && '0' <= b[j] && b[j] <= '9' {
		j++
	}
	if n := j - start; n == 0 || n > 18 || n > 1 && b[start] == '0' {
		return nil, i, false
	}
	if j < len(b) && (b[j] == '.' || b[j] == 'e' || b[j] == 'E') {
		return nil, i, false
	}
	v, err := strconv.ParseInt(string(b[i:j]), 10, 64)
	if err != nil {
		return nil, i, false
	}
	return &v, j, true
}
