// Command broker is the ossbroker FC3 function. Deployed, it builds its
// configuration, token verifier and OSS client once per instance
// (package assemble) and hands the HTTP API to the FC runtime loop. It links
// no emulator and no demo page: local mode, the same function on a laptop,
// is the separate command pkg/devtools/localmode (make run).
//
// -print-ram-policy, -print-bucket-cors and -print-bucket-lifecycle print
// the OSS-side set-up for the configuration in the environment and exit.
//
// # Security
//
// The token rules are in package [github.com/ossbroker/ossbroker/pkg/auth], the key rules ("see Key
// rules") in package [github.com/ossbroker/ossbroker/pkg/objectkey].
//
// The broker hands out write access to a bucket, so its two gates (the token check in pkg/auth, the
// key check in pkg/objectkey) are built to be hard to talk around, and tested with the attacks of
// the JWT BCP (RFC 8725), the OWASP and PortSwigger JWT catalogues, and path-traversal tricks ("go
// test ./pkg/auth ./pkg/objectkey ./pkg/broker"; fuzz targets run with "make fuzz").
//
// # Threat model
//
// What an attacker with each of these can and cannot do:
//
//   - a stolen, unexpired token can: presign and upload under that user's prefix until the token
//     expires (keep tokens short-lived); with ALLOW_DOWNLOADS on, presign downloads of the objects
//     under that prefix (with a shared prefix such as exampledir/, everyone's: use
//     exampledir/{sub}/, or REQUIRE_SCOPES and the "download" scope); use that user's multipart
//     handles. Cannot: write or read outside the prefix, overwrite without asking (or without
//     upload:overwrite when scopes are required)
//   - a leaked multipart handle can: nothing without a token for the same "sub": the handle is
//     bound to it. Cannot: sign parts of, complete or abort another user's upload; change the
//     upload id, key, size or expiry in it (HMAC-SHA256, checked in constant time, one 403 for
//     every failure)
//   - a leaked POST form can: upload one object under the pinned key and type, within maxBytes,
//     until expiresAt; add x-oss-meta-* fields, standard header fields the form did not pin
//     (Content-Disposition, Cache-Control, Content-Encoding, Expires) and PostObject fields such as
//     x-oss-object-acl (as far as the RAM policy allows), which OSS stores: OSS checks only the
//     fields a policy names. Cannot: pick another key or type, change a pinned
//     Content-Disposition/Cache-Control, exceed the size (OSS enforces the range), replace an
//     object unless "overwrite" was signed
//   - a leaked presigned URL can: upload that one object, with the signed Content-Type and metadata
//     (and, when pinned, exact length, MD5, Content-Disposition, Cache-Control), until expiresAt;
//     set the standard headers the URL did not pin (Content-Disposition, Cache-Control,
//     Content-Encoding, Content-Language, Expires), which OSS stores. Cannot: pick another key or
//     type; add any x-oss-* header (metadata, ACL, storage class, tagging: V4 signs them all); send
//     more or fewer bytes than a pinned length ("0" included); exceed MAX_UPLOAD_BYTES (below 5 GiB
//     the length is always pinned); replace an existing object unless "overwrite" was signed; use
//     it after expiry
//   - a hostile key can: nothing: every key is judged once, decoded, in pkg/objectkey before
//     anything is signed or sent. Cannot: traverse ("..", ".", "//", "\", encoded or double-encoded
//     forms), escape the prefix boundary (exampledir2/), smuggle control, bidi, invisible (Unicode
//     category Cf) or look-alike characters (anything whose NFKC form holds ".", "/" or "\",
//     refused, never normalized), hide a "."/".." segment behind invisible characters, make two
//     keys one through invalid UTF-8 or lone surrogate escapes (refused, never turned into U+FFFD),
//     or turn a claim value into a path (see Key rules)
//   - an uploader whose file is rejected, or who overwrites a key while an older version is judged,
//     can: have the rejected version quarantined (REJECTED_UPLOADS=quarantine, the default: moved
//     to ossbroker-quarantine/, outside every prefix, expired by the printed lifecycle rule),
//     deleted (delete) or tagged (tag; presign-get then refuses it). Cannot: have a file destroyed
//     by default, get active content (HTML, SVG, XML, JavaScript, executables, scripts) accepted
//     under another type or under a wildcard of ALLOWED_CONTENT_TYPES, read or write the
//     quarantine, or make a stale or repeated verdict act on a newer version: every read is
//     If-Match on the judged ETag and the quarantine copy is conditional at OSS
//     (x-oss-copy-source-if-match). OSS offers no conditional delete or tagging: those follow a
//     HEAD that finds the judged ETag current, and a version written between the two (one request
//     to OSS: 0.2 ms against the local OSS server, BenchmarkActWindow in pkg/inspect) is deleted
//     (delete, and quarantine's delete after the copy) or tagged in its place: the one way left for
//     a rejection to reach another version
//   - a captured webhook delivery can: replay it, with any unsigned header (Content-Type,
//     X-GitHub-Delivery, ...) changed: a no-op answered as a redelivery (200, nothing written); a
//     GitHub one at any time, a Standard Webhooks or Stripe one within WEBHOOK_TOLERANCE; store it
//     if the broker had not received it yet. Cannot: store a second copy, choose the stored type
//     (it is application/json or application/octet-stream, from the body), change a byte or a
//     signed header, re-sign without the secret, block a delivery still to come by planting a body
//     under its id (keys come from signed bytes only), replay a Standard Webhooks or Stripe
//     delivery outside WEBHOOK_TOLERANCE, or write into the webhooks folder with a token
//   - a stranger with any Alibaba Cloud account can: have OSS send POST /v1/callbacks/oss any body,
//     correctly signed (OSS signs every customer's callbacks with one key and the template is the
//     uploader's: signed by OSS does not mean about this bucket); replay a genuine callback
//     captured from an upload (their own) until its ticket expires (the URL's expiry plus an hour):
//     on the version it names, the same verdict and notification id again. Cannot: make the broker
//     read, judge, delete, tag or notify anything without a ticket the broker sealed for that
//     upload (HMAC-SHA256 under a key derived from the configured secret, checked in constant
//     time); change any field a ticket covers (bucket, key, "sub", declared type, pinned length,
//     size limit, upload id, expiry); use another upload's ticket, or one truncated, expired or
//     sealed under another key; name in the body another object than the ticket's; have a replay
//     judge a version that upload did not write (the object's ETag and pinned upload id are checked
//     on the read that judges it: 409, nothing done). Tests: TestStrangerCallbacks,
//     TestReplayedCallback, TestForgedCallbacks in pkg/broker
//   - an OSS event (the inspector function; FC's OSS trigger invokes it, it has no HTTP trigger)
//     can: make the inspector judge the object under the key it names as it is now, and notify that
//     verdict. Cannot: act on another bucket, outside the prefix, or on the broker's own webhook
//     copies (skipped); choose the "sub" or upload id of the notification (read from the object's
//     pinned metadata, not the event). Tests: functions/inspector, TestNotificationIDPerUpload
//   - the application's notification receiver gets: each verdict signed (Standard Webhooks,
//     NOTIFICATION_SECRET), at least once, with one webhook-id per upload on every path (callback
//     route, multipart complete, inspector) and another for every other upload, the same bytes to
//     the same key included; the "sub" the broker pinned when it authorised the upload (the
//     ticket's, or the object's x-oss-meta-ossbroker-sub, which the uploader cannot drop or
//     change), never one from a callback body. Tests: TestCallbackPathNotifies,
//     TestEveryRoutePinsTheSub, TestNotificationIDPerUpload
//   - a forged or malformed token can: nothing: 401 with one uniform body. Cannot: use "alg: none",
//     algorithm confusion (HS256 with the public key), "jku"/"x5u"/"jwk" headers (never fetched,
//     never trusted), a JWKS key marked for encryption or bound to another "alg" (with or without
//     "kid"), claims that are not valid Unicode (a "sub" with a lone surrogate escape or a
//     non-UTF-8 byte, which would otherwise decode to U+FFFD and share another subject's folder),
//     "crit", an unexpected "typ", missing/zero "exp", future "nbf"/"iat", a wrong "iss"/"aud", an
//     empty "sub", padding or whitespace variants, a token over 8 KiB, two Authorization headers,
//     or a token in the query string
//
// # Limits
//
// Presign JSON ≤ 64 KiB (batches and multipart completes ≤ 1 MiB; a batch ≤ 100 files, a parts call
// ≤ 100 part numbers), decoded strictly (unknown fields, trailing data, invalid UTF-8 and \u
// escapes of unpaired surrogates are 400, checked on the raw bytes before decoding); user metadata
// ≤ 8 KiB (OSS's bound), names [a-z0-9-], printable ASCII values; every value that becomes a header
// (content type, contentMD5, contentDisposition, cacheControl, metadata) is printable ASCII,
// checked before signing; direct uploads ≤ MAX_DIRECT_UPLOAD_BYTES and MAX_UPLOAD_BYTES (refused at
// 413 before reading past the limit); expiresIn clamped to [1 s, PRESIGN_MAX_TTL]; keys
// ≤ 1023 bytes; FC's own limits (8 KB of request headers, 4 KB of path and query, 32 MB of body)
// apply in the cloud and in the local trigger. ALLOWED_CONTENT_TYPES applies to both JWT routes
// (not to webhooks); ALLOWED_ORIGINS is matched exactly, with "Vary: Origin". Webhook signatures
// are compared in constant time (hmac.Equal), over the raw body, before anything else is done with
// it.
//
// # Secrets never reach a log
//
// Logs carry the method, route, status, duration and request id. Tokens, the AccessKey secret, STS
// security tokens, presigned URLs, x-oss-signature values, webhook secrets and webhook signature
// headers, multipart handles and POST-form policies and signatures are never logged; a test drives
// the whole API (successes and failures, STS signing) with debug logging and searches every line.
// Local mode's banner prints only credentials it generated itself: a key pair, secret or HS256
// secret taken from the environment (maybe a developer's real one) is named, never printed, and no
// token signed with it is printed (a test sweeps every credential variable the configuration
// knows).
package main
