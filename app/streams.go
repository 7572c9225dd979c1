package app

import (
	"sync"

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
}

// NewStreamHub returns a hub with no streams.
func NewStreamHub() *StreamHub {
	return &StreamHub{users: map[string]map[chan struct{}]struct{}{}, auctions: map[string]map[chan struct{}]struct{}{}}
}

// WatchUser returns a channel that receives when userID may have new
// notifications, and a function that stops the watch.
func (h *StreamHub) WatchUser(userID string) (<-chan struct{}, func()) {
	return h.watch(h.users, userID)
}

// WatchAuction returns a channel that receives when auction id changed,
// and a function that stops the watch.
func (h *StreamHub) WatchAuction(id string) (<-chan struct{}, func()) {
	return h.watch(h.auctions, id)
}

func (h *StreamHub) watch(m map[string]map[chan struct{}]struct{}, key string) (<-chan struct{}, func()) {
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
			wakeAll(h.auctions[e.SubjectID])
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
