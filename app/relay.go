package app

import (
	"context"
	"fmt"
	"sync"

	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/ports"
)

var _ ports.EventSink = (*Relay)(nil)

// Delivery is what a relay subscriber receives: the events of one
// committed transaction, and whether this instance committed it (Local)
// or another one did (heard through the store's listener).
type Delivery struct {
	Events []event.Event
	Local  bool
}

// Relay is the one path by which committed events reach what reacts to
// them on this instance: cache eviction, metrics, and whatever later
// capabilities subscribe. The store hands it each commit's events
// (Committed) and, on Postgres, the events of other instances (Heard).
// Deliveries run one at a time, in the order they arrive, each to every
// subscriber in subscription order; a subscriber that panics is reported
// and the others still run.
type Relay struct {
	mu       sync.Mutex
	subs     []subscription
	reporter ports.ErrorReporter
}

type subscription struct {
	name string
	fn   func(Delivery)
}

// NewRelay returns a relay with no subscribers that reports subscriber
// panics to reporter.
func NewRelay(reporter ports.ErrorReporter) *Relay { return &Relay{reporter: reporter} }

// Subscribe adds fn, under a name used in reports, to the subscribers.
// fn must be quick and must not call Transactor.WithinTx; subscribe
// before the store commits anything.
func (r *Relay) Subscribe(name string, fn func(Delivery)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.subs = append(r.subs, subscription{name: name, fn: fn})
}

// Committed delivers the events of a transaction this instance committed;
// it implements ports.EventSink.
func (r *Relay) Committed(events []event.Event) { r.deliver(Delivery{Events: events, Local: true}) }

// Heard delivers events another instance committed.
func (r *Relay) Heard(events []event.Event) { r.deliver(Delivery{Events: events}) }

func (r *Relay) deliver(d Delivery) {
	if len(d.Events) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.subs {
		r.call(s, d)
	}
}

func (r *Relay) call(s subscription, d Delivery) {
	defer func() {
		if p := recover(); p != nil {
			r.reporter.Report(context.Background(), fmt.Errorf("event subscriber %s panicked: %v", s.name, p), map[string]string{"subscriber": s.name})
		}
	}()
	s.fn(d)
}

// evictProducts is the product cache's subscription: every event that
// changed a product's stored state, here or elsewhere, evicts it.
func evictProducts(c ports.ProductCache) func(Delivery) {
	return func(d Delivery) {
		for _, e := range d.Events {
			if id := e.ProductID(); id != "" {
				c.Evict(id)
			}
		}
	}
}

// countEvents is the business metrics' subscription. Only local events
// count, so a cluster's instances together count each event once.
func countEvents(m ports.Metrics) func(Delivery) {
	return func(d Delivery) {
		if !d.Local {
			return
		}
		for _, e := range d.Events {
			switch e.Name {
			case event.OrderPlaced:
				m.OrderCreated()
			case event.OrderTransitioned:
				if e.Data["to"] == "CANCELLED" {
					m.OrderCancelled()
				}
			case event.BidAccepted:
				m.BidPlaced()
			case event.AuctionClosed:
				m.AuctionClosed(e.Data["winnerId"] != "")
			}
		}
	}
}
