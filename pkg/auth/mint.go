package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MintHS256 signs a token for local development: extra claims, then sub,
// iat (now) and exp (now+ttl), which extra cannot override.
func MintHS256(secret []byte, sub string, ttl time.Duration, extra map[string]any) (string, error) {
	if len(secret) < MinHS256SecretBytes {
		return "", fmt.Errorf("auth: HS256 secret is %d bytes; at least %d are required", len(secret), MinHS256SecretBytes)
	}
	if sub == "" {
		return "", errors.New("auth: empty subject")
	}
	if ttl <= 0 {
		return "", errors.New("auth: ttl must be positive")
	}
	claims := jwt.MapClaims{}
	for k, v := range extra {
		claims[k] = v
	}
	now := time.Now()
	claims["sub"] = sub
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(ttl).Unix()
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
}
