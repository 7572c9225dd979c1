// Package memory implements the storage ports in process memory. It gives
// the same guarantees as the Postgres adapter: every transaction is atomic
// and isolated (transactions run one at a time under a store-wide lock and
// roll back through an undo log), and the same uniqueness rules hold. Data
// is lost when the process exits.
package memory

import (
	"context"
	"sync"

	"github.com/secondbloom/marketplace/ports"
)

var (
	_ ports.Transactor = (*Store)(nil)
	_ ports.Pinger     = (*Store)(nil)
)

// Store is an in-memory database. The zero value is not usable; call New.
type Store struct {
	mu sync.Mutex
	db *data
	// onProductChange is called after the commit of every transaction that
	// wrote products, once per product, outside the lock.
	onProductChange func(id string)
}

// OnProductChange registers fn to be called with the id of every product a
// committed write created or changed, after the commit and outside the
// store lock (so fn may read the store). It plays the part of the Postgres
// adapter's product_changed notifications: a cache subscribes here to
// learn of writes made inside transactions too. Register before serving.
func (s *Store) OnProductChange(fn func(id string)) { s.onProductChange = fn }

// notify reports the products a committed session wrote.
func (s *Store) notify(ids []string) {
	if s.onProductChange == nil {
		return
	}
	for _, id := range ids {
		s.onProductChange(id)
	}
}

// New returns an empty store.
func New() *Store { return &Store{db: newData()} }

// Ping always succeeds: memory is always up.
func (s *Store) Ping(context.Context) error { return nil }

// Repos returns repositories that each run as their own transaction.
func (s *Store) Repos() ports.Repos { return s.repos(&session{store: s}) }

// WithinTx runs fn with repositories bound to one transaction. It holds the
// store lock for the whole of fn, so transactions are serializable; an error
// or panic in fn undoes every write fn made.
func (s *Store) WithinTx(ctx context.Context, fn func(ctx context.Context, r ports.Repos) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	tx := &session{store: s, inTx: true}
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
			}
		}()
		err = fn(ctx, s.repos(tx))
	}()
	if err == nil {
		s.notify(tx.changed)
	}
	return err
}

// session is the unit every repository method runs in: either an open
// transaction (inTx) or a single statement that takes the lock itself.
type session struct {
	store *Store
	inTx  bool
	undo  []func()
	// changed lists the products written, for Store.OnProductChange.
	changed []string
}

// touched records that the session wrote the product with id.
func (s *session) touched(id string) { s.changed = append(s.changed, id) }

// do runs fn as one atomic step. Outside a transaction it takes the lock and
// undoes fn's writes if fn fails, so single calls are all-or-nothing too.
func (s *session) do(fn func(db *data, log *session) error) error {
	if s.inTx {
		return fn(s.store.db, s)
	}
	step := &session{store: s.store, inTx: true}
	err := func() error {
		s.store.mu.Lock()
		defer s.store.mu.Unlock()
		if err := fn(s.store.db, step); err != nil {
			step.rollback()
			return err
		}
		return nil
	}()
	if err == nil {
		s.store.notify(step.changed)
	}
	return err
}

func (s *session) rollback() {
	for i := len(s.undo) - 1; i >= 0; i-- {
		s.undo[i]()
	}
	s.undo = nil
	s.changed = nil
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
