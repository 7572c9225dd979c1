// Package memory implements the storage ports in process memory. It gives
// the same guarantees as the Postgres adapter: every transaction is atomic
// and isolated (transactions run one at a time under a store-wide lock and
// roll back through an undo log), and the same uniqueness rules hold. Data
// is lost when the process exits.
package memory

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/ports"
)

var (
	_ ports.Transactor    = (*Store)(nil)
	_ ports.Pinger        = (*Store)(nil)
	_ ports.EventLog      = (*Store)(nil)
	_ ports.EventRecorder = (*session)(nil)
)

// Store is an in-memory database. The zero value is not usable; call New.
type Store struct {
	mu sync.Mutex
	db *data
	// publish orders the delivery of committed events: a committing
	// transaction takes it before releasing mu, so sinks hear of commits
	// in commit order while the store is already free for readers.
	publish sync.Mutex
	sink    ports.EventSink
	// events is the outbox: every committed event, oldest first, until
	// DeleteEventsBefore trims it. seq numbers them.
	events []event.Event
	seq    int64
	now    func() time.Time
}

// SetEventSink registers the sink that hears of every committed event.
// Call it before serving; without one, events are only kept in the log.
func (s *Store) SetEventSink(sink ports.EventSink) { s.sink = sink }

// New returns an empty store.
func New() *Store { return &Store{db: newData(), now: time.Now} }

// Ping always succeeds: memory is always up.
func (s *Store) Ping(context.Context) error { return nil }

// Repos returns repositories that each run as their own transaction.
func (s *Store) Repos() ports.Repos { return s.repos(&session{store: s}) }

// WithinTx runs fn with repositories bound to one transaction. It holds the
// store lock for the whole of fn, so transactions are serializable; an error
// or panic in fn undoes every write fn made and drops its events.
func (s *Store) WithinTx(ctx context.Context, fn func(ctx context.Context, r ports.Repos) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	tx := &session{store: s, inTx: true}
	var committed []event.Event
	func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		defer func() {
			if p := recover(); p != nil {
				tx.rollback()
				panic(p)
			}
			if err != nil {
				tx.rollback()
				return
			}
			committed = s.commitEvents(tx.events)
			if len(committed) > 0 {
				// Taken before mu is released: the next transaction's
				// events wait for these to be delivered.
				s.publish.Lock()
			}
		}()
		err = fn(ctx, s.repos(tx))
	}()
	if len(committed) > 0 {
		defer s.publish.Unlock()
		if s.sink != nil {
			s.sink.Committed(committed)
		}
	}
	return err
}

// commitEvents numbers a committed transaction's events and appends them
// to the log. The caller holds mu.
func (s *Store) commitEvents(evs []event.Event) []event.Event {
	if len(evs) == 0 {
		return nil
	}
	at := s.now().UTC()
	out := make([]event.Event, len(evs))
	for i, e := range evs {
		s.seq++
		e.Seq, e.At = s.seq, at
		e.Data = maps.Clone(e.Data)
		out[i] = e
		s.events = append(s.events, e)
	}
	return slices.Clone(out)
}

// EventsSince returns up to limit committed events with Seq > after.
func (s *Store) EventsSince(_ context.Context, after int64, limit int) ([]event.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, _ := slices.BinarySearchFunc(s.events, after+1, func(e event.Event, seq int64) int { return cmp.Compare(e.Seq, seq) })
	end := min(i+limit, len(s.events))
	out := make([]event.Event, 0, end-i)
	for _, e := range s.events[i:end] {
		e.Data = maps.Clone(e.Data)
		out = append(out, e)
	}
	return out, nil
}

// DeleteEventsBefore forgets the events committed before t.
func (s *Store) DeleteEventsBefore(_ context.Context, t time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for n < len(s.events) && s.events[n].At.Before(t) {
		n++
	}
	s.events = slices.Delete(s.events, 0, n)
	return n, nil
}

// session is the unit every repository method runs in: either an open
// transaction (inTx) or a single statement that takes the lock itself.
type session struct {
	store  *Store
	inTx   bool
	undo   []func()
	events []event.Event
}

// Record adds events to the transaction; see ports.EventRecorder.
func (s *session) Record(evs ...event.Event) {
	if !s.inTx {
		panic("memory: events can only be recorded inside WithinTx")
	}
	s.events = append(s.events, evs...)
}

// do runs fn as one atomic step. Outside a transaction it takes the lock and
// undoes fn's writes if fn fails, so single calls are all-or-nothing too.
func (s *session) do(fn func(db *data, log *session) error) error {
	if s.inTx {
		return fn(s.store.db, s)
	}
	step := &session{store: s.store, inTx: true}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	if err := fn(s.store.db, step); err != nil {
		step.rollback()
		return err
	}
	return nil
}

func (s *session) rollback() {
	for i := len(s.undo) - 1; i >= 0; i-- {
		s.undo[i]()
	}
	s.undo = nil
	s.events = nil
}

// table is a map whose writes are recorded in a session's undo log.
type table[K comparable, V any] map[K]V

func (t table[K, V]) put(log *session, k K, v V) {
	old, had := t[k]
	log.undo = append(log.undo, func() {
		if had {
			t[k] = old
		} else {
			delete(t, k)
		}
	})
	t[k] = v
}

func (t table[K, V]) del(log *session, k K) {
	old, had := t[k]
	if !had {
		return
	}
	log.undo = append(log.undo, func() { t[k] = old })
	delete(t, k)
}
