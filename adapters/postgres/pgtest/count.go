package pgtest

import (
	"context"
	"strings"
	"sync"

	"github.com/uptrace/bun"
)

// QueryCounter is a Bun query hook that records the statements sent
// under a context marked by Counted, so a test can count the round trips
// of one operation while the system's workers query the same database.
// Each statement is one round trip (Bun formats arguments into the text,
// so none is split into parse and execute); BEGIN and COMMIT are recorded
// too.
type QueryCounter struct {
	mu      sync.Mutex
	queries []string
}

// CountQueries installs a counter on db.
func CountQueries(db *bun.DB) *QueryCounter {
	c := &QueryCounter{}
	db.AddQueryHook(c)
	return c
}

type countedKey struct{}

// Counted returns ctx marked so that c records the statements sent under
// it, after forgetting what it recorded before.
func (c *QueryCounter) Counted(ctx context.Context) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queries = nil
	return context.WithValue(ctx, countedKey{}, c)
}

// Queries returns the statements recorded since the last Counted, each
// shortened to the start of its first line.
func (c *QueryCounter) Queries() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.queries...)
}

// BeforeQuery implements bun.QueryHook.
func (c *QueryCounter) BeforeQuery(ctx context.Context, e *bun.QueryEvent) context.Context {
	return ctx
}

// AfterQuery implements bun.QueryHook.
func (c *QueryCounter) AfterQuery(ctx context.Context, e *bun.QueryEvent) {
	if ctx.Value(countedKey{}) != c {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	q := e.Query
	if i := strings.IndexByte(q, '\n'); i >= 0 {
		q = q[:i]
	}
	if len(q) > 120 {
		q = q[:120]
	}
	c.queries = append(c.queries, q)
}
