// Package broker is the upload broker's HTTP API as a plain [http.Handler]:
// it authenticates the caller, has the key judged by objectkey, and either
// presigns a PUT or stores the payload through storage.
//
// Routes (v1), as the table in routes.go declares them:
//
//	POST /v1/presign                presigned V4 PUT URL for a key or folder
//	PUT  /v1/objects/{key}          direct upload of a small payload
//	POST /v1/objects/{folder}/      direct upload, the broker picks the name
//	POST /v1/presign-post           OSS PostObject form, size-bounded V4 policy (presignpost.go)
//	POST /v1/presign-get            presigned V4 GET URL (presignget.go)
//	POST /v1/multipart              start a multipart upload, get its handle (multipart.go)
//	POST /v1/multipart/parts        presigned UploadPart URLs, in one batch
//	POST /v1/multipart/complete     assemble the parts into the object
//	POST /v1/multipart/abort        cancel the upload
//	POST /v1/multipart/list         the parts OSS holds, to resume (multipart.go)
//	POST /v1/uppy/sign              sign one request of @uppy/aws-s3 6's signRequest (uppy.go)
//	GET|POST|DELETE /v1/uppy/s3     the multipart control calls of Uppy 6, in S3's XML
//	POST /v1/webhooks/{source}      signed webhook, stored once (webhooks.go)
//	POST /v1/callbacks/oss          OSS upload callback: inspect, answer the receipt (callbacks.go)
//	GET  /healthz                   liveness, no auth
//	GET  /openapi.yaml              the OpenAPI 3.1 description, no auth
//	OPTIONS *                       CORS preflight for ALLOWED_ORIGINS
//
// # What the broker does
//
// An upload broker for Alibaba Cloud OSS that runs as a Function Compute 3.0 function (Go, go1
// runtime) behind an HTTP trigger. Each caller presents a JWT; the broker checks the object key
// asked for against the allowed prefix (exampledir/ by default, or a per-user folder such as
// exampledir/{sub}/) and then either
//
//   - returns a V4 presigned PUT URL (signed with a RAM user's AccessKey pair, or the function
//     role's STS credentials), with the exact headers the uploader must send, so that browsers and
//     apps upload straight to OSS; or
//   - stores a small payload itself (webhooks, small files), verified end to end with Content-MD5.
//
// Large files go as OSS multipart uploads whose parts are presigned in batches and bound to the
// caller by an HMAC-signed handle; browser forms get an OSS PostObject policy whose size limit OSS
// itself enforces; downloads, when turned on (ALLOW_DOWNLOADS), get presigned GET URLs under the
// same key gate; and an optional scope check (upload, upload:overwrite, download) separates upload,
// replace and download rights.
//
// # HTTP API (v1)
//
// Section names below refer to this page and to the other package docs: Webhooks is package
// [github.com/ossbroker/ossbroker/pkg/webhook]; Upload callbacks and inspection are packages
// [github.com/ossbroker/ossbroker/pkg/osscallback] and
// [github.com/ossbroker/ossbroker/pkg/inspect]; Key rules is package
// [github.com/ossbroker/ossbroker/pkg/objectkey]; the other parts of Security are the broker
// command's doc (functions/broker); Clients is a section of the README.
//
// JSON in and out. "Authorization: Bearer <JWT>" on every /v1/ route, except "POST
// /v1/webhooks/{source}", which is authenticated by the sender's signature (see Webhooks).
//
// # POST /v1/presign
//
//   - key (string, required): full key (exampledir/a/b.png), or a folder ending in "/": the broker
//     then picks a unique name in it (128 random bits, base32, with an extension that fits
//     contentType)
//   - contentType (string): signed; default application/octet-stream; checked against
//     ALLOWED_CONTENT_TYPES; printable ASCII (parameters included), at most 256 bytes, no leading
//     or trailing space
//   - contentLength (integer): 0 to MAX_UPLOAD_BYTES; the URL then accepts exactly this many bytes
//     (signed as an additional header, answered as contentLength, never in headers; "0" pins an
//     empty object). Optional only while MAX_UPLOAD_BYTES is OSS's 5 GiB: an unpinned URL takes any
//     size up to 5 GiB, so with a lower limit a presign without it is 400 (for sizes not known in
//     advance, use presign-post or multipart)
//   - contentMD5 (string): optional; the base64 of a 16-byte MD5 (24 characters ending in "==");
//     signed
//   - contentDisposition, cacheControl (string): optional; signed (additional headers) and stored
//     with the object: the uploader must send exactly these. Printable ASCII, at most 1 KiB. Left
//     out, the uploader may set them (see below)
//   - overwrite (bool): default false: the URL carries a signed "x-oss-forbid-overwrite: true"
//   - expiresIn (integer seconds): clamped to [1, PRESIGN_MAX_TTL]; default PRESIGN_TTL; a
//     non-integer is 400
//   - metadata (object of strings): optional x-oss-meta-*, signed; names [a-z0-9-], printable ASCII
//     values, 8 KiB in all
//
// Numbers must be JSON integers and booleans true/false; any other value is 400 invalid_request, on
// every route. Every value that becomes a header is checked before anything is signed: a content
// type, contentMD5, contentDisposition, cacheControl or metadata with a control byte (CR, LF, NUL,
// ...) or a non-ASCII byte is 400, never signed into a header no client can send.
//
// Response 200:
//
//	{"method":"PUT","url":"https://examplebucket.oss-cn-hangzhou.aliyuncs.com/exampledir/a/b.png?x-oss-...",
//	 "headers":{"Content-Type":"image/png","x-oss-forbid-overwrite":"true"},
//	 "bucket":"examplebucket","key":"exampledir/a/b.png","expiresAt":"2026-11-27T05:00:00Z"}
//
// headers lists exactly the headers the uploader must send, byte for byte, or OSS answers
// SignatureDoesNotMatch. Send no other x-oss-* header: V4 signs every x-oss-* header, so adding one
// (x-oss-meta-*, x-oss-object-acl, x-oss-storage-class, ...) makes OSS refuse the upload. A pinned
// length is not among them: it comes back as "contentLength":N beside headers, because every HTTP
// client sends Content-Length from the body and browsers refuse to set it by hand ("Refused to set
// unsafe header"). What the URL does not pin: the standard headers OSS stores with an object and V4
// does not sign by default, Content-Disposition, Cache-Control, Content-Encoding, Content-Language
// and Expires; the uploader may send them and OSS serves them back on downloads. Ask for
// contentDisposition and cacheControl to pin those two; a V4 URL cannot forbid a header, only
// require one, so the other three stay the uploader's choice.
//
// Batch. {"files":[{...},{...}]} (1 to 100 of the objects above, nothing else beside files; body up
// to 1 MiB) answers 200 {"uploads":[...]} in the same order. Each file is judged on its own: a
// refused one gets {"error":{"code":"key_outside_prefix","message":"…"}} in its place (the code it
// would get alone), the others their presigned PUT. A bad token, a missing upload scope, a
// malformed envelope or OSS refusing the broker's credentials fail the whole request.
//
//	{"uploads":[
//	  {"method":"PUT","url":"…","headers":{…},"bucket":"examplebucket","key":"exampledir/a.png","expiresAt":"…"},
//	  {"error":{"code":"key_outside_prefix","message":"key outside the allowed prefix: …"}}]}
//
// # Multipart: POST /v1/multipart, /parts, /list, /complete, /abort
//
// For files too large for one PUT (over 5 GiB) or too large to retry whole. The broker starts the
// upload with its own credentials, hands the client a handle, presigns the parts, and completes or
// aborts the upload, all with the same key gate, type check, overwrite rule and scopes as presign.
//
//   - "POST /v1/multipart": request key (or a folder), contentType, optional size, partSize,
//     overwrite, metadata; response 200
//     {"uploadId","bucket","key","partSize","partCount"?,"handle","expiresAt"}
//
//   - "POST /v1/multipart/parts": request handle, partNumbers (1 to 100 distinct numbers in
//     1..10000), optional contentLength, expiresIn (seconds, clamped to [1, PRESIGN_MAX_TTL]);
//     response 200
//     {"parts":[{"partNumber","method":"PUT","url","headers","contentLength"?}],"expiresAt"}
//
//   - "POST /v1/multipart/list": request handle; response 200
//     {"bucket","key","partSize","size"?,"parts":[{"partNumber","etag","size"}],"expiresAt"}: the
//     parts OSS holds
//
//   - "POST /v1/multipart/complete": request handle, parts: [{"partNumber","etag"}], any order,
//     ETag as OSS returned it (quotes optional); response 201, like a direct upload:
//     {"bucket","key","size","etag","contentType"} (etag is OSS's <hex>-<parts>)
//
//   - "POST /v1/multipart/abort": request handle; response 204; OSS drops the parts
//
//   - Part size. Default 8 MiB; partSize may be anything in OSS's 100 KiB..5 GiB. With size (at
//     most MAX_MULTIPART_BYTES), the default grows to whole MiB until the file fits in 10000 parts
//     (100 GiB → 11 MiB parts), partCount is returned, and every part URL takes exactly its part's
//     bytes (signed Content-Length, answered as the part's contentLength; the last part takes the
//     rest), so the parts can only add up to size. A client with its own chunk size (Uppy's is 5
//     MiB) passes it as partSize; a client that cannot, or wants the check, sends its slice's
//     length as contentLength with /parts: a length that is not the part's planned one is a 400
//     part_size_mismatch naming both, before anything reaches OSS, never OSS's
//     SignatureDoesNotMatch. Without size, contentLength pins the URLs to the client's length (1
//     byte..5 GiB).
//
//   - Parts. PUT each slice to its url with exactly its headers (today none: the pinned length is
//     contentLength, which the HTTP client sends from the body) and keep OSS's ETag answer header:
//     the bucket CORS rule must expose ETag, as -print-bucket-cors's does. Part URLs live
//     PRESIGN_TTL and never outlive the handle; ask again for fresh ones (a retried part simply
//     replaces the earlier one). The object's headers and metadata are those the broker gave OSS at
//     initiate; a part upload's own headers do not become the object's.
//
//   - Resume. "POST /v1/multipart/list" answers the parts OSS already holds (number, ETag, size)
//     for a handle, owner-bound like the other routes, so a client that lost its state (a reloaded
//     page, a restarted app) keeps the handle (the demo page keeps it in localStorage), lists,
//     sends only the missing parts and completes with all of them.
//
//   - Uppy 6. "POST /v1/uppy/sign" and /v1/uppy/s3 serve @uppy/aws-s3 6's signRequest mode with
//     these routes' checks (see Clients, and the OpenAPI description).
//
//   - Complete. The broker lists the uploaded parts first (oss:ListParts), so it can name a part
//     that was not uploaded or whose ETag differs (400 invalid_part), check that they add up to the
//     declared size, and return the size. A part other than the last under 100 KiB is OSS's
//     EntityTooSmall: 400 part_too_small. Without overwrite, the upload carries
//     x-oss-forbid-overwrite at initiate and complete: 409 object_exists if the key is taken by
//     then. A completed or aborted upload is 404 upload_not_found.
//
//   - The handle is base64url(payload).base64url(HMAC-SHA256), the payload a versioned JSON
//     (version 2) of the upload id, bucket, key, content type, overwrite choice, size plan, the
//     SHA-256 of the caller's sub and an expiry (MULTIPART_TTL, 24 h). Its length bound (13056
//     characters) is derived from the bounds of its fields at JSON's worst escaping, so any valid
//     key of up to 1023 bytes and any sub fit; should sealing still fail after OSS started the
//     upload, the broker aborts that upload before answering 500, so nothing is left without a
//     handle. Version 1 handles (which held the sub itself) stop working on upgrade. Only a handle
//     this deployment sealed, unexpired, for the caller's own sub and this bucket is accepted,
//     checked in constant time; its key is judged again by the key gate on every call. Anything
//     else (forged, truncated, tampered, expired, another user's) is one answer, 403
//     invalid_handle. The key is derived (HMAC-SHA256 with a fixed label) from
//     MULTIPART_HANDLE_SECRET, else from the OSS AccessKey secret, else from JWT_HS256_SECRET: a
//     configured secret, so that every FC instance (they share no memory) opens the handles any
//     other one sealed. Rotating that secret invalidates handles in flight. With the function
//     role's STS credentials and a public-key JWT source there is nothing to derive from: set
//     MULTIPART_HANDLE_SECRET, or the multipart routes answer 501 multipart_unavailable (startup
//     logs a warning).
//
//   - Uploads that are never completed keep their parts in OSS (billed as storage): add a bucket
//     lifecycle rule that aborts incomplete multipart uploads after a day or two.
//
// # POST /v1/presign-post
//
// A browser form upload (OSS PostObject) whose size limit OSS enforces, which a presigned PUT
// cannot express.
//
//   - key (string, required): full key, or a folder ending in "/" (a generated name, as for
//     presign); may not contain "${" (OSS would put the uploader's file name there)
//   - contentType (string): pinned; default application/octet-stream; checked against
//     ALLOWED_CONTENT_TYPES; printable ASCII
//   - contentDisposition, cacheControl (string): optional form fields the policy pins (eq); stored
//     with the object. Printable ASCII, at most 1 KiB
//   - maxBytes (integer): upper bound of the policy's content-length-range; default and cap
//     MAX_UPLOAD_BYTES
//   - overwrite (bool): default false: the form pins "x-oss-forbid-overwrite: true"
//   - expiresIn (integer seconds): the policy's expiration, clamped as for presign
//
// Response 200:
//
//	{"url":"https://examplebucket.oss-cn-hangzhou.aliyuncs.com/",
//	 "fields":{"key":"exampledir/a.png","Content-Type":"image/png","x-oss-forbid-overwrite":"true",
//	           "success_action_status":"204","policy":"eyJleHBpcmF0aW9uIjoi…",
//	           "x-oss-signature-version":"OSS4-HMAC-SHA256",
//	           "x-oss-credential":"LTAI…/20261127/cn-hangzhou/oss/aliyun_v4_request",
//	           "x-oss-date":"20261127T040000Z","x-oss-signature":"…"},
//	 "bucket":"examplebucket","key":"exampledir/a.png","maxBytes":10485760,"expiresAt":"2026-11-27T04:15:00Z"}
//
// POST multipart/form-data to url (path style http://127.0.0.1:9100/examplebucket locally): every
// field, then the file last, named file; OSS answers 204 (with PUBLIC_BASE_URL: 200 with the
// broker's receipt, see Upload callbacks and inspection; the form then also carries callback and
// x:* fields, pinned by the policy). The V4 policy pins the bucket, the exact key, the content
// type, forbid-overwrite, the V4 fields (and x-oss-security-token with STS credentials) and
// ["content-length-range", 0, maxBytes]; a larger upload gets OSS's 400 EntityTooLarge and stores
// nothing. The range bounds the uploaded file (the object), not the form body around it: a file of
// exactly maxBytes is stored, one byte more is refused, however many fields the form carries (OSS's
// error pages EC 0006-00000003 and 0006-00000004 say so; the local OSS server does the same). What
// the policy does not pin: OSS checks only the fields its conditions name and refuses none for
// being unnamed, so the form's holder can add x-oss-meta-* fields, the standard header fields not
// asked for (Content-Disposition, Cache-Control, Content-Encoding, Expires) and other PostObject
// fields such as x-oss-object-acl or x-oss-storage-class (which the RAM policy may still refuse);
// OSS stores them with the object. The names are open-ended, so no list of conditions can forbid
// them.
//
// # POST /v1/presign-get
//
// Off unless ALLOW_DOWNLOADS=true (then 404 not_found): an upload broker grants no read access by
// default, and its RAM policy then needs no oss:GetObject on the prefix.
// {"key","expiresIn"?,"responseContentDisposition"?} (expiresIn seconds, clamped as for presign) →
// 200 {"method":"GET","url","headers":{},"bucket","key","expiresAt"}: a V4 presigned GET URL for a
// full key the caller may read, judged by the same key gate as uploads (their prefix; with
// exampledir/{sub}/, their own folder only). responseContentDisposition (printable ASCII, at most 1
// KiB, e.g. attachment; filename="q3.pdf") is signed as response-content-disposition, and OSS
// answers with it. The broker does not check that the object exists (OSS's 404 on the GET says so).
// The RAM policy needs oss:GetObject on the prefix (as -print-ram-policy prints); when scopes are
// required, the token needs download.
//
// # PUT /v1/objects/{key} and POST /v1/objects/{folder}/
//
// The body is the object. The key is the percent-decoded path after /v1/objects/, decoded exactly
// once (%2F is a "/"; %252e is a literal %2e). Content-Type is stored (default
// application/octet-stream), an optional Content-MD5 (the base64 of 16 bytes, else 400) is checked,
// ?overwrite=true allows replacing (exactly true or false, else 400). A POST to a folder (path
// ending in "/") lets the broker pick the name. Bodies over MAX_DIRECT_UPLOAD_BYTES (or
// MAX_UPLOAD_BYTES, when lower) get 413 before anything reaches OSS. The broker always sends OSS
// the body's Content-MD5, so a 201 means OSS holds exactly these bytes, and a failure stores
// nothing. Response 201 (and "Location: /v1/objects/<key>"):
//
//	{"bucket":"examplebucket","key":"exampledir/hooks/x.json","size":123,
//	 "etag":"5EB63BBBE01EEED093CB22BB8F5ACDC3","contentType":"application/json"}
//
// etag is OSS's ETag without its quotes. With PUBLIC_BASE_URL set the body is inspected before it
// is stored, by the rule of Upload callbacks and inspection: content that is not the declared type
// is 415 content_type_mismatch (the message names both types) and nothing is stored.
//
// # POST /v1/webhooks/{source}
//
// A signed webhook delivery from a sender configured in WEBHOOK_SOURCES, stored once as
// "<prefix>webhooks/<source>/<event id>.json" (a JSON body) or .bin (anything else); the key and
// the stored type come from the signed bytes only. Response 200, identical for the first delivery
// and every redelivery or replay of the same signed bytes, whatever their other headers (a
// redelivery also carries "X-Webhook-Duplicate: true"):
//
//	{"bucket":"examplebucket",
//	 "key":"exampledir/webhooks/github/0b1e3c0c6a4c7e4d1d2b5f0f3b8a7c9e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a.json",
//	 "size":7312,"etag":"5EB63BBBE01EEED093CB22BB8F5ACDC3","contentType":"application/json",
//	 "source":"github","eventId":"0b1e3c0c6a4c7e4d1d2b5f0f3b8a7c9e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a"}
//
// 401 unauthorized (one body for an unknown source, a missing, wrong or malformed signature and a
// stale timestamp), 409 event_conflict (a Standard Webhooks webhook-id already stored with a
// different body), 413 over MAX_DIRECT_UPLOAD_BYTES. Details in Webhooks.
//
// # Scopes
//
// Off by default: any valid token may use every route, as before. With REQUIRE_SCOPES=true the
// broker reads the token's scopes from JWT_SCOPE_CLAIM (default scope; a space-separated string or
// an array of strings; for scope, scp is read when scope is absent; Auth0's RBAC permissions works
// with JWT_SCOPE_CLAIM=permissions) and requires:
//
//   - upload: presign (single and batch), direct uploads, POST forms, multipart (every call)
//   - upload:overwrite: anything with overwrite (?overwrite=true, "overwrite":true, a multipart
//     upload started so); it implies upload, since replacing a missing key creates it
//   - download: presign-get
//
// A missing scope is 403 insufficient_scope with WWW-Authenticate: Bearer
// error="insufficient_scope", scope="<the scope needed>" (RFC 6750). In a batch, the upload scope
// is checked once for the request and upload:overwrite per file (a file that asks to overwrite
// without it gets that error in its place).
//
// # Other routes
//
//   - "POST /v1/callbacks/oss": OSS's upload callback, no bearer token (OSS signs it); only with
//     PUBLIC_BASE_URL. See Upload callbacks and inspection.
//   - "GET /healthz": 200 {"status":"ok"}, no auth.
//   - "GET /openapi.yaml": the OpenAPI 3.1 description of the whole API (application/yaml, no
//     auth); a test validates real responses of every route and error against it.
//   - OPTIONS on any route: CORS preflight, 204 for origins in ALLOWED_ORIGINS, else 403
//     origin_not_allowed. Allowed: methods GET, HEAD, POST, PUT, OPTIONS; headers Authorization,
//     Content-Type, Content-MD5; max age 600 s. Every response carries "Vary: Origin"; credentials
//     (cookies) are never allowed, tokens travel in a header.
//
// # Errors
//
// Every error is JSON, with the FC request id (a generated one locally), also sent as X-Request-Id:
//
//	{"error":{"code":"key_outside_prefix","message":"…","requestId":"1-6746…"}}
//
// The codes, by status:
//
//   - 400 invalid_request: malformed JSON, unknown fields, trailing data, a body that is not valid
//     Unicode (invalid UTF-8, lone surrogate escapes), a number or boolean out of its range, bad
//     metadata, bad MD5, Content-MD5 ≠ body, a control or non-ASCII byte in a value that becomes a
//     header, a presign without contentLength while MAX_UPLOAD_BYTES is under 5 GiB
//   - 400 invalid_key: a key that breaks the key rules (see Key rules under Security)
//   - 401 unauthorized: any token problem; the same body whatever was wrong, with WWW-Authenticate:
//     Bearer error="invalid_token". On /v1/webhooks/: any signature problem or an unknown source,
//     again one body
//   - 400 invalid_part: multipart complete: a part not uploaded, another ETag, or parts that do not
//     add up to the declared size
//   - 400 part_too_small: multipart complete: a part other than the last under 100 KiB (OSS's
//     EntityTooSmall)
//   - 403 key_outside_prefix: a valid key outside the caller's prefix
//   - 403 insufficient_scope: REQUIRE_SCOPES is on and the token lacks the scope (see Scopes), with
//     RFC 6750's WWW-Authenticate
//   - 403 invalid_callback: "POST /v1/callbacks/oss": not signed by OSS (bad signature, untrusted
//     key URL), another bucket, or a key outside the prefix
//   - 403 invalid_handle: a multipart handle that is forged, malformed, tampered, expired, or
//     another caller's: one body for all
//   - 404 upload_not_found: the multipart upload was completed or aborted
//   - 403 origin_not_allowed: a CORS preflight from an origin not in ALLOWED_ORIGINS
//   - 404 not_found: unknown route
//   - 405 method_not_allowed: with an Allow header
//   - 409 object_exists: the key exists and overwrite was not asked
//   - 409 event_conflict: a webhook event id that is already stored with a different body
//   - 413 payload_too_large: body over the limit, contentLength or maxBytes over MAX_UPLOAD_BYTES,
//     multipart size or parts over MAX_MULTIPART_BYTES, request JSON over 64 KiB (1 MiB for a batch
//     or a multipart complete)
//   - 415 unsupported_media_type: content type not in ALLOWED_CONTENT_TYPES (the message names it),
//     or a non-JSON presign body
//   - 415 content_type_mismatch: with PUBLIC_BASE_URL: a direct upload whose bytes are not its
//     declared type (also a receipt's reason)
//   - 502 storage_unavailable: OSS unreachable, failing, or refusing the broker's credentials
//   - 504 storage_unavailable: OSS did not answer within the timeouts
//   - 500 internal: a bug; the panic is logged with its stack, never shown
//   - 501 multipart_unavailable: multipart routes without a handle secret (see Multipart)
//
// # Tests
//
//   - pkg/broker's OpenAPI test: real requests through the broker wired to the local OSS server,
//     every route and every documented error (200, 201, 204, 400, 401, 403, 404, 405, 409, 413,
//     415, 502), each response validated against openapi.yaml with kin-openapi (OpenAPI 3.1, JSON
//     Schema 2020-12); a documented response that no request produced fails the test (only 500, 504
//     and a clash of two random names cannot be caused on purpose).
package broker
