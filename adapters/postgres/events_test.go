package postgres_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// heard collects what a listener hands over.
type heard struct {
	mu  sync.Mutex
	ids []string
}

func (h *heard) add(evs []event.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range evs {
		h.ids = append(h.ids, e.SubjectID)
	}
}

func (h *heard) snapshot() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.ids)
}

// waitFor polls until the listener has heard want, for up to d.
func (h *heard) waitFor(t *testing.T, want []string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !slices.Equal(h.snapshot(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("listener heard %v, want %v", h.snapshot(), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func commit(t *testing.T, s *postgres.Store, ids ...string) {
	t.Helper()
	err := s.WithinTx(context.Background(), func(ctx context.Context, r ports.Repos) error {
		for _, id := range ids {
			r.Events.Record(event.New(event.ProductChanged, user.SystemActor("test"), event.SubjectProduct, id))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// twoInstances opens two stores on one fresh database, as two server
// processes would, and starts B listening.
func twoInstances(t *testing.T) (a, b *postgres.Store, got *heard) {
	t.Helper()
	return twoInstancesWith(t, func(*postgres.Store) {})
}

// twoInstancesWith is twoInstances with setup run on B before it listens.
func twoInstancesWith(t *testing.T, setup func(b *postgres.Store)) (a, b *postgres.Store, got *heard) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	open := func() *postgres.Store { return pgtest.Open(t, dsn) }
	a, b = open(), open()
	setup(b)
	got = &heard{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	ready := make(chan struct{})
	go func() {
		defer close(done)
		b.ListenEvents(ctx, got.add, ready)
	}()
	t.Cleanup(func() { cancel(); <-done })
	<-ready
	return a, b, got
}

func TestOtherInstancesHearCommittedEventsInCommitOrderButNotTheirOwn(t *testing.T) {
	a, b, got := twoInstances(t)
	commit(t, a, "p1", "p2")
	commit(t, b, "own") // b's own events reach b's sink at commit, not its listener
	commit(t, a, "p3")
	got.waitFor(t, []string{"p1", "p2", "p3"}, 2*time.Second)
}

func TestAListenerThatReconnectsCatchesUpFromTheOutbox(t *testing.T) {
	a, _, got := twoInstances(t)
	commit(t, a, "before")
	got.waitFor(t, []string{"before"}, 2*time.Second)

	// Cut B's listening connection, and commit while it is gone: the
	// NOTIFY of "missed" reaches nobody.
	n := 0
	if err := a.DB().NewRaw(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%'`).Scan(context.Background(), &n); err != nil || n != 1 {
		t.Fatalf("terminating the listener's backend: %d terminated, %v; want 1", n, err)
	}
	commit(t, a, "missed")
	commit(t, a, "after")
	got.waitFor(t, []string{"before", "missed", "after"}, 5*time.Second)
}

// A reconnecting listener hears of a commit made after its new LISTEN took
// effect but before it confirmed it; that commit came after the ones it
// missed while disconnected, and must be handed over after them.
func TestACommitDuringTheReconnectComesAfterTheMissedOnes(t *testing.T) {
	var (
		a        *postgres.Store
		listens  atomic.Int32
		missed   atomic.Bool
		hookErrs = make(chan error, 1)
	)
	a, _, got := twoInstancesWith(t, func(b *postgres.Store) {
		postgres.OnListen(b, func() {
			if listens.Add(1) != 2 {
				return
			}
			hookErrs <- func() error {
				if !missed.Load() {
					return errors.New("the listener reconnected before the test committed \"missed\"")
				}
				// Wait until the new LISTEN has been processed, so the
				// NOTIFY of "after" reaches it ahead of the confirmation.
				for range 250 {
					n := 0
					if err := a.DB().NewRaw(`SELECT count(*) FROM pg_stat_activity
						WHERE datname = current_database() AND query LIKE 'LISTEN%' AND state = 'idle'`).Scan(context.Background(), &n); err != nil {
						return err
					}
					if n == 1 {
						return a.WithinTx(context.Background(), func(ctx context.Context, r ports.Repos) error {
							r.Events.Record(event.New(event.ProductChanged, user.SystemActor("test"), event.SubjectProduct, "after"))
							return nil
						})
					}
					time.Sleep(20 * time.Millisecond)
				}
				return errors.New("the new LISTEN never became idle")
			}()
		})
	})
	commit(t, a, "before")
	got.waitFor(t, []string{"before"}, 2*time.Second)
	n := 0
	if err := a.DB().NewRaw(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%'`).Scan(context.Background(), &n); err != nil || n != 1 {
		t.Fatalf("terminating the listener's backend: %d terminated, %v; want 1", n, err)
	}
	commit(t, a, "missed")
	missed.Store(true)
	select {
	case err := <-hookErrs:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not reconnect")
	}
	got.waitFor(t, []string{"before", "missed", "after"}, 5*time.Second)
}
