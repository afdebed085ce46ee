package main

import (
	"fmt"
	"log/slog"

	"github.com/ossbroker/ossbroker/pkg/config"
	"github.com/ossbroker/ossbroker/pkg/uploadhandle"
)

// handleSealer builds the multipart handle sealer from the configured
// secret (config.Multipart.HandleSecret: MULTIPART_HANDLE_SECRET, else the
// OSS AccessKey secret, else JWT_HS256_SECRET). The key is derived, not
// random, so that every FC instance opens the handles every other one
// sealed. With no secret to derive from, multipart is off (the routes
// answer 501) and startup says so.
func handleSealer(cfg *config.Config, log *slog.Logger) (*uploadhandle.Sealer, error) {
	if cfg.Multipart.HandleSecret == nil {
		log.Warn("multipart uploads are disabled: set MULTIPART_HANDLE_SECRET (signing with the function role's STS credentials and a public-key JWT source leaves no secret to derive the handle key from)")
		return nil, nil
	}
	key, err := uploadhandle.DeriveKey(cfg.Multipart.HandleSecret)
	if err != nil {
		return nil, fmt.Errorf("multipart handle key (from %s): %w", cfg.Multipart.HandleSecretFrom, err)
	}
	log.Debug("multipart handle key derived", "from", cfg.Multipart.HandleSecretFrom)
	return uploadhandle.New(key)
}
