package ports

//go:generate go tool mockgen -source=events.go -destination=../mocks/events.go -package=mocks

import (
	"context"
	"time"

	"github.com/secondbloom/marketplace/domain/event"
)

// EventRecorder records the events of the transaction it belongs to (the
// Events field of the Repos that WithinTx hands out). Recorded events are
// stored in the same transaction as the changes they describe (the
// outbox) and delivered to the EventSink after the commit: recorded if and
// only if committed. The Repos of a store outside WithinTx have a recorder
// that panics, since there is no transaction to record in.
type EventRecorder interface {
	// Record adds events to the transaction, in order. It never fails: the
	// store writes them when the transaction commits, and a failure to
	// write them fails the commit.
	Record(events ...event.Event)
}

// EventSink hears of the events a store committed.
type EventSink interface {
	// Committed is called once per transaction of this process that
	// recorded events, right after its commit and before WithinTx
	// returns, with the events in recording order and Seq and At set.
	// Transactions of one store are reported in the order they committed
	// where the store can tell (always on the memory store; on Postgres,
	// transactions that touch the same rows). It must be quick and must
	// not call WithinTx.
	Committed(events []event.Event)
}

// EventLog reads and trims the outbox of committed events.
type EventLog interface {
	// EventsSince returns up to limit committed events with Seq > after,
	// in Seq order.
	EventsSince(ctx context.Context, after int64, limit int) ([]event.Event, error)
	// DeleteEventsBefore removes the events recorded before t and returns
	// how many it removed.
	DeleteEventsBefore(ctx context.Context, t time.Time) (int, error)
}
