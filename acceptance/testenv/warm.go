package testenv

import (
	"context"
	"database/sql"
	"testing"

	"github.com/secondbloom/marketplace/adapters/postgres"
)

// WarmPool opens n database connections at once and hands them back to the
// pool idle, so that n requests racing each other all find a connection
// ready instead of queueing behind slow connects, which would run them one
// after another and hide a missing lock. It does nothing on the memory
// store.
func (e *Env) WarmPool(t testing.TB, n int) {
	t.Helper()
	pg, ok := e.Store.(*postgres.Store)
	if !ok {
		return
	}
	ctx := context.Background()
	// Held all at once, so that each is a connection of its own.
	conns := make([]*sql.Conn, 0, n)
	release := func() {
		for _, c := range conns {
			_ = c.Close()
		}
		conns = nil
	}
	defer release()
	for range n {
		c, err := pg.DB().DB.Conn(ctx)
		if err != nil {
			t.Fatalf("warm the pool: %v", err)
		}
		conns = append(conns, c)
		if err := c.PingContext(ctx); err != nil {
			t.Fatalf("warm the pool: %v", err)
		}
	}
	release()
	if idle := pg.DB().Stats().Idle; idle < n {
		t.Fatalf("warm the pool: %d idle connections after opening %d; the pool closes them", idle, n)
	}
}
