package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
)

// BenchmarkRateLimiterAllow measures one counted event: a single upsert
// round trip. Parallel callers spread over a few hundred client addresses.
func BenchmarkRateLimiterAllow(b *testing.B) {
	rl := postgres.NewRateLimiter(pgtest.New(b))
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if _, _, err := rl.Allow(ctx, fmt.Sprintf("otp-ip:198.51.%d.%d", i%4, i%250), 1_000_000, time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	})
}
