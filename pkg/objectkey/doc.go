// Package objectkey is the single place that says yes or no to an OSS object
// key a caller asks for, and the place that picks a name when the caller only
// names a folder.
//
// It works on the already percent-decoded key. The rules are stricter than
// OSS itself (which stores any UTF-8 name up to 1023 bytes), because keys
// also reach browsers, logs, RAM policies, sync tools and file systems that
// interpret them:
//
//   - 1..1023 bytes of valid UTF-8 (Go's decoder also refuses overlong forms
//     such as "\xc0\xaf" and encoded surrogates).
//   - No control or invisible format characters, decided from the Unicode
//     tables rather than a list: general categories Cc (C0, DEL, C1), Zl and
//     Zp (U+2028, U+2029) and Cf (format: the bidi controls behind "Trojan
//     Source" spoofing, zero-width spaces and joiners, the byte order mark,
//     soft hyphen, tag characters, ...). Cf is refused everywhere rather than
//     only next to "." or "/": its characters are invisible, so a key holding
//     one shows as another key, and tools that drop default-ignorable
//     characters (NFKC_Casefold, IDNA) would delete them. The one exception
//     is U+200C ZERO WIDTH NON-JOINER and U+200D ZERO WIDTH JOINER, which
//     Persian and Indic writing and emoji sequences need: they are allowed
//     only between two characters that are neither "." nor "/".
//   - No U+FFFD REPLACEMENT CHARACTER: it is what a lossy decoder writes for
//     input it could not decode (a JSON decoder, an HTTP front end), so a key
//     holding it may stand for many different keys.
//   - No "\" anywhere, no leading "/", no empty segment ("//"), no "." or
//     ".." segment, and no segment that is empty, "." or ".." once its
//     default-ignorable code points (invisible: variation selectors, the
//     combining grapheme joiner, Hangul fillers, ...) are removed. Only the
//     last segment may be empty: a key ending in "/" names a folder.
//   - No look-alike dots and slashes. Every character whose compatibility
//     normalization (NFKC) holds ".", "/" or "\", or a character refused
//     here, is refused: the full-width "．" U+FF0E and "／" U+FF0F, the
//     one/two-dot leaders U+2024/U+2025, the ellipsis U+2026, "⒈" (NFKC
//     "1."), "℅" ("c/o"), "½" ("1⁄2", with the fraction slash), ... That set
//     comes from golang.org/x/text/unicode/norm (nfkc_table.go, generated and
//     checked over every code point by TestNFKCTable); NFKC of a whole key
//     then adds no ".", "/" or "\" and no refused character (canonical
//     composition never produces them). Some look-alikes that NFKC leaves
//     alone are refused too: "∕" U+2215, "⁄" U+2044, the combining solidus
//     overlays U+0337/U+0338, "⧸" U+29F8, U+1735 and the reverse-solidus
//     look-alikes U+2216, U+29F5, U+29F9. All are rejected, never
//     normalized: what looks like "../" must not become it later.
//
// The prefix check comes after these rules (so a bad key is [ErrInvalid] even
// when it is also outside the prefix), is byte-exact and case-sensitive, and
// always ends on a "/" boundary: "exampledir/" never admits "exampledir2/x"
// or "exampledir".
//
// A prefix template may name claims of the caller, e.g. "exampledir/{sub}/".
// A claim that is missing or is not a safe single segment makes every key
// [ErrOutsidePrefix]: a claim value is never allowed to become a path.
//
// "%" is allowed: the key is already decoded once, and OSS stores it
// literally.
//
// # Key rules
//
// Key rules (pkg/objectkey, the one gate for every route; a claim used in UPLOAD_PREFIX must pass
// them as a single segment). A key is 1 to 1023 bytes of valid UTF-8, with no leading "/", no "\",
// no empty, "." or ".." segment (only the last segment may be empty: a folder), and none of these
// characters, decided from Unicode's data rather than a list: categories Cc (controls), Zl, Zp and
// Cf (format: bidi controls, zero-width spaces, soft hyphen, tag characters, the BOM;
// U+200C/U+200D, which Persian, Indic scripts and emoji sequences need, only between two characters
// that are neither "." nor "/"); U+FFFD (what a lossy decoder writes, so it may stand for many
// keys); any character whose NFKC form holds ".", "/", "\" or another refused character ("．", "／",
// "‥", "⒈" → 1., "℅" → c/o, "½" → 1⁄2; the set is generated from golang.org/x/text/unicode/norm and
// checked over every code point by the tests); and the slash look-alikes NFKC keeps ("∕" U+2215,
// "⁄" U+2044, the combining overlays U+0337/U+0338, ...). A segment that is empty, "." or ".." once
// its invisible (default-ignorable) characters are removed is refused too. So NFKC, or NFKC with
// those characters dropped, never turns an accepted key into one with another "/", "." or "\", or a
// dot segment. Cf is refused everywhere rather than only next to "." and "/" because its characters
// are invisible: a key holding one shows as another key.
package objectkey
