// Package config reads the broker's environment once per instance (cold
// start) and validates every value, so that a bad deployment fails at start
// with a message naming the variable instead of failing each request.
//
// # Variables
//
// Scopes are described in package [github.com/ossbroker/ossbroker/pkg/broker], Webhooks in package
// [github.com/ossbroker/ossbroker/pkg/webhook], Upload callbacks and inspection in packages
// [github.com/ossbroker/ossbroker/pkg/osscallback] and
// [github.com/ossbroker/ossbroker/pkg/inspect].
//
// Read once per instance (cold start). Every bad value stops startup with a message naming the
// variable; all bad values are reported together.
//
//   - OSS_BUCKET (default "examplebucket"): required by s.yaml: no default when deploying
//   - OSS_REGION (default cn-hangzhou): the V4 signing region
//   - OSS_ENDPOINT (default https://oss-<region>.aliyuncs.com): the public endpoint, named in every
//     URL and form handed to clients; an IP or "localhost" endpoint means path-style URLs
//   - OSS_INTERNAL_ENDPOINT (default OSS_ENDPOINT): the endpoint of the function's own OSS calls
//     (direct uploads, multipart initiate/list/complete/abort, HEADs, webhooks); s.yaml sets
//     https://oss-<region>-internal.aliyuncs.com (no egress charge from FC); local mode points it
//     at the local OSS server
//   - OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET (default none): the RAM user's pair. Unset: the
//     function role's STS credentials that FC passes with each invocation (then
//     ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET/_SECURITY_TOKEN); the URL carries x-oss-security-token
//     and dies with those credentials. Neither a pair nor role credentials: startup fails, naming
//     both fixes
//   - UPLOAD_PREFIX (default exampledir/): must end in "/"; {claim} placeholders such as
//     exampledir/{sub}/ give per-user folders
//   - ALLOWED_CONTENT_TYPES (default any): comma list, image/* wildcards
//   - PRESIGN_TTL / PRESIGN_MAX_TTL (default 15m / 1h): Go durations; the max is at most 7 days
//     (OSS's limit)
//   - MAX_UPLOAD_BYTES (default 5GiB): bound for one object on every single-object route (bytes, or
//     KiB/MiB/GiB/KB/MB/GB): contentLength, maxBytes, and direct uploads; at most 5 GiB, OSS's
//     single-PUT limit. Below 5 GiB, presigns must pin contentLength (an unpinned presigned PUT
//     takes up to 5 GiB)
//   - MAX_DIRECT_UPLOAD_BYTES (default 5MiB): at most 20 MiB: base64 in FC's event, it must stay
//     well under FC's 32 MB request limit
//   - JWT_HS256_SECRET (default none): at least 32 bytes
//   - JWT_PUBLIC_KEY (default none): PEM (RSA, EC or Ed25519); a one-line value with literal \n is
//     accepted
//   - JWT_JWKS_URL / JWT_JWKS (default none): JWKS by URL (fetched at cold start with a 3 s
//     timeout, cached, refreshed hourly, unknown "kid" refetch at most once per 5 min) or inline
//     JSON (no network)
//   - JWT_ISSUER, JWT_AUDIENCE (default none): checked when set
//   - JWT_LEEWAY (default 30s): clock skew, at most 5m
//   - ALLOWED_ORIGINS (default none): CORS allowlist of exact origins (https://app.example.com), or
//     "*"
//   - LOG_LEVEL (default "info"): JSON logs (log/slog) to stdout, which FC ships to SLS
//   - ALLOW_DOWNLOADS (default "false"): "true" turns on "POST /v1/presign-get" (and
//     -print-ram-policy then adds oss:GetObject on the prefix)
//   - REQUIRE_SCOPES (default "false"): "true": check the token's scopes ("upload",
//     upload:overwrite, "download"; see Scopes)
//   - JWT_SCOPE_CLAIM (default "scope"): the claim scopes are read from: a space-separated string
//     or an array ("scp" is read when "scope" is absent)
//   - MULTIPART_HANDLE_SECRET (default derived): at least 32 bytes; the secret the keys of
//     multipart handles and of upload callback tickets are derived from (each under its own label).
//     Unset: OSS_ACCESS_KEY_SECRET, else JWT_HS256_SECRET; with neither (STS credentials and a
//     public-key JWT source), multipart is off (startup logs the WARN line "FEATURE DISABLED:
//     multipart") and PUBLIC_BASE_URL is a startup error
//   - MULTIPART_TTL (default 24h): how long a multipart handle works; 1m to 7 days
//   - MAX_MULTIPART_BYTES (default 50000GiB): bound for a multipart object ("size", and the parts
//     at complete); at most OSS's 10000 parts of 5 GiB
//   - WEBHOOK_SOURCES (default none): webhook senders, comma list of name:scheme:WEBHOOK_SECRET_<n>
//     (see Webhooks); unset: every delivery gets 401
//   - WEBHOOK_SECRET_1 … WEBHOOK_SECRET_4 (default none): the webhook secrets, one slot per sender;
//     fixed names, because FC passes a function only the variables s.yaml lists
//   - WEBHOOK_TOLERANCE (default 5m): how far a signed webhook timestamp may be from now, either
//     way; 1s to 1h
//   - PUBLIC_BASE_URL (default none): the function's public URL (custom domain or HTTP trigger URL,
//     http(s)://host[/path]). Set: presigned PUTs and forms carry an OSS upload callback to
//     <PUBLIC_BASE_URL>/v1/callbacks/oss, and every upload is inspected (see Upload callbacks and
//     inspection); -print-ram-policy then adds oss:GetObject and the verdict's action on the
//     prefix. Unset: nothing of this runs
//   - REJECTED_UPLOADS (default "quarantine"): what happens to a rejected upload (active content
//     not declared and allowed as exactly its type, or a type outside ALLOWED_CONTENT_TYPES; see
//     package inspect): "quarantine" moves it to ossbroker-quarantine/, outside the upload prefix
//     (which must not cover that folder), where -print-bucket-lifecycle's rule expires it after
//     30 days; "delete" destroys it (opt-in); "tag" keeps it in place, tagged
//     ossbroker-verdict=rejected and ossbroker-reason=<code>, and presign-get refuses it
//   - NOTIFICATION_URL, NOTIFICATION_SECRET (default none; both or neither): the application's
//     endpoint (http(s)://, no userinfo) and its Standard Webhooks secret (whsec_ + base64 of 24-64
//     random bytes). Every verdict is POSTed there, signed (package notify; the OSS-triggered
//     inspector, package uploadevent); set them for both functions. While set, every upload carries
//     the uploader's "sub" as the pinned metadata x-oss-meta-ossbroker-sub. The inspector function
//     reads its variables with [LoadInspector], which reads no JWT variable
//   - OSS_CONNECT_TIMEOUT / OSS_REQUEST_TIMEOUT (default 3s / 20s): dial timeout and per-read/write
//     timeout towards OSS (two attempts at most); keep them inside the function's "timeout" (30 s
//     in s.yaml)
//   - GOGC / GOMEMLIMIT (default 400 / 70 % of FC_FUNCTION_MEMORY_SIZE): Go's own variables. With
//     neither set, the binary runs its garbage collector at GOGC 400 (the live heap is a few MiB,
//     so Go's default of 100 collects every few hundred requests) under a soft memory limit of 70 %
//     of the instance memory FC reports, so it collects harder when uploads in flight fill the
//     instance. Setting either one leaves both to Go
//
// Exactly one JWT key source must be set (JWT_HS256_SECRET, JWT_PUBLIC_KEY, JWT_JWKS_URL or
// JWT_JWKS). With a public key or a key set but no JWT_ISSUER or no JWT_AUDIENCE, the function
// starts and logs one "configuration warning" (JSON, level WARN) naming what is missing: an
// identity provider's keys sign tokens for every application it serves, and without those checks
// any of them is accepted. A configuration error never quotes more of a URL-valued variable
// (OSS_ENDPOINT, JWT_JWKS_URL, ALLOWED_ORIGINS) than its scheme and host: userinfo, path, query and
// fragment show as <redacted>, and a value that does not parse as a URL is not shown at all.
// OSS_ENDPOINT and ALLOWED_ORIGINS with a fragment or an empty "?" are refused like any other extra
// part.
package config
