package postgres

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// connTracker remembers the network connections of a pool so they can all
// be severed at once. The driver waits on a socket read until its read
// timeout whatever the context says, so when the database stops answering
// (a partition rather than a refusal), the only way to free the requests
// stuck on it is to expire their sockets.
type connTracker struct {
	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	dialer net.Dialer
}

func newConnTracker(dialTimeout time.Duration) *connTracker {
	return &connTracker{conns: map[*trackedConn]struct{}{}, dialer: net.Dialer{Timeout: dialTimeout, KeepAlive: 5 * time.Minute}}
}

func (t *connTracker) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := t.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, t: t}
	t.mu.Lock()
	t.conns[tc] = struct{}{}
	t.mu.Unlock()
	return tc, nil
}

// severAll makes every pending and future read and write on the tracked
// connections fail at once; the pool then discards them as broken. A
// severed connection stays severed: the driver sets a fresh deadline
// before each read, which must not revive an idle connection to a
// database that stopped answering.
func (t *connTracker) severAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for c := range t.conns {
		c.severed.Store(true)
		_ = c.Conn.SetDeadline(expired)
	}
}

// expired is a deadline in the past.
var expired = time.Unix(1, 0)

type trackedConn struct {
	net.Conn
	t       *connTracker
	once    sync.Once
	severed atomic.Bool
}

func (c *trackedConn) SetDeadline(d time.Time) error { return c.Conn.SetDeadline(c.clamp(d)) }

func (c *trackedConn) SetReadDeadline(d time.Time) error { return c.Conn.SetReadDeadline(c.clamp(d)) }

func (c *trackedConn) SetWriteDeadline(d time.Time) error { return c.Conn.SetWriteDeadline(c.clamp(d)) }

func (c *trackedConn) clamp(d time.Time) time.Time {
	if c.severed.Load() {
		return expired
	}
	return d
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.t.mu.Lock()
		delete(c.t.conns, c)
		c.t.mu.Unlock()
	})
	return c.Conn.Close()
}
