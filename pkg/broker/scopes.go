package broker

import (
	"net/http"
	"slices"

	"github.com/ossbroker/ossbroker/pkg/auth"
)

// The scopes the broker checks when Config.RequireScopes is on (the OAuth 2.0 conventions:
// a space-separated "scope" string, or an array such as "scp" or
// "permissions").
const (
	// ScopeUpload: presign (single and batch), direct uploads, multipart
	// and POST forms.
	ScopeUpload = "upload"
	// ScopeOverwrite: any upload that may replace an existing object
	// (overwrite=true). It implies [ScopeUpload]: an overwrite of a missing
	// key creates it anyway.
	ScopeOverwrite = "upload:overwrite"
	// ScopeDownload: presigned GET URLs.
	ScopeDownload = "download"
)

// DefaultScopeClaim is the claim scopes are read from when
// Config.ScopeClaim is empty; "scp" is used when "scope" is absent.
const DefaultScopeClaim = "scope"

// requireScope checks that p holds scope, when scopes are required. A
// missing scope is 403 insufficient_scope with RFC 6750's challenge naming
// the scope needed.
func (b *Broker) requireScope(p auth.Principal, scope string) *apiError {
	if !b.cfg.RequireScopes {
		return nil
	}
	claim := b.cfg.ScopeClaim
	if claim == "" {
		claim = DefaultScopeClaim
	}
	have := p.Scopes(claim)
	if slices.Contains(have, scope) || scope == ScopeUpload && slices.Contains(have, ScopeOverwrite) {
		return nil
	}
	return &apiError{
		status:    http.StatusForbidden,
		code:      "insufficient_scope",
		message:   "the token lacks the " + quote(scope) + " scope this request needs",
		challenge: `Bearer error="insufficient_scope", scope="` + scope + `"`,
	}
}

// requireUploadScope checks the scope an upload needs: [ScopeOverwrite] when
// it may replace an object, else [ScopeUpload].
func (b *Broker) requireUploadScope(p auth.Principal, overwrite bool) *apiError {
	if overwrite {
		return b.requireScope(p, ScopeOverwrite)
	}
	return b.requireScope(p, ScopeUpload)
}
