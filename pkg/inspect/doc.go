// Package inspect decides whether a stored upload is what it claims to be,
// and acts on the verdict. It is the one place that judges an upload's
// content: the broker calls it from the OSS callback route and the
// multipart complete route, and an OSS-triggered function can call it for
// any object (ctx, bucket, key in; a Receipt out). It knows nothing of HTTP.
//
// What it checks, from one ranged GET of the object's first bytes:
//   - size: within the limit, and equal to a pinned length when one was
//     signed;
//   - the actual content type, detected from the first bytes, against the
//     declared one (the object's stored Content-Type, which the presigned
//     URL or form pinned) by the compatibility rule in Compatible;
//   - ALLOWED_CONTENT_TYPES, for the declared type and, when the declaration
//     is the generic application/octet-stream, for the detected one.
//
// A mismatch makes the upload rejected: the object is deleted (the default)
// or, for teams that must keep evidence, tagged ossbroker-verdict=rejected
// with the reason. Either way it never stays looking accepted: when the
// delete or the tagging fails, Inspect returns an error and no verdict.
//
// Detection uses github.com/gabriel-vasile/mimetype: maintained (releases
// through 2025), pure Go with no cgo (so the go1 runtime's static binary
// keeps working), MIT, a hierarchy of types (text/html is a kind of
// text/plain, DOCX a kind of zip) that the compatibility rule builds on,
// and it looks only at a bounded prefix of the content ([ReadBytes], its
// default 4 KiB) — which is what one ranged GET gives. libmagic needs cgo;
// net/http.DetectContentType knows ~40 types and no containers.
//
// # Inspection
//
// One ranged GET of the object's first 4 KiB (oss:GetObject) gives its size, ETag, CRC-64, stored
// Content-Type (the declared type, pinned by the signature) and the bytes the type is detected
// from, with https://github.com/gabriel-vasile/mimetype: maintained, pure Go (no cgo, so the static
// go1 binary stays static), a type hierarchy (HTML is a kind of text, DOCX a kind of zip) and it
// reads only the first bytes (4 KiB, exactly what one ranged GET fetches). Checks, in order: the
// size against the pinned length (a presign's contentLength, in the callback's ticket) and the
// limit (MAX_UPLOAD_BYTES, a form's maxBytes, MAX_MULTIPART_BYTES); ALLOWED_CONTENT_TYPES against
// the declared type, and against the detected one when the declaration is application/octet-stream;
// then the compatibility rule:
//
//  1. the same type or an alias (image/jpg, application/x-zip-compressed) is compatible;
//  2. a declared application/octet-stream claims nothing: any content (the allowlist then judges
//     what it is);
//  3. content that is a more specific kind of the declared type: DOCX/XLSX/JAR/EPUB as
//     application/zip, JSON or CSV as text/plain; except active content (HTML, SVG, XHTML, XML,
//     JavaScript), which is compatible only with its own type: an HTML page declared text/plain is
//     rejected;
//  4. a declared text type (text/*, JSON, YAML, +json) accepts content detected as plain text (CSV
//     or Markdown cannot be told from their bytes), but an SVG or HTML declaration needs content
//     detected as such;
//  5. a declared zip-based type (OOXML, ODF, EPUB, JAR, APK) accepts plain application/zip: the
//     entry that names the format may come after the first 4 KiB;
//  6. anything else is a mismatch: HTML as image/png, a PDF as image/jpeg, a PNG as image/gif.
//
// Tested on sample files made in the test (PNG, JPEG and GIF from Go's encoders; WebP, WAV and MP4
// headers; PDF; ZIP, DOCX and XLSX from archive/zip; gzip; HTML, SVG, JSON, CSV, XML, plain text;
// an empty file) against 22 declared types each (pkg/inspect). One verdict costs about 2-45 µs of
// CPU and 6-20 allocations on 4 KiB ("go test -bench Judge ./pkg/inspect"); a whole inspection
// against the local OSS server, ranged GET included, about 0.5 ms ("-bench Inspect").
//
// # The verdict and the receipt
//
// A mismatch makes the upload rejected. REJECTED_UPLOADS=delete (the default) deletes it
// (oss:DeleteObject); REJECTED_UPLOADS=tag keeps it for evidence and tags it
// ossbroker-verdict=rejected, ossbroker-reason=<code> (oss:PutObjectTagging). When the delete or
// the tagging fails the route answers an error, never "accepted". The receipt, which OSS hands the
// uploader with 200:
//
//	{"bucket":"examplebucket","key":"exampledir/photo.png","size":80,"etag":"15912F93480C66E3ED908A07B4AB9EBE",
//	 "crc64":"16859557240652805460","declaredType":"image/png","detectedType":"text/html",
//	 "verdict":"rejected","reason":"content_type_mismatch","action":"deleted"}
//
// "reason" is an API error code: content_type_mismatch, unsupported_media_type, payload_too_large
// or size_mismatch. A rejected upload still gets 200 from OSS (the callback succeeded): read
// "verdict". The demo page shows each file's receipt and verdict (run
// "PUBLIC_BASE_URL=http://127.0.0.1:9000 make run").
package inspect
