// Package idempotency holds the stored outcome of requests made with an
// Idempotency-Key (API.md section 1, Stripe's semantics): a retry with the
// same key and body replays the first response and does nothing else.
package idempotency

import (
	"bytes"
	"time"

	"github.com/secondbloom/marketplace/domain"
)

// MaxKeyLength is the longest accepted key, in bytes.
const MaxKeyLength = 255

// Retention is how long records are kept at least.
const Retention = 24 * time.Hour

// Errors of idempotent requests.
var (
	// ErrInvalidKey is returned for a key that is empty, longer than
	// MaxKeyLength or not printable ASCII.
	ErrInvalidKey = domain.Invalid("Idempotency-Key", "must be 1 to 255 printable ASCII characters")
	// ErrKeyInUse is returned while another request with the same key is
	// still running.
	ErrKeyInUse = domain.New(domain.KindConflict, domain.CodeIdempotencyKeyInUse, "a request with this Idempotency-Key is still in progress")
	// ErrKeyReused is returned when the key was used before with another
	// request body.
	ErrKeyReused = domain.New(domain.KindUnprocessable, domain.CodeIdempotencyKeyReused, "this Idempotency-Key was used with a different request")
	// ErrNotFound is returned by repositories when no record has the key.
	ErrNotFound = domain.New(domain.KindNotFound, domain.CodeNotFound, "no idempotency record")
)

// ValidKey reports whether k is 1..255 printable ASCII characters (0x20 to
// 0x7e).
func ValidKey(k string) bool {
	if len(k) == 0 || len(k) > MaxKeyLength {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// Scope names a key: keys are per user and per route, so two users (or one
// user on two routes) never collide.
type Scope struct {
	UserID string
	Route  string
	Key    string
}

// String returns the scope as one string, for lock names and map keys. The
// NUL separators cannot occur in any part.
func (s Scope) String() string { return s.UserID + "\x00" + s.Route + "\x00" + s.Key }

// Record is the stored outcome of the first request with a key: its
// fingerprint (a hash of the request's meaning) and the response to replay,
// byte for byte.
type Record struct {
	Scope       Scope
	Fingerprint []byte
	Status      int
	Body        []byte
	CreatedAt   time.Time
}

// Matches reports whether a request with fingerprint fp is the same request
// as the recorded one.
func (r Record) Matches(fp []byte) bool { return bytes.Equal(r.Fingerprint, fp) }
