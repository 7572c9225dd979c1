// Package auth holds the rules of phone sign-in: one-time-code challenges
// and the sessions that access and refresh tokens belong to.
//
// Secrets never enter this package in clear beyond the moment they are
// hashed: challenges keep a keyed hash of the code, sessions a hash of the
// refresh token.
package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"math/big"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/phone"
)

// The sign-in rules of API.md section 3.
const (
	CodeLength      = 6
	CodeTTL         = 5 * time.Minute
	MaxAttempts     = 5
	ResendCooldown  = 60 * time.Second
	MaxSendsPerHour = 5
	sendWindow      = time.Hour
)

// Errors of the one-time-code flow.
var (
	// ErrInvalidCode covers every code that does not sign in: wrong,
	// malformed, expired, already used, burned or never sent.
	ErrInvalidCode = domain.New(domain.KindUnauthenticated, domain.CodeInvalidOTP, "invalid or expired code")
	// ErrResendTooSoon is returned when a code was sent less than
	// ResendCooldown ago.
	ErrResendTooSoon = domain.New(domain.KindRateLimited, domain.CodeRateLimited, "a code was sent recently; wait before asking again")
	// ErrTooManySends is returned after MaxSendsPerHour sends in the last hour.
	ErrTooManySends = domain.New(domain.KindRateLimited, domain.CodeRateLimited, "too many codes sent to this number; try again later")
)

// Code is a one-time code in clear. It exists only between generation and
// delivery; never log or store it.
type Code string

// NewCode returns a uniformly random 6-digit code from crypto/rand.
func NewCode() (Code, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	s := n.String()
	for len(s) < CodeLength {
		s = "0" + s
	}
	return Code(s), nil
}

// ValidCodeFormat reports whether s has the shape of a code (6 ASCII
// digits). Callers verify a malformed code as a nil hash, so it counts as a
// wrong attempt like any other guess.
func ValidCodeFormat(s string) bool {
	if len(s) != CodeLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// HashCode returns the keyed hash (HMAC-SHA256) of code for phone p. The
// phone is part of the message so that equal codes of two phones differ.
func HashCode(key []byte, p phone.Number, code Code) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(p.String()))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return m.Sum(nil)
}

// Challenge is the sign-in state of one phone number: the current code's
// hash and life, the wrong attempts against it, and the recent sends that
// the resend limits count.
type Challenge struct {
	phone     phone.Number
	codeHash  []byte
	expiresAt time.Time
	attempts  int
	consumed  bool
	sends     []time.Time
}

// NewChallenge returns the empty challenge of a phone that never asked for a
// code.
func NewChallenge(p phone.Number) *Challenge { return &Challenge{phone: p, consumed: true} }

// RehydrateChallenge rebuilds a stored challenge. Only storage adapters call
// it.
func RehydrateChallenge(p phone.Number, codeHash []byte, expiresAt time.Time, attempts int, consumed bool, sends []time.Time) *Challenge {
	return &Challenge{phone: p, codeHash: codeHash, expiresAt: expiresAt.UTC(), attempts: attempts, consumed: consumed, sends: sends}
}

// Phone returns the challenge's phone.
func (c *Challenge) Phone() phone.Number { return c.phone }

// CodeHash returns the hash of the current code (nil before the first send).
func (c *Challenge) CodeHash() []byte { return c.codeHash }

// ExpiresAt returns when the current code stops working.
func (c *Challenge) ExpiresAt() time.Time { return c.expiresAt }

// Attempts returns the wrong attempts against the current code.
func (c *Challenge) Attempts() int { return c.attempts }

// Consumed reports whether the current code was used or burned.
func (c *Challenge) Consumed() bool { return c.consumed }

// Sends returns the send times within the last hour, oldest first.
func (c *Challenge) Sends() []time.Time { return c.sends }

// Issue replaces the current code with the one whose hash is given. It
// returns ErrResendTooSoon (with RetryAfterSeconds set) within the cooldown
// of the last send and ErrTooManySends after MaxSendsPerHour sends in the
// last hour; the challenge is unchanged then.
func (c *Challenge) Issue(codeHash []byte, now time.Time) error {
	recent := c.sends[:0:0]
	for _, t := range c.sends {
		if now.Sub(t) < sendWindow {
			recent = append(recent, t)
		}
	}
	if n := len(recent); n > 0 {
		if wait := recent[n-1].Add(ResendCooldown).Sub(now); wait > 0 {
			e := *ErrResendTooSoon
			e.RetryAfterSeconds = ceilSeconds(wait)
			return &e
		}
		if n >= MaxSendsPerHour {
			e := *ErrTooManySends
			e.RetryAfterSeconds = ceilSeconds(recent[0].Add(sendWindow).Sub(now))
			return &e
		}
	}
	c.sends = append(recent, now.UTC())
	c.codeHash = codeHash
	c.expiresAt = now.Add(CodeTTL).UTC()
	c.attempts = 0
	c.consumed = false
	return nil
}

// Verify checks codeHash against the current code. A match consumes the code.
// A mismatch counts an attempt and burns the code at MaxAttempts. Every
// failure returns ErrInvalidCode; the caller must store the challenge either
// way so attempts are remembered.
func (c *Challenge) Verify(codeHash []byte, now time.Time) error {
	if c.consumed || c.codeHash == nil || !now.Before(c.expiresAt) {
		return ErrInvalidCode
	}
	if !hmac.Equal(c.codeHash, codeHash) {
		c.attempts++
		if c.attempts >= MaxAttempts {
			c.consumed = true
		}
		return ErrInvalidCode
	}
	c.consumed = true
	return nil
}

func ceilSeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}
