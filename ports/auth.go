package ports

//go:generate go tool mockgen -source=auth.go -destination=../mocks/auth.go -package=mocks

import (
	"context"
	"time"

	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/user"
)

// UserRepository stores users.
type UserRepository interface {
	// Get returns the user with id, or user.ErrNotFound.
	Get(ctx context.Context, id string) (*user.User, error)
	// GetByPhone returns the user with phone p, or user.ErrNotFound.
	GetByPhone(ctx context.Context, p phone.Number) (*user.User, error)
	// Create stores a new user. It returns user.ErrPhoneTaken if a user with
	// the same phone exists.
	Create(ctx context.Context, u *user.User) error
	// Update loads the user with id under a lock, calls fn and stores the
	// result if fn returns nil. It returns user.ErrNotFound, or fn's error
	// unchanged (and stores nothing then).
	Update(ctx context.Context, id string, fn func(u *user.User) error) (*user.User, error)
	// List returns one page of the users f selects, newest first (by
	// createdAt, then id, both descending), and what the page says about
	// the list.
	List(ctx context.Context, f UserFilter, p Page) ([]*user.User, Listed, error)
	// LockActiveAdmins locks every ACTIVE admin until the transaction ends
	// and returns their ids. Two transactions that each change an admin's
	// role or status after calling it run one after the other, and the
	// second sees the first's result, so together they cannot remove the
	// last admin. Call it inside Transactor.WithinTx.
	LockActiveAdmins(ctx context.Context) ([]string, error)
}

// ChallengeRepository stores the one-time-code challenge of each phone.
type ChallengeRepository interface {
	// Update loads the challenge of p under a lock, starting from
	// auth.NewChallenge(p) if the phone has none, calls fn, and stores the
	// result if fn returns nil. fn's error is returned unchanged and nothing
	// is stored then. Concurrent Updates of one phone run one after another.
	Update(ctx context.Context, p phone.Number, fn func(c *auth.Challenge) error) error
}

// SessionRepository stores sessions and remembers the refresh tokens each
// session has rotated out.
type SessionRepository interface {
	// Create stores a new session.
	Create(ctx context.Context, s *auth.Session) error
	// Get returns the session with id, or auth.ErrSessionNotFound.
	Get(ctx context.Context, id string) (*auth.Session, error)
	// FindByRefreshHash returns the id of the session whose current or
	// retired refresh token hashes to hash, and when that token was retired
	// (nil if it is the current one). It returns auth.ErrSessionNotFound for
	// an unknown hash.
	FindByRefreshHash(ctx context.Context, hash []byte) (sessionID string, retiredAt *time.Time, err error)
	// Update loads the session with id under a lock, calls fn and stores the
	// result if fn returns nil. When fn rotated the refresh token, the old
	// hash is remembered as retired at the session's RotatedAt. It returns
	// auth.ErrSessionNotFound, or fn's error unchanged.
	Update(ctx context.Context, id string, fn func(s *auth.Session) error) (*auth.Session, error)
	// RevokeAll revokes every session of the user at now, for good.
	RevokeAll(ctx context.Context, userID string, now time.Time) error
}

// SMSSender delivers one-time codes.
type SMSSender interface {
	// SendCode delivers code to phone p. It returns an error wrapping
	// domain.ErrUnavailable when the provider cannot be reached.
	SendCode(ctx context.Context, p phone.Number, code auth.Code) error
}

// AccessClaims are what an access token asserts.
type AccessClaims struct {
	UserID    string
	SessionID string
	ExpiresAt time.Time
}

// TokenIssuer signs and checks access tokens.
type TokenIssuer interface {
	// Issue returns a signed access token for c, valid until c.ExpiresAt.
	Issue(c AccessClaims) (string, error)
	// Verify checks the token's signature, algorithm, issuer, audience and
	// expiry at now and returns its claims, or auth.ErrUnauthenticated.
	Verify(token string, now time.Time) (AccessClaims, error)
}
