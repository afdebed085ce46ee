// Package osscallback signs and verifies OSS upload callbacks: the POST OSS
// sends to an application after a PutObject, PostObject or
// CompleteMultipartUpload that carried x-oss-callback.
//
// OSS signs each callback with its own RSA key (MD5withRSA, PKCS#1 v1.5 over
// the MD5 digest) and names the public key's URL, base64-encoded, in the
// x-oss-pub-key-url header. That header is written by whoever sent the
// request, so it decides nothing until the signature holds: the Verifier
// fetches keys only from OSS's documented key host (gosspublic.alicdn.com),
// only over HTTPS whatever scheme the header names, only at a key-file path,
// and caches each key per instance. Local mode adds the local OSS server's
// own key URL (Verifier.Trusted); nothing in the environment can.
//
// The string OSS signs is url_decode(path) + "?" + query + "\n" + body, or
// url_decode(path) + "\n" + body when the URI has no query (OSS's Callback
// documentation and its PHP, Java and Go samples). This package is the one
// place that builds it: the local OSS server (pkg/devtools/ossemu) signs with Sign,
// the broker checks with [Verifier.Verify].
//
// # Upload callbacks
//
// A presigned URL says what the uploader claimed; a signed "Content-Type: image/png" happily
// stores a PDF or an HTML page. With PUBLIC_BASE_URL set (the custom domain or the HTTP trigger
// URL), the broker learns when each upload finished and what it actually is, and the uploader gets
// the verdict in the upload's own response.
//
// The flow. Presigned PUTs carry two more signed headers, listed in the presign answer's "headers"
// (send them as given, like the others): x-oss-callback (base64 JSON: callbackUrl =
// <PUBLIC_BASE_URL>/v1/callbacks/oss, a JSON callbackBody template of ${bucket}, ${object},
// ${etag}, ${size}, ${mimeType}, ${crc64} and ${x:ticket}) and x-oss-callback-var (x:ticket, see
// below), and the metadata x-oss-meta-ossbroker-upload, a fresh upload id. PostObject forms carry
// the same as the fields "callback", x:ticket and x-oss-meta-ossbroker-upload, each pinned by the
// policy. Neither can be changed by the uploader. After the write OSS POSTs the filled template to
// the broker, signed with OSS's RSA key, waits at most 5 s, and answers the PUT (or form) with the
// broker's JSON. Multipart uploads already complete through the broker: "POST
// /v1/multipart/complete" inspects directly and answers the same receipt (201 accepted, 200
// rejected).
//
// What OSS's signature proves, and what it does not. OSS signs the callbacks of every customer
// with one key, and the callback URL and body template are whatever the upload request carried:
// anyone with an Alibaba Cloud account can upload to a bucket of their own with a template of
// literals naming this broker's bucket, another user's key and any sub, and OSS signs and sends
// it. So the signature proves only that OSS sent the request. The route acts only on the ticket
// (package uploadticket): HMAC-SHA256 under a key derived from MULTIPART_HANDLE_SECRET (else the
// OSS AccessKey secret, else JWT_HS256_SECRET; each use of the secret has its own label, and every
// FC instance derives the same key), over the bucket, key, uploader's sub, declared type, pinned
// length, size limit, upload id and expiry (the URL's or form's, plus an hour), sealed when the
// broker signed the upload. The body's bucket and key must be the ticket's. It judges only the
// version the callback names: the object's ETag must be the callback's etag and its
// ossbroker-upload metadata the ticket's upload id, both checked on the one read that judges it,
// before anything is done to it; any other version is 409 version_changed, untouched. The
// receipt's and the notification's sub is the ticket's. No valid ticket (none, forged, tampered,
// truncated, another upload's, expired) is 403 invalid_callback: nothing read, touched or
// notified, and no key fetched.
//
// The signature is still checked, exactly as OSS documents it (MD5withRSA over the URL-decoded
// path, ?query when there is one, \n, the body; base64 in Authorization). The key URL comes base64
// in x-oss-pub-key-url, which anyone can write, so it is fetched only when its host is OSS's
// documented gosspublic.alicdn.com and its path a callback_pub_key_v<n>.pem file: over HTTPS
// whatever scheme the header names (OSS writes http://), no redirects, cached per instance, a
// failing URL retried at most once a minute. Look-alike hosts (gosspublic.alicdn.com.evil.example,
// evilgosspublic.alicdn.com, user@host tricks, other ports) are refused before any connection.
// Local mode's OSS server signs with a key pair of its own and serves the public key at
// http://<OSS_EMULATOR_ADDR>/callback_pub_key_v1.pem; local mode, and only local mode, tells the
// broker to trust that exact URL (a build argument, not a setting: no environment variable can
// make a deployed function trust another host).
//
// When the callback cannot run (the function unreachable or slower than 5 s, an error answer, the
// key host down), OSS does not retry: it answers the uploader 203 with the XML error CallbackFailed
// and keeps the object. Treat 203 as "stored, verdict pending": the second part of this work (an
// OSS event trigger that inspects every object with the same pkg/inspect) judges it regardless. A
// form upload with a callback answers 200 with the receipt, not 204.
//
// RAM and CORS. -print-ram-policy adds, only with PUBLIC_BASE_URL, one statement on the prefix:
// oss:GetObject and oss:DeleteObject (or oss:PutObjectTagging with REJECTED_UPLOADS=tag). The
// bucket CORS rule of -print-bucket-cors already allows the request headers x-oss-*, which covers
// x-oss-callback and x-oss-callback-var; browsers can read the receipt, the body of a CORS-allowed
// response.
package osscallback
