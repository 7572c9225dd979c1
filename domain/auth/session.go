package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"github.com/secondbloom/marketplace/domain"
)

// Session rules of API.md section 3.
const (
	AccessTokenTTL  = 15 * time.Minute
	SessionTTL      = 30 * 24 * time.Hour
	RefreshReuseGap = 10 * time.Second
)

// Errors of sessions and tokens. All of them are 401 UNAUTHORIZED to a
// client; they differ only for logs and tests.
var (
	ErrUnauthenticated = domain.New(domain.KindUnauthenticated, domain.CodeUnauthorized, "authentication required")
	ErrSessionEnded    = domain.New(domain.KindUnauthenticated, domain.CodeUnauthorized, "session expired or revoked")
	ErrRefreshReused   = domain.New(domain.KindUnauthenticated, domain.CodeUnauthorized, "refresh token already used")
	ErrSessionNotFound = domain.New(domain.KindUnauthenticated, domain.CodeUnauthorized, "invalid token")
)

// RefreshToken is an opaque refresh token in clear, as handed to a client.
type RefreshToken string

// NewRefreshToken returns 256 random bits, base64url encoded.
func NewRefreshToken() (RefreshToken, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return RefreshToken(base64.RawURLEncoding.EncodeToString(b)), nil
}

// Hash returns the SHA-256 of the token, the only form that is stored. The
// token carries 256 random bits, so a plain hash cannot be brute-forced.
func (t RefreshToken) Hash() []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

// Session ties access and refresh tokens to a user. A session can be
// revoked (logout, refresh-token reuse); access tokens of a revoked session
// stop working at once.
type Session struct {
	id          string
	userID      string
	refreshHash []byte
	rotatedAt   time.Time
	createdAt   time.Time
	expiresAt   time.Time
	revokedAt   *time.Time
}

// NewSession starts a session for userID whose first refresh token hashes to
// refreshHash.
func NewSession(id, userID string, refreshHash []byte, now time.Time) *Session {
	now = now.UTC()
	return &Session{id: id, userID: userID, refreshHash: refreshHash, rotatedAt: now, createdAt: now, expiresAt: now.Add(SessionTTL)}
}

// RehydrateSession rebuilds a stored session. Only storage adapters call it.
func RehydrateSession(id, userID string, refreshHash []byte, rotatedAt, createdAt, expiresAt time.Time, revokedAt *time.Time) *Session {
	return &Session{id: id, userID: userID, refreshHash: refreshHash, rotatedAt: rotatedAt.UTC(), createdAt: createdAt.UTC(), expiresAt: expiresAt.UTC(), revokedAt: revokedAt}
}

// ID returns the session id (the "sid" of access tokens).
func (s *Session) ID() string { return s.id }

// UserID returns the owner of the session.
func (s *Session) UserID() string { return s.userID }

// RefreshHash returns the hash of the current refresh token.
func (s *Session) RefreshHash() []byte { return s.refreshHash }

// RotatedAt returns when the current refresh token was issued.
func (s *Session) RotatedAt() time.Time { return s.rotatedAt }

// CreatedAt returns when the session started.
func (s *Session) CreatedAt() time.Time { return s.createdAt }

// ExpiresAt returns when the session ends on its own.
func (s *Session) ExpiresAt() time.Time { return s.expiresAt }

// RevokedAt returns when the session was revoked, or nil.
func (s *Session) RevokedAt() *time.Time { return s.revokedAt }

// Active reports whether the session is neither revoked nor expired at now.
// It returns ErrSessionEnded otherwise.
func (s *Session) Active(now time.Time) error {
	if s.revokedAt != nil || !now.Before(s.expiresAt) {
		return ErrSessionEnded
	}
	return nil
}

// Revoke ends the session; revoking twice keeps the first time.
func (s *Session) Revoke(now time.Time) {
	if s.revokedAt == nil {
		t := now.UTC()
		s.revokedAt = &t
	}
}

// Refresh rotates the refresh token. presented is the hash the client sent;
// retiredAt is when that token was rotated out if it is an old token of this
// session (nil when it was current as far as the caller knew).
//
// The current token rotates to newHash. An old token is refused with
// ErrRefreshReused; if it was retired more than RefreshReuseGap ago it also
// revokes the session, because only a copy of the token can be that late.
// The caller must store the session whatever Refresh returns.
func (s *Session) Refresh(presented []byte, retiredAt *time.Time, newHash []byte, now time.Time) error {
	if err := s.Active(now); err != nil {
		return err
	}
	if bytes.Equal(presented, s.refreshHash) {
		s.refreshHash = newHash
		s.rotatedAt = now.UTC()
		return nil
	}
	if retiredAt != nil && now.Sub(*retiredAt) > RefreshReuseGap {
		s.Revoke(now)
	}
	return ErrRefreshReused
}
