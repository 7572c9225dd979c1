package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/secondbloom/marketplace/ports"
)

var _ ports.RateLimiter = (*RateLimiter)(nil)

// RateLimiter counts events per key in the rate_limits table, so every
// instance on one database shares the counts. Time is the database's, so
// instances whose clocks drift still agree on when a window ends.
type RateLimiter struct {
	store *Store

	mu     sync.Mutex
	pruned time.Time
}

// NewRateLimiter returns a rate limiter on s.
func NewRateLimiter(s *Store) *RateLimiter { return &RateLimiter{store: s} }

// rateLimitPruneInterval is how often one instance deletes ended windows.
const rateLimitPruneInterval = time.Minute

// allowQuery counts one event in a single atomic statement: the row lock
// of ON CONFLICT DO UPDATE queues concurrent callers of one key, and each
// sees the count the previous one left. An ended window restarts at 1;
// the count of a used-up window stops at limit+1, so it cannot overflow.
const allowQuery = `
INSERT INTO rate_limits AS r (key, count, window_end)
VALUES (?0, 1, now() + ?1 * interval '1 microsecond')
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN r.window_end <= now() THEN 1 ELSE LEAST(r.count, ?2) + 1 END,
    window_end = CASE WHEN r.window_end <= now() THEN excluded.window_end ELSE r.window_end END
RETURNING count, (EXTRACT(EPOCH FROM (window_end - now())) * 1000000)::bigint`

// Allow implements ports.RateLimiter.
func (l *RateLimiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error) {
	var count int
	var leftMicros int64
	err := l.store.db.QueryRowContext(ctx, allowQuery, key, window.Microseconds(), limit).Scan(&count, &leftMicros)
	if err != nil {
		return false, 0, translate(err)
	}
	l.prune(ctx)
	if count <= limit {
		return true, 0, nil
	}
	retry := time.Duration(leftMicros) * time.Microsecond
	if retry <= 0 {
		// The window ended between the statement and now.
		retry = time.Microsecond
	}
	return false, retry, nil
}

// prune deletes ended windows at most once per rateLimitPruneInterval per
// instance. A failure is left for the next interval: stale rows cost space,
// never a wrong answer, since Allow restarts ended windows itself.
func (l *RateLimiter) prune(ctx context.Context) {
	l.mu.Lock()
	now := time.Now()
	due := now.Sub(l.pruned) >= rateLimitPruneInterval
	if due {
		l.pruned = now
	}
	l.mu.Unlock()
	if due {
		_, _ = l.store.db.ExecContext(ctx, `DELETE FROM rate_limits WHERE window_end < now()`)
	}
}
