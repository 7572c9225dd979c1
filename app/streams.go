package app

import (
	"context"
	"sync"

	"github.com/secondbloom/marketplace/domain/auction"
	"github.com/secondbloom/marketplace/domain/event"
)

// StreamHub wakes the live streams of this instance when a committed event
// (here or, heard through the store's listener, on another instance) gave
// their user a notification or changed their auction. A woken stream reads
// what is new from the store itself, so a wake-up carries no data and
// several coalesce into one.
type StreamHub struct {
	mu       sync.Mutex
	users    map[string]map[chan struct{}]struct{}
	auctions map[string]map[chan struct{}]struct{}
	// changes counts the wake-ups of each watched auction, and reads holds
	// its latest shared read (see LatestAuction).
	changes map[string]uint64
	reads   map[string]*auctionRead
}

// auctionRead is one store read of an auction, shared by the streams that
// ask while it runs or before the auction changes again.
type auctionRead struct {
	change uint64 // the auction's change count when the read began
	done   chan struct{}
	a      *auction.Auction
	err    error
}

// NewStreamHub returns a hub with no streams.
func NewStreamHub() *StreamHub {
	return &StreamHub{users: map[string]map[chan struct{}]struct{}{}, auctions: map[string]map[chan struct{}]struct{}{},
		changes: map[string]uint64{}, reads: map[string]*auctionRead{}}
}

// LatestAuction returns auction id as load reads it, at least as new as
// the last change that woke its streams: the streams of a hot auction,
// woken together, share one read instead of each asking the store (a
// thousand watchers would otherwise make a thousand queries per bid). A
// read that began before the latest wake-up is never reused, so a woken
// stream always sees the change that woke it. Failed reads are not shared
// with later callers.
func (h *StreamHub) LatestAuction(ctx context.Context, id string, load func(context.Context, string) (*auction.Auction, error)) (*auction.Auction, error) {
	h.mu.Lock()
	change := h.changes[id]
	rd := h.reads[id]
	if rd != nil && rd.change == change {
		select {
		case <-rd.done:
			if rd.err != nil {
				rd = nil
			}
		default:
		}
	} else {
		rd = nil
	}
	if rd == nil {
		rd = &auctionRead{change: change, done: make(chan struct{})}
		if _, watched := h.auctions[id]; watched {
			h.reads[id] = rd
		}
		h.mu.Unlock()
		// The read is shared: it must not end with its first caller.
		rd.a, rd.err = load(context.WithoutCancel(ctx), id)
		close(rd.done)
	} else {
		h.mu.Unlock()
	}
	select {
	case <-rd.done:
		return rd.a, rd.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// WatchUser returns a channel that receives when userID may have new
// notifications, and a function that stops the watch.
func (h *StreamHub) WatchUser(userID string) (<-chan struct{}, func()) {
	return h.watch(h.users, userID, nil)
}

// WatchAuction returns a channel that receives when auction id changed,
// and a function that stops the watch.
func (h *StreamHub) WatchAuction(id string) (<-chan struct{}, func()) {
	return h.watch(h.auctions, id, func(id string) {
		delete(h.changes, id)
		delete(h.reads, id)
	})
}

// watch adds a watcher of key to m; forget, when set, runs (under the
// lock) once key has no watchers left.
func (h *StreamHub) watch(m map[string]map[chan struct{}]struct{}, key string, forget func(key string)) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	set := m[key]
	if set == nil {
		set = map[chan struct{}]struct{}{}
		m[key] = set
	}
	set[ch] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			delete(m[key], ch)
			if len(m[key]) == 0 {
				delete(m, key)
				if forget != nil {
					forget(key)
				}
			}
		})
	}
}

// Open returns how many streams are watching, for the metrics.
func (h *StreamHub) Open() (users, auctions int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.users {
		users += len(s)
	}
	for _, s := range h.auctions {
		auctions += len(s)
	}
	return users, auctions
}

// Subscription is the hub's relay subscriber.
func (h *StreamHub) Subscription(d Delivery) {
	plans := notificationsFor(d.Events)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range plans {
		wakeAll(h.users[p.userID])
	}
	for _, e := range d.Events {
		switch e.Name {
		case event.BidAccepted, event.AuctionClosed, event.AuctionCancelled:
			if set, watched := h.auctions[e.SubjectID]; watched {
				// Counted before the wake-up: a stream it wakes never
				// reuses a read that began before this change.
				h.changes[e.SubjectID]++
				wakeAll(set)
			}
		}
	}
}

func wakeAll(set map[chan struct{}]struct{}) {
	for ch := range set {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
