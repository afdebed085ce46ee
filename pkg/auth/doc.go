// Package auth authenticates callers by a JWT in "Authorization: Bearer".
//
// It wraps github.com/golang-jwt/jwt/v5 (and keyfunc/v3 for JWKS) and adds
// what that library leaves to its callers :
//
//   - Size and shape first. A token over 8 KiB, or one that is not three
//     non-empty base64url segments without padding or whitespace, is refused
//     before any decoding: parse cost grows with the header, and Go's base64
//     decoder silently skips CR/LF, which would make one token have many
//     spellings.
//   - The algorithm list comes from the key, never from the token: HS256 for
//     a secret, RS*/PS* for an RSA key, the one ES* matching an EC key's
//     curve, EdDSA for Ed25519, and only asymmetric algorithms for a JWKS.
//     The keyfunc also checks that the key's type fits t.Method, so a public
//     key can never be used as an HMAC secret (algorithm confusion).
//   - A "crit" header is always refused: RFC 7515 §4.1.11 requires a
//     verifier to reject extensions it does not understand, and golang-jwt
//     ignores crit, so accepting it would accept tokens whose issuer meant
//     them to be refused by us.
//   - "typ" must be absent, "JWT" or "at+jwt" (case-insensitive), so that
//     other JOSE objects signed by the same key are not taken for access
//     tokens (RFC 8725 §3.11).
//   - "jku", "x5u" and "jwk" headers are ignored and never fetched: keys come
//     only from the configuration (RFC 8725 §3.10).
//   - The payload must decode without replacement: invalid UTF-8 or a \u
//     escape of an unpaired surrogate refuses the token, since
//     encoding/json would map many such claim values to one U+FFFD string.
//   - exp is required (RegisteredClaims, so "exp":0 is expired, not absent),
//     iat may not be in the future, sub must be a non-empty string, iss and
//     aud are checked when configured, and an HMAC secret must be at least
//     32 bytes.
//
// Every failure wraps [ErrUnauthorized]. Error texts name the class of the
// failure only; they never contain the token or any part of it (nor a kid or
// alg taken from it), so they are safe to log. The only thing this package
// logs (slog, warning) is a failed JWKS fetch.
//
// # Token rules
//
// Algorithms come from the key type (HS256 only for the secret; RS/PS for RSA ≥ 2048 bits, ES for
// the matching curve, EdDSA; a JWKS never allows HS*). "exp" is required, "iss"/"aud" are checked
// when configured, leeway is JWT_LEEWAY (≤ 5 m). The token's shape is checked (three base64url
// parts, ≤ 8 KiB) before any parsing. A JWKS URL is fetched with a 3 s timeout, capped at 1 MiB,
// refreshed hourly, and an unknown "kid" triggers at most one refetch per 5 minutes. A JWK verifies
// a token only if its "use" is absent or "sig", its key_ops absent or holding "verify", its "alg"
// absent or the token's, and its key fits the algorithm: one rule whether the token names a "kid"
// or not (a token without "kid" is tried against every key that passes it). A JWKS in which no key
// passes refuses to start. The payload must decode without replacement: invalid UTF-8 or a \u
// escape of an unpaired surrogate anywhere in it is a 401.
package auth
