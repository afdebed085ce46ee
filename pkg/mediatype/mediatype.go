// Package mediatype decides whether a Content-Type is allowed: the
// ALLOWED_CONTENT_TYPES list, with "type/*" wildcards.
//
// A wildcard (and the empty list, which allows any type) never admits an
// active type (see [Active]): an active type is allowed only when the list
// names it exactly, so "image/*" admits image/png but not image/svg+xml.
//
// Matching is on the media type alone ("image/png; charset=x" is
// "image/png"), case-insensitive, because OSS stores and signs the whole
// header but its meaning is the media type.
package mediatype

import (
	"fmt"
	"mime"
	"strings"
)

// Allowlist is a parsed ALLOWED_CONTENT_TYPES value. The zero value allows
// every well-formed media type that is not [Active].
type Allowlist struct {
	exact     map[string]bool
	wildcards []string // "image/" for "image/*"
}

// ParseAllowlist parses a comma-separated list such as
// "image/*,application/pdf". An empty list or "*" or "*/*" allows any type.
func ParseAllowlist(list string) (Allowlist, error) {
	var a Allowlist
	for _, item := range strings.Split(list, ",") {
		item = strings.ToLower(strings.TrimSpace(item))
		switch {
		case item == "":
			continue
		case item == "*" || item == "*/*":
			return Allowlist{}, nil
		case strings.HasSuffix(item, "/*"):
			typ := strings.TrimSuffix(item, "/*")
			if !isToken(typ) {
				return Allowlist{}, fmt.Errorf("%q is not a media type or a type/* wildcard", item)
			}
			a.wildcards = append(a.wildcards, typ+"/")
		default:
			mt, err := Parse(item)
			if err != nil || strings.Contains(item, ";") {
				return Allowlist{}, fmt.Errorf("%q is not a media type or a type/* wildcard", item)
			}
			if a.exact == nil {
				a.exact = make(map[string]bool)
			}
			a.exact[mt] = true
		}
	}
	return a, nil
}

// Any reports whether the list allows every type.
func (a Allowlist) Any() bool { return a.exact == nil && a.wildcards == nil }

// Allows reports whether contentType is well formed and allowed.
func (a Allowlist) Allows(contentType string) bool {
	mt, err := Parse(contentType)
	if err != nil {
		return false
	}
	if a.exact[mt] {
		return true
	}
	if Active(mt) {
		return false
	}
	if a.Any() {
		return true
	}
	for _, w := range a.wildcards {
		if strings.HasPrefix(mt, w) {
			return true
		}
	}
	return false
}

// Active reports whether mt, a lower-case media type without parameters,
// is content that a browser runs or renders as a page of the origin that
// serves it, or that an operating system runs when it is opened: HTML,
// XHTML, SVG and every XML type (type/xml or type/...+xml), JavaScript,
// executables and libraries (ELF, PE, Mach-O), installers (MSI), shortcuts,
// compiled help, Flash, Java archives and classes, and scripts with an
// interpreter (shell, Python, Perl, PHP, Ruby, Lua, Tcl, batch).
//
// PDF is not active here: browsers show it in a viewer without the serving
// origin's scripts, and whether a PDF carries JavaScript is not visible in
// its first bytes. PostScript and office documents with macros are not
// either: their viewers ask before they run anything.
func Active(mt string) bool {
	if active[mt] {
		return true
	}
	_, sub, _ := strings.Cut(mt, "/")
	return sub == "xml" || strings.HasSuffix(sub, "+xml")
}

// ActiveName reports whether a file called name (an object key) is one a
// browser or an operating system runs by its extension alone, whatever its
// bytes: a page (.html, .svg, .xml), a script for the system's interpreters
// (.js, .vbs, .bat, .ps1, .sh, .py...), an executable, library, installer
// or shortcut. Detection cannot see that a text file is JavaScript; the
// name says what opening it does.
func ActiveName(name string) bool {
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 || strings.IndexByte(name[dot:], '/') >= 0 {
		return false
	}
	return activeExt[strings.ToLower(name[dot+1:])]
}

var activeExt = map[string]bool{}

func init() {
	for _, e := range strings.Fields(`html htm shtml xhtml xht mht mhtml svg svgz xml xsl xslt rss atom
		js mjs cjs jse vbs vbe wsf wsh hta ps1 psm1 psd1 bat cmd com exe scr pif cpl dll sys ocx msi msp
		msix appx appxbundle lnk url reg inf jar class jnlp sh bash zsh csh ksh command tool py pyw pyc pl
		php phtml rb lua tcl desktop appimage run swf chm xbap application gadget dylib so dmg pkg
		scpt workflow ws`) {
		activeExt[e] = true
	}
}

// active lists the active types that are not XML, with the aliases
// browsers, operating systems and github.com/gabriel-vasile/mimetype use.
var active = map[string]bool{
	"text/html": true, "text/javascript": true, "application/javascript": true,
	"application/x-javascript": true, "application/ecmascript": true, "text/ecmascript": true,
	"text/jscript": true, "text/x-component": true, "application/hta": true,
	"application/x-shockwave-flash": true, "application/vnd.adobe.flash-movie": true,
	"application/x-elf": true, "application/x-executable": true, "application/x-sharedlib": true,
	"application/x-object": true, "application/x-coredump": true, "application/x-pie-executable": true,
	"application/vnd.microsoft.portable-executable": true, "application/x-msdownload": true,
	"application/x-dosexec": true, "application/x-msdos-program": true, "application/x-ms-dos-executable": true,
	"application/x-mach-binary": true, "application/x-mach-o-executable": true,
	"application/x-ms-installer": true, "application/x-msi": true, "application/x-windows-installer": true,
	"application/x-ms-shortcut": true, "application/vnd.ms-htmlhelp": true,
	"application/java-archive": true, "application/x-java-archive": true, "application/jar": true,
	"application/jar-archive": true, "application/x-java-applet": true, "application/java-vm": true,
	"text/x-shellscript": true, "text/x-sh": true, "application/x-sh": true, "application/x-shellscript": true,
	"application/x-csh": true, "text/x-python": true, "application/x-python": true,
	"text/x-script.python": true, "application/x-python-code": true, "application/x-bytecode.python": true,
	"text/x-perl": true, "application/x-perl": true, "text/x-php": true, "application/x-httpd-php": true,
	"application/x-php": true, "text/x-ruby": true, "application/x-ruby": true, "text/x-lua": true,
	"text/x-tcl": true, "application/x-tcl": true, "application/x-bat": true, "text/x-msdos-batch": true,
	"application/x-apple-diskimage": true, "application/bat": true, "application/x-ms-application": true,
	"text/vbscript": true, "application/x-powershell": true,
	// XML types without the +xml suffix (the detector takes them for XML).
	"text/rss": true, "application/x-amf": true, "application/vnd.adobe.xfdf": true,
}

// String lists the allowed types as configured, for error messages.
func (a Allowlist) String() string {
	if a.Any() {
		return "*/*"
	}
	var parts []string
	for _, w := range a.wildcards {
		parts = append(parts, w+"*")
	}
	for t := range a.exact {
		parts = append(parts, t)
	}
	return strings.Join(parts, ", ")
}

// Parse returns the lower-case media type of a Content-Type header value,
// or an error when the value is not a well-formed type/subtype.
//
// The whole value, parameters included, must be printable ASCII (0x20 to
// 0x7E) without leading or trailing spaces: it is signed and sent as a
// header, byte for byte, and [mime.ParseMediaType] alone takes control bytes
// (CR, LF, NUL) inside quoted parameters and around the value, which no
// HTTP client can send and which would split a header. RFC 9110 also
// allows HTAB and obs-text (0x80-0xFF) in field values; they are refused
// too, because browsers' fetch and proxies treat them differently.
func Parse(contentType string) (string, error) {
	if len(contentType) > MaxBytes {
		return "", fmt.Errorf("content type longer than %d bytes", MaxBytes)
	}
	if err := CheckHeaderValue(contentType); err != nil {
		return "", fmt.Errorf("content type %w", err)
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "", fmt.Errorf("malformed content type: %w", err)
	}
	typ, sub, ok := strings.Cut(mt, "/")
	if !ok || !isToken(typ) || !isToken(sub) {
		return "", fmt.Errorf("content type %q is not type/subtype", mt)
	}
	return mt, nil
}

// MaxBytes bounds a Content-Type value.
const MaxBytes = 256

// CheckHeaderValue reports why v cannot be sent and signed as a header
// value exactly as given: a byte outside printable ASCII (control bytes,
// DEL, HTAB, non-ASCII), or a leading or trailing space, which clients
// strip before sending. The error names the first offending byte's
// position, never the value.
func CheckHeaderValue(v string) error {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e {
			return fmt.Errorf("has a byte outside printable ASCII (0x%02X) at offset %d", c, i)
		}
	}
	if v != "" && (v[0] == ' ' || v[len(v)-1] == ' ') {
		return fmt.Errorf("has a leading or trailing space")
	}
	return nil
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}*`, c) >= 0 {
			return false
		}
	}
	return true
}
