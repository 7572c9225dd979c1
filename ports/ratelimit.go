package ports

//go:generate go tool mockgen -source=ratelimit.go -destination=../mocks/ratelimit.go -package=mocks

import (
	"context"
	"time"
)

// RateLimiter counts events per key in fixed windows. Every instance that
// shares a store shares the counts, so N servers behind a load balancer
// allow a key its limit once, not N times.
type RateLimiter interface {
	// Allow counts one event for key and reports whether it is within limit
	// events per window. A key's window starts at its first event; once it
	// is used up, Allow returns false and retryAfter, the time until the
	// window ends (always positive), until then. Concurrent calls never
	// allow more than limit events of one window. It returns an error
	// wrapping domain.ErrUnavailable when the store does not answer.
	Allow(ctx context.Context, key string, limit int, window time.Duration) (ok bool, retryAfter time.Duration, err error)
}
