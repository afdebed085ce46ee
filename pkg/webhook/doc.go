// Package webhook verifies signed webhook deliveries and names the object a
// verified delivery is stored under. It does no I/O: the broker reads the
// body, calls [Source.Verify] on the exact bytes received, and stores them.
//
// Three signature schemes are supported, each as published by its sender:
//
//   - Standard Webhooks v1 (standardwebhooks.com; Svix and others): headers
//     webhook-id, webhook-timestamp and webhook-signature (svix-id,
//     svix-timestamp and svix-signature are accepted when none of the
//     webhook-* headers is present). The signature header is a
//     space-separated list of "v1,<base64 HMAC-SHA256>" entries over
//     "<id>.<timestamp>.<body>"; entries of other versions (v1a, ...) are
//     ignored; one matching entry is enough (secret rotation). The secret is
//     "whsec_" followed by the base64 of 24 to 64 random bytes, and the
//     decoded bytes are the HMAC key. The id and timestamp must not contain
//     ".", the timestamp is decimal Unix seconds within the tolerance of now
//     (either way).
//   - GitHub: X-Hub-Signature-256 is "sha256=<hex HMAC-SHA256 of the body>"
//     keyed with the secret as typed in GitHub's settings. The legacy SHA-1
//     X-Hub-Signature is never accepted. GitHub signs the body only: no
//     timestamp (so there is no replay window to enforce) and no header, so
//     X-GitHub-Delivery is not the event id (see below).
//   - Stripe: Stripe-Signature is "t=<unix seconds>,v1=<hex>[,v1=<hex>...]"
//     (other schemes such as v0 ignored), HMAC-SHA256 over "<t>.<body>" keyed
//     with the endpoint secret string exactly as Stripe shows it ("whsec_..."
//     included, not base64-decoded: that is what Stripe's libraries do). t
//     must be within the tolerance of now. Stripe sends no id header.
//
// Every comparison is [hmac.Equal] (constant time). The signature is checked
// before the timestamp, so "stale" is only ever reported for a genuine
// (signed) delivery; callers map every error to one uniform 401 anyway.
//
// Everything an Event says comes from signed bytes only, because it names
// the stored object: a captured delivery replayed with other unsigned
// headers (Content-Type, X-GitHub-Delivery, ...) must land on the same key
// with the same type, and a captured body sent under another delivery's id
// must not occupy that delivery's key. So the event id is the signed
// webhook-id for Standard Webhooks when it is a safe key segment (1 to 128
// of [A-Za-z0-9_-]); otherwise, and always for GitHub and Stripe, whose
// signatures cover the body only, it is the lowercase hex SHA-256 of the
// body (Event.IDFromBody): identical bytes land on the same key, different
// bytes on different keys. The stored content type ([StoredType]) comes from
// the body too. The sender's unsigned headers are kept only as metadata
// ([Source.Metadata]).
//
// # Webhooks
//
// Deploy is the README's section on deploying (the RAM policy the function role gets).
//
// Webhook senders cannot attach a bearer token; they sign. The broker verifies the signature over
// the body exactly as received (the raw bytes, also when FC delivers them base64-encoded) and
// stores the delivery in OSS once, however often the sender retries.
//
// Configure each sender as name:scheme:WEBHOOK_SECRET_<n> in WEBHOOK_SOURCES; the secret lives in
// its own slot, WEBHOOK_SECRET_1 to WEBHOOK_SECRET_4 (fixed names, which s.yaml passes to the
// function: FC passes nothing else, so a name of your own would never arrive), read once at
// startup, so the list itself holds no secret, and no error or log line ever shows one:
//
//	WEBHOOK_SOURCES=github:github:WEBHOOK_SECRET_1,billing:stripe:WEBHOOK_SECRET_2,svix:standard:WEBHOOK_SECRET_3
//	WEBHOOK_SECRET_1=$(openssl rand -hex 32)        # paste the same value into GitHub
//	WEBHOOK_SECRET_2=whsec_...                      # the endpoint's signing secret, from Stripe
//	WEBHOOK_SECRET_3=whsec_...                      # the endpoint's secret, from the sender
//
// "name" is 1-64 of [a-z0-9-] (the {source} in the URL and a folder name). Secrets: "standard"
// takes whsec_ + base64 of 24 to 64 bytes (the spec's range; the decoded bytes are the key);
// "github" and "stripe" take the string as the sender shows it, at least 32 bytes (Stripe's
// whsec_... is used whole, not decoded, as Stripe's libraries do). Surrounding whitespace is
// trimmed. A secret slot that is unset, empty or too short, a name that is not one of the four
// slots, or a slot named by two sources stops startup with a message naming it.
//
// Point the sender at https://<your-trigger>/v1/webhooks/<name>:
//
//   - GitHub (repository or organization → Settings → Webhooks → Add webhook): Payload URL as
//     above, content type application/json, Secret = the value of WEBHOOK_SECRET_1. Verified:
//     "X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>" (the SHA-1 X-Hub-Signature is
//     ignored). GitHub signs the body and nothing else: not X-GitHub-Delivery, not a timestamp. So
//     the event id is the hex SHA-256 of the body (GitHub's redeliveries resend the same bytes),
//     X-GitHub-Delivery and X-GitHub-Event are only kept as metadata, and there is no replay
//     window: a captured delivery can be replayed at any time, and every replay is a no-op (see
//     below).
//   - Stripe (Dashboard → Developers → Webhooks → Add endpoint, or "stripe listen --forward-to"):
//     the endpoint URL as above, then put its signing secret in WEBHOOK_SECRET_2. Verified:
//     "Stripe-Signature: t=…,v1=…" (HMAC-SHA256 over <t>.<body>, any of several v1), "t" within
//     WEBHOOK_TOLERANCE. Stripe sends no id header, so the event id is the hex SHA-256 of the body:
//     a retry of the same bytes is the same event, and another body is another event (never a 409).
//   - Standard Webhooks senders (Svix and others; scheme "standard"): the endpoint URL as above and
//     the endpoint's whsec_ secret. Verified: webhook-id, webhook-timestamp, webhook-signature
//     (Svix's svix-* names are accepted too), HMAC-SHA256 over <id>.<timestamp>.<body>, any v1,
//     entry of the space-separated list (so keys can rotate), timestamp within WEBHOOK_TOLERANCE.
//     Event id: webhook-id, which is part of the signed content.
//
// A webhook-id that is not 1-128 of [A-Za-z0-9_-] is replaced by the body's SHA-256, so it never
// shapes a key.
//
// What is stored where. "<prefix>webhooks/<source>/<event id>.json" when the body is valid JSON,
// stored as application/json; otherwise "<prefix>webhooks/<source>/<event id>.bin", stored as
// application/octet-stream (GitHub's form-encoded option, anything else). The key and the type are
// functions of the source and the signed bytes only: the event id above (the signed webhook-id, or
// the body's SHA-256) and the body. No unsigned header and no clock goes in, so neither type is one
// a browser renders as a page (never text/html or image/svg+xml), whatever Content-Type the
// delivery carried. The object carries x-oss-meta-webhook-source, x-oss-meta-webhook-id and
// x-oss-meta-webhook-timestamp (the signed timestamp in Unix seconds; the time of receipt for
// GitHub), and the sender's unsigned headers as they arrived with the first delivery:
// x-oss-meta-webhook-header-content-type, -user-agent, and for GitHub -x-github-delivery,
// -x-github-event, -x-github-hook-id, -x-github-hook-installation-target-id and -type. Those values
// are not signed (treat them as hints), percent-encoded to printable ASCII (%XX for any other byte,
// for "%" and for a space at either end) and cut at 256 bytes. The key goes through the same key
// gate as every other key; with a per-user prefix such as exampledir/{sub}/, the placeholders are
// filled with "webhooks" (exampledir/webhooks/webhooks/<source>/...). While WEBHOOK_SOURCES is set,
// that webhooks folder is reserved: the JWT routes answer 403 key_outside_prefix for keys in it, so
// no token holder can plant a fake event or block a real one. Content-Type is not checked and
// ALLOWED_CONTENT_TYPES does not apply to webhooks.
//
// Exactly once. The object is written with "x-oss-forbid-overwrite: true", so OSS itself refuses a
// second write of the key, for every function instance at once: the guarantee is global, not per
// instance, and no cache is kept in memory. When OSS says the key exists, the broker HEADs it and
// compares size and MD5 with the body: equal is a redelivery (200, the identical body,
// "X-Webhook-Duplicate: true", nothing written); different is 409 event_conflict, which only a
// Standard Webhooks sender can cause (the same signed webhook-id with another body): GitHub's and
// Stripe's keys are the body's hash, so other bytes are another key. This needs oss:GetObject on
// the webhooks folder (see Deploy); without it, a redelivery of a body-hash id (GitHub, Stripe) is
// still recognised, and a Standard Webhooks redelivery gets 502 storage_unavailable (logged with
// the missing permission) rather than an answer the broker could not check; the first copy is never
// touched.
//
// The key holds no date, so a retry is a redelivery however late it comes. Limits of the guarantee:
// Stripe sends no id, so a retry whose bytes differ from the first attempt (if Stripe ever changes
// the payload between attempts) is stored as a second event; consumers of Stripe events that must
// never see one twice dedupe on the event's own "id" in the body.
//
// Replaying a captured delivery. Someone who captured a delivery (its body and headers) can send it
// again, with any unsigned header changed or dropped (Content-Type, X-GitHub-Delivery, User-Agent,
// ...). Every such replay lands on the key of the original and is answered as a redelivery: nothing
// is written, the stored bytes, type and metadata stay the first delivery's. A GitHub delivery can
// be replayed at any time (GitHub signs no timestamp), a Standard Webhooks or Stripe one only
// within WEBHOOK_TOLERANCE of its signed timestamp (401 after). A replay cannot store a second
// copy, pick the type OSS serves, change a byte of the body or a signed header, or occupy the key
// of another delivery: a captured body sent under the X-GitHub-Delivery of a delivery still to come
// lands on its own hash, and the genuine delivery is stored normally; a Standard Webhooks signature
// does not verify under another webhook-id. What a replay still costs is a request (verified and
// answered, or refused with 401) and, when the first delivery was never received, storing it: a
// replayed delivery that the broker had not yet seen is stored as the sender signed it.
//
// Bodies over MAX_DIRECT_UPLOAD_BYTES get 413 before they are verified; unknown sources, missing,
// wrong or malformed signatures and stale timestamps all get the same 401 body (the log line says
// which); nothing is stored in any of those cases.
package webhook
