// Package inspect decides whether a stored upload may stay where uploaders and downloads reach
// it, and acts on the verdict. It is the one place that judges an upload's content: the broker
// calls it from the OSS callback route and the multipart complete routes, and the OSS-triggered
// inspector function (pkg/uploadevent) for every upload event. It knows nothing of HTTP.
//
// # The rule
//
// One ranged GET of the object's first 4 KiB (oss:GetObject, with If-Match when the caller names
// the version) gives its size, ETag, CRC-64, stored Content-Type (the declared type, pinned by the
// signature) and the bytes the type is detected from, with github.com/gabriel-vasile/mimetype
// (pure Go, a type hierarchy: an RSS feed is a kind of XML, a DOCX a kind of zip; it reads only
// the first 4 KiB). [Judge] rejects what is dangerous or not allowed, not what is mislabelled:
//
//   - over the size limit, or not the pinned length: payload_too_large, size_mismatch;
//   - active content ([mediatype.Active]: HTML, SVG, any XML, JavaScript, ELF, PE and Mach-O
//     executables and libraries, MSI, shortcuts, Java archives, scripts) unless declared as
//     exactly that type and named by ALLOWED_CONTENT_TYPES: content_type_mismatch when declared
//     as something else (HTML as image/png, an SVG as text/plain, an ELF as
//     application/octet-stream), unsupported_media_type when the list does not name it. A
//     wildcard (image/*, text/*, */*, or no list at all) never admits an active type;
//   - a key an operating system or browser runs by its extension ([mediatype.ActiveName]: .js,
//     .bat, .exe, .html...) or content with a "#!" line, unless declared as an active type the
//     list names: detection cannot tell JavaScript from text, the name says what opening it does;
//   - a declared type outside ALLOWED_CONTENT_TYPES, or a detected one outside it that is not a
//     more specific reading of the declared one ([Compatible]: CSV as text/plain, DOCX as
//     application/zip): unsupported_media_type.
//
// Anything else is accepted, and the receipt reports both types: a CSV declared
// application/vnd.ms-excel (Windows with Excel), a TypeScript file declared video/mp2t (the OS
// mapping of .ts), an iPhone photo (HEIC) declared image/jpeg, a PDF declared image/png. PDF is not
// active: browsers show it in a viewer without the serving origin's scripts, and whether a PDF
// carries JavaScript is not in its first bytes.
//
// Measured on files nobody here wrote (TestCorpus): the 18 samples gabriel-vasile/mimetype ships
// in its module's testdata and every file of the Go distribution except Go source outside testdata
// (test images, archives, certificates, ELF, PE and Mach-O test binaries, the go and gofmt
// executables, HTML, JavaScript, shell, batch and Perl scripts...), 5,212 files, each declared with
// the types real clients send for its name (Go's mime.TypeByExtension, the Windows and macOS
// registrations, application/octet-stream): 14,986 uploads judged under the default list and
// under every top-level wildcard, 0 good files rejected, 0 active files accepted ("go test -run
// TestCorpus -v ./pkg/inspect"). Active is decided there without the detector: by the name, by
// "#!", ELF, PE and Mach-O magic numbers, and by the HTML tags a browser's own MIME sniffing takes
// for a page. One verdict costs about 2-45 µs of CPU on 4 KiB ("go test -bench Judge
// ./pkg/inspect").
//
// # The action
//
// A rejection acts on the version judged, never on another. REJECTED_UPLOADS=quarantine, the
// default, destroys nothing: the object is copied to [QuarantineKey] (ossbroker-quarantine/<ETag>/
// <key>, outside the upload prefix, where the broker signs nothing and the lifecycle rule that
// -print-bucket-lifecycle prints expires it after 30 days) with x-oss-copy-source-if-match set to
// the judged ETag, then the original is deleted. REJECTED_UPLOADS=delete (opt-in) deletes it;
// REJECTED_UPLOADS=tag keeps it in place, tagged ossbroker-verdict=rejected and
// ossbroker-reason=<code>, and presign-get refuses it. OSS has no conditional delete or tagging:
// those run right after a HEAD that finds the judged ETag still current; a version written in
// between (one request's time: about 0.2 ms against the local OSS server, "go test -run X -bench
// ActWindow ./pkg/inspect") is the one thing a rejection can still reach. When the judged version
// was replaced first, the receipt's action is "overwritten" and the newer version is left alone.
// When the action fails, Inspect returns an error and no verdict: never "accepted".
//
// # The receipt
//
// What OSS hands the uploader with 200 (callback) and the complete routes answer:
//
//	{"bucket":"examplebucket","key":"exampledir/photo.png","size":80,"etag":"15912F93480C66E3ED908A07B4AB9EBE",
//	 "crc64":"16859557240652805460","declaredType":"image/png","detectedType":"text/html",
//	 "verdict":"rejected","reason":"content_type_mismatch","action":"quarantined"}
//
// A rejected upload still gets 200 from OSS (the callback succeeded): read "verdict".
package inspect
