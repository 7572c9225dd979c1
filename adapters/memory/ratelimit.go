package memory

import (
	"context"
	"sync"
	"time"

	"github.com/secondbloom/marketplace/ports"
)

var _ ports.RateLimiter = (*RateLimiter)(nil)

// RateLimiter counts events per key in fixed windows in process memory; it
// is shared only by the servers of one process. The zero value is not
// usable; call NewRateLimiter.
type RateLimiter struct {
	mu      sync.Mutex
	now     func() time.Time
	windows map[string]rateWindow
	swept   time.Time
}

type rateWindow struct {
	end time.Time
	n   int
}

// NewRateLimiter returns a rate limiter with no counts.
func NewRateLimiter() *RateLimiter {
	return &RateLimiter{now: time.Now, windows: map[string]rateWindow{}}
}

// rateSweepInterval is how often ended windows are dropped, so keys seen
// once do not stay forever.
const rateSweepInterval = time.Minute

// Allow implements ports.RateLimiter.
func (l *RateLimiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return false, 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.swept) >= rateSweepInterval {
		for k, w := range l.windows {
			if !now.Before(w.end) {
				delete(l.windows, k)
			}
		}
		l.swept = now
	}
	w, ok := l.windows[key]
	if !ok || !now.Before(w.end) {
		w = rateWindow{end: now.Add(window)}
	}
	if w.n >= limit {
		return false, w.end.Sub(now), nil
	}
	w.n++
	l.windows[key] = w
	return true, 0, nil
}
