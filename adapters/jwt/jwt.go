// Package jwt signs and verifies access tokens as HS256 JSON Web Tokens
// with golang-jwt.
package jwt

import (
	"errors"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/ports"
)

var _ ports.TokenIssuer = (*Issuer)(nil)

// The issuer and audience every token carries and every check demands.
const (
	IssuerName = "secondbloom"
	Audience   = "secondbloom-api"
	minSecret  = 32
)

// Issuer signs tokens with one HMAC secret.
type Issuer struct{ secret []byte }

type claims struct {
	SessionID string `json:"sid"`
	gojwt.RegisteredClaims
}

// New returns an Issuer, or an error if secret is shorter than 32 bytes.
func New(secret []byte) (*Issuer, error) {
	if len(secret) < minSecret {
		return nil, errors.New("jwt: secret must be at least 32 bytes")
	}
	return &Issuer{secret: secret}, nil
}

// Issue returns a signed token for c.
func (i *Issuer) Issue(c ports.AccessClaims) (string, error) {
	now := c.ExpiresAt.Add(-auth.AccessTokenTTL)
	t := gojwt.NewWithClaims(gojwt.SigningMethodHS256, claims{
		SessionID: c.SessionID,
		RegisteredClaims: gojwt.RegisteredClaims{
			Issuer:    IssuerName,
			Subject:   c.UserID,
			Audience:  gojwt.ClaimStrings{Audience},
			IssuedAt:  gojwt.NewNumericDate(now),
			ExpiresAt: gojwt.NewNumericDate(c.ExpiresAt),
		},
	})
	return t.SignedString(i.secret)
}

// Verify checks token at now and returns its claims, or
// auth.ErrUnauthenticated for any defect. Only HS256 is accepted, so a token
// claiming "none" or an asymmetric algorithm is refused.
func (i *Issuer) Verify(token string, now time.Time) (ports.AccessClaims, error) {
	var c claims
	_, err := gojwt.NewParser(
		gojwt.WithValidMethods([]string{gojwt.SigningMethodHS256.Alg()}),
		gojwt.WithIssuer(IssuerName),
		gojwt.WithAudience(Audience),
		gojwt.WithExpirationRequired(),
		gojwt.WithTimeFunc(func() time.Time { return now }),
	).ParseWithClaims(token, &c, func(*gojwt.Token) (any, error) { return i.secret, nil })
	if err != nil || c.Subject == "" || c.SessionID == "" || c.ExpiresAt == nil {
		return ports.AccessClaims{}, auth.ErrUnauthenticated
	}
	return ports.AccessClaims{UserID: c.Subject, SessionID: c.SessionID, ExpiresAt: c.ExpiresAt.Time}, nil
}
