package porttest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/ports"
)

// NewRateLimiter returns a rate limiter with no counts, for one test.
type NewRateLimiter func(t *testing.T) ports.RateLimiter

// RunRateLimiter checks a ports.RateLimiter: the limit per window, keys
// counted apart, a fresh window after the old one ends, and concurrent
// callers never allowed more than the limit.
func RunRateLimiter(t *testing.T, newLimiter NewRateLimiter) {
	ctx := context.Background()

	t.Run("LimitPerWindow", func(t *testing.T) {
		rl := newLimiter(t)
		for i := 1; i <= 3; i++ {
			if ok, _, err := rl.Allow(ctx, "ip:192.0.2.1", 3, time.Hour); err != nil || !ok {
				t.Fatalf("Allow #%d = %v, %v; want true, nil", i, ok, err)
			}
		}
		ok, retry, err := rl.Allow(ctx, "ip:192.0.2.1", 3, time.Hour)
		if err != nil || ok {
			t.Fatalf("Allow #4 = %v, %v; want false, nil", ok, err)
		}
		if retry <= 0 || retry > time.Hour {
			t.Errorf("retryAfter = %v, want within (0, 1h]", retry)
		}
		// Refused attempts do not start a new window or lengthen it.
		_, retry2, _ := rl.Allow(ctx, "ip:192.0.2.1", 3, time.Hour)
		if retry2 > retry {
			t.Errorf("retryAfter grew from %v to %v", retry, retry2)
		}
	})

	t.Run("KeysAreCountedApart", func(t *testing.T) {
		rl := newLimiter(t)
		if ok, _, _ := rl.Allow(ctx, "a", 1, time.Hour); !ok {
			t.Fatal("first event of a refused")
		}
		if ok, _, _ := rl.Allow(ctx, "a", 1, time.Hour); ok {
			t.Fatal("second event of a allowed with limit 1")
		}
		if ok, _, err := rl.Allow(ctx, "b", 1, time.Hour); err != nil || !ok {
			t.Fatalf("first event of b = %v, %v; want true, nil", ok, err)
		}
	})

	t.Run("NewWindowAfterTheOldEnds", func(t *testing.T) {
		rl := newLimiter(t)
		const window = 200 * time.Millisecond
		if ok, _, _ := rl.Allow(ctx, "w", 1, window); !ok {
			t.Fatal("first event refused")
		}
		ok, retry, _ := rl.Allow(ctx, "w", 1, window)
		if ok {
			t.Fatal("second event in the window allowed")
		}
		// Waiting out retryAfter is the contract under test, not a timing
		// assumption: after it the key must be allowed again.
		time.Sleep(retry + 10*time.Millisecond)
		if ok, _, err := rl.Allow(ctx, "w", 1, window); err != nil || !ok {
			t.Fatalf("Allow after retryAfter (%v) = %v, %v; want true, nil", retry, ok, err)
		}
		if ok, _, _ := rl.Allow(ctx, "w", 1, window); ok {
			t.Fatal("the new window allowed more than the limit")
		}
	})

	t.Run("ConcurrentCallersNeverExceedTheLimit", func(t *testing.T) {
		rl := newLimiter(t)
		const limit, callers = 7, 40
		var allowed atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ok, _, err := rl.Allow(ctx, "race", limit, time.Hour)
				if err != nil {
					t.Error(err)
				}
				if ok {
					allowed.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		if got := allowed.Load(); got != limit {
			t.Errorf("%d concurrent callers, limit %d: %d allowed, want exactly %d", callers, limit, got, limit)
		}
	})

	t.Run("CancelledContext", func(t *testing.T) {
		rl := newLimiter(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if ok, _, err := rl.Allow(cctx, "c", 1, time.Hour); ok || err == nil {
			t.Errorf("Allow with a cancelled context = %v, %v; want false and an error", ok, err)
		}
	})
}
