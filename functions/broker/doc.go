// Command broker is the ossbroker FC3 function. Deployed, it builds its
// configuration, token verifier and OSS client once per instance and hands
// the HTTP API to the FC runtime loop. With -dev it runs the same function
// on a laptop: a local OSS server, a local FC runtime API and HTTP trigger.
//
// # Local mode
//
// Local mode (`make run`, i.e. `go run ./functions/broker -dev`) also reads `OSS_EMULATOR_ADDR`
// (`127.0.0.1:9100`), `BROKER_ADDR` (`127.0.0.1:9000`), `DEV_DATA_DIR` (`.data/`, git-ignored; objects survive a
// restart), `OSS_EMULATOR_POLICY` (a RAM policy file for the RAM user; default: what `-print-ram-policy` prints
// for the configuration, e.g. `oss:PutObject`, `oss:ListParts`, `oss:AbortMultipartUpload` and `oss:GetObject` on
// `acs:oss:*:*:<bucket>/<prefix>*`), and `OSS_EMULATOR_OWNER_KEY_ID`/`_SECRET` (the account
// owner, full access). Unset key pairs and the HS256 secret are generated, and the banner prints the values it
// generated (with a dev token signed with the generated secret); a value taken from your environment is never
// printed, only named ("from your environment, not printed"), and with your own `JWT_HS256_SECRET` the banner
// prints no token (the curl lines say `<token>`; the demo page still gets one from `GET /dev/token`). `-dev -oss-only` starts
// only the OSS server; `-dev -runtime-api` delivers events through a local runtime API to `fc.Start`. Local mode also serves the demo page at `/` and a fresh dev token at `GET /dev/token`
// (neither exists in the deployed function; the token goes only to a loopback client that names a loopback host,
// `localhost`, `127.x.y.z` or `[::1]`, with any port, so a page elsewhere whose name is made to resolve to
// 127.0.0.1, DNS rebinding, gets 403); the local bucket's CORS rule is `-print-bucket-cors`'s for
// `ALLOWED_ORIGINS` plus the page's own origins (`http://127.0.0.1:<port>` and `http://localhost:<port>`).
//
// Local mode also runs the inspector function (package uploadevent, what functions/inspector runs in the
// cloud) behind a local OSS trigger: after each PutObject, PostObject and CompleteMultipartUpload under the
// prefix's literal part, the local OSS server sends the event in FC's `OssEvent` shape, asynchronously, through
// the SDK's handler wrapper, and a failed invocation is retried as FC does (8 retries, 0.5 s then doubling). The
// inspector signs with its own key pair, `OSS_INSPECTOR_KEY_ID`/`_SECRET` (generated when unset), limited by the
// policy its `-print-ram-policy` prints. Unless `NOTIFICATION_URL` is set, notifications go to local mode's own
// webhook sink: `NOTIFICATION_URL` becomes `http://<BROKER_ADDR>/v1/webhooks/uploads`, a Standard Webhooks
// source `uploads` is added to `WEBHOOK_SOURCES` in the first free `WEBHOOK_SECRET_<n>` slot, with
// `NOTIFICATION_SECRET` (generated, and printed, when unset); each verdict is then stored under
// `<prefix>webhooks/uploads/upl_<hash>.json`. Presigned PUTs then list `x-oss-meta-ossbroker-sub` among their
// headers (the banner's curl line sends it).
//
// # Security
//
// The token rules are in package [github.com/ossbroker/ossbroker/pkg/auth], the key rules ("see Key
// rules") in package [github.com/ossbroker/ossbroker/pkg/objectkey].
//
// The broker hands out write access to a bucket, so its two gates (the token check in `pkg/auth`, the key check in
// `pkg/objectkey`) are built to be hard to talk around, and tested with the attacks of the JWT BCP (RFC 8725),
// the OWASP and PortSwigger JWT catalogues, and path-traversal tricks (`go test ./pkg/auth ./pkg/objectkey
// ./pkg/broker`; fuzz targets run with `make fuzz`).
//
// # Threat model
//
// What an attacker with each of these can and cannot do:
//
//   - a stolen, unexpired token can: presign and upload under that user's prefix until the token expires (keep tokens short-lived); with `ALLOW_DOWNLOADS` on, presign downloads of the objects under that prefix (with a shared prefix such as `exampledir/`, everyone's: use `exampledir/{sub}/`, or `REQUIRE_SCOPES` and the `download` scope); use that user's multipart handles. Cannot: write or read outside the prefix, overwrite without asking (or without `upload:overwrite` when scopes are required)
//   - a leaked multipart handle can: nothing without a token for the same `sub`: the handle is bound to it. Cannot: sign parts of, complete or abort another user's upload; change the upload id, key, size or expiry in it (HMAC-SHA256, checked in constant time, one 403 for every failure)
//   - a leaked POST form can: upload one object under the pinned key and type, within `maxBytes`, until `expiresAt`; add `x-oss-meta-*` fields, standard header fields the form did not pin (`Content-Disposition`, `Cache-Control`, `Content-Encoding`, `Expires`) and PostObject fields such as `x-oss-object-acl` (as far as the RAM policy allows), which OSS stores: OSS checks only the fields a policy names. Cannot: pick another key or type, change a pinned `Content-Disposition`/`Cache-Control`, exceed the size (OSS enforces the range), replace an object unless `overwrite` was signed
//   - a leaked presigned URL can: upload that one object, with the signed Content-Type and metadata (and, when pinned, exact length, MD5, `Content-Disposition`, `Cache-Control`), until `expiresAt`; set the standard headers the URL did not pin (`Content-Disposition`, `Cache-Control`, `Content-Encoding`, `Content-Language`, `Expires`), which OSS stores. Cannot: pick another key or type; add any `x-oss-*` header (metadata, ACL, storage class, tagging: V4 signs them all); send more or fewer bytes than a pinned length (`0` included); exceed `MAX_UPLOAD_BYTES` (below 5 GiB the length is always pinned); replace an existing object unless `overwrite` was signed; use it after expiry
//   - a hostile key can: nothing: every key is judged once, decoded, in `pkg/objectkey` before anything is signed or sent. Cannot: traverse (`..`, `.`, `//`, `\`, encoded or double-encoded forms), escape the prefix boundary (`exampledir2/`), smuggle control, bidi, invisible (Unicode category Cf) or look-alike characters (anything whose NFKC form holds `.`, `/` or `\`, refused, never normalized), hide a `.`/`..` segment behind invisible characters, make two keys one through invalid UTF-8 or lone surrogate escapes (refused, never turned into U+FFFD), or turn a claim value into a path (see Key rules)
//   - a captured webhook delivery can: replay it, with any unsigned header (`Content-Type`, `X-GitHub-Delivery`, ...) changed: a no-op answered as a redelivery (200, nothing written); a GitHub one at any time, a Standard Webhooks or Stripe one within `WEBHOOK_TOLERANCE`; store it if the broker had not received it yet. Cannot: store a second copy, choose the stored type (it is `application/json` or `application/octet-stream`, from the body), change a byte or a signed header, re-sign without the secret, block a delivery still to come by planting a body under its id (keys come from signed bytes only), replay a Standard Webhooks or Stripe delivery outside `WEBHOOK_TOLERANCE`, or write into the webhooks folder with a token
//   - a forged or malformed token can: nothing: 401 with one uniform body. Cannot: use `alg: none`, algorithm confusion (HS256 with the public key), `jku`/`x5u`/`jwk` headers (never fetched, never trusted), a JWKS key marked for encryption or bound to another `alg` (with or without `kid`), claims that are not valid Unicode (a `sub` with a lone surrogate escape or a non-UTF-8 byte, which would otherwise decode to U+FFFD and share another subject's folder), `crit`, an unexpected `typ`, missing/zero `exp`, future `nbf`/`iat`, a wrong `iss`/`aud`, an empty `sub`, padding or whitespace variants, a token over 8 KiB, two `Authorization` headers, or a token in the query string
//
// # Limits
//
// Presign JSON ≤ 64 KiB (batches and multipart completes ≤ 1 MiB; a batch ≤ 100 files, a parts
// call ≤ 100 part numbers), decoded strictly (unknown fields, trailing data, invalid UTF-8 and `\u` escapes
// of unpaired surrogates are 400, checked on the raw bytes before decoding); user metadata ≤ 8 KiB (OSS's bound), names `[a-z0-9-]`, printable ASCII values; every value that becomes a
// header (content type, `contentMD5`, `contentDisposition`, `cacheControl`, metadata) is printable ASCII, checked
// before signing; direct uploads ≤ `MAX_DIRECT_UPLOAD_BYTES` and `MAX_UPLOAD_BYTES` (refused at 413 before reading
// past the limit); `expiresIn` clamped to [1 s, `PRESIGN_MAX_TTL`] (DESIGN.md); keys ≤ 1023 bytes; FC's own limits
// (8 KB of request headers, 4 KB of path and query, 32 MB of body) apply in the cloud and in the local trigger.
// `ALLOWED_CONTENT_TYPES` applies to both JWT routes (not to webhooks); `ALLOWED_ORIGINS` is matched exactly, with
// `Vary: Origin`. Webhook signatures are compared in constant time (`hmac.Equal`), over the raw body, before
// anything else is done with it.
//
// # Secrets never reach a log
//
// Logs carry the method, route, status, duration and request id. Tokens, the
// AccessKey secret, STS security tokens, presigned URLs, `x-oss-signature` values, webhook secrets and webhook
// signature headers, multipart handles and POST-form policies and signatures are never logged; a test
// drives the whole API (successes and failures, STS signing) with debug logging and searches every line.
// Local mode's banner prints only credentials it generated itself: a key pair, secret or HS256 secret taken
// from the environment (maybe a developer's real one) is named, never printed, and no token signed with it is
// printed (a test sweeps every credential variable the configuration knows).
//
// # Tests in a real browser
//
//   - the real-browser test (`TestBrowser` in `functions/broker`, `make test-browser` alone): headless Debian
//     Chromium, driven by `playwright-core` (`functions/broker/webtest/`), opens local mode's demo page, uploads a
//     small text file and a 20 MiB binary file cross-origin (a real CORS preflight against the local bucket's rule),
//     waits for both progress bars to reach 100%, checks that a key outside the prefix shows the 403 on the page and
//     that a page on an origin the bucket rule does not list cannot upload; then the OSS SDK, with the owner's key
//     pair, checks that the bucket holds exactly the uploaded bytes and nothing else. A screenshot of the page after
//     the uploads lands in `functions/broker/webtest/out/uploads.png`. Then a 64 MiB file goes as a multipart
//     upload (the page switches above 32 MiB: one `POST /v1/multipart`, one batch of 8 part URLs, 8 part PUTs four
//     at a time, complete; one overall bar, checked to rise to 100%), a small file goes as a POST form, and a file
//     over the form's 64 KiB limit comes back as OSS's 400 `EntityTooLarge`; the SDK check covers those bytes too
//     (screenshot `multipart-and-form.png`). Last, a 72 MiB multipart upload is cut short by a page reload and
//     picked again: the page resumes it (`POST /v1/multipart/list`) and sends only the parts OSS does not hold.
//   - Uppy (`TestUppy`): Uppy 6 (`@uppy/core` and `@uppy/aws-s3` 6.3.1, `webtest/uppy6/`) and Uppy 5 (5.2.0 and
//     5.1.0, `webtest/uppy5/`), each with the glue of the Clients section taken from README.md and bundled by esbuild
//     (0.28.2) at test time, in headless Chromium: a small file (one PUT), a 24 MiB multipart file, a multipart
//     upload removed after its first part (the abort must reach the broker and answer 204), and a 48 MiB one resumed
//     after a page reload (no part stored before the reload is sent again). The OSS SDK then checks that the bucket
//     holds exactly those files' bytes, once each, and nothing of the removed ones.
package main
