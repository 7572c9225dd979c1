package porttest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// EventStore is a store that records events (see ports.EventRecorder).
type EventStore interface {
	Store
	ports.EventLog
	SetEventSink(ports.EventSink)
}

// sink collects what a store reports after its commits.
type sink struct {
	mu      sync.Mutex
	commits [][]event.Event
}

func (s *sink) Committed(evs []event.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commits = append(s.commits, evs)
}

func (s *sink) all() []event.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []event.Event
	for _, c := range s.commits {
		out = append(out, c...)
	}
	return out
}

func names(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.SubjectID
	}
	return out
}

// RunEvents pins "recorded if and only if committed" on a store: events of
// a committed transaction are in the log and reach the sink, in recording
// order and with growing Seq; events of a transaction that returned an
// error or panicked are nowhere.
func RunEvents(t *testing.T, newStore func(t *testing.T) EventStore) {
	ctx := context.Background()
	actor := user.Actor{UserID: "0193a000-0000-7000-8000-00000000000a", Role: user.RoleAdmin}
	ev := func(id string) event.Event {
		return event.New(event.ProductChanged, actor, event.SubjectProduct, id, "action", "edit")
	}
	const (
		p1 = "0193a000-0000-7000-8000-000000000001"
		p2 = "0193a000-0000-7000-8000-000000000002"
		p3 = "0193a000-0000-7000-8000-000000000003"
		p4 = "0193a000-0000-7000-8000-000000000004"
	)

	t.Run("recorded if and only if committed", func(t *testing.T) {
		s := newStore(t)
		got := &sink{}
		s.SetEventSink(got)
		if err := s.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			r.Events.Record(ev(p1), ev(p2))
			return nil
		}); err != nil {
			t.Fatalf("committing WithinTx = %v", err)
		}
		boom := errors.New("boom")
		if err := s.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			r.Events.Record(ev(p3))
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("failing WithinTx = %v, want %v", err, boom)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Error("WithinTx swallowed the panic of its closure")
				}
			}()
			_ = s.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
				r.Events.Record(ev(p4))
				panic("closure panics")
			})
		}()
		if err := s.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error { return nil }); err != nil {
			t.Fatalf("empty WithinTx = %v", err)
		}

		logged, err := s.EventsSince(ctx, 0, 100)
		if err != nil {
			t.Fatalf("EventsSince = %v", err)
		}
		want := []string{p1, p2}
		if got := names(logged); !slices.Equal(got, want) {
			t.Errorf("outbox holds events of %v, want %v (only the committed transaction's)", got, want)
		}
		if got := names(got.all()); !slices.Equal(got, want) {
			t.Errorf("sink heard of %v, want %v", got, want)
		}
		if len(got.commits) != 1 {
			t.Errorf("sink heard %d deliveries, want one per committed transaction with events", len(got.commits))
		}
		for i, e := range logged {
			if e.Seq <= 0 || (i > 0 && e.Seq <= logged[i-1].Seq) || e.At.IsZero() {
				t.Errorf("event %d has Seq %d At %v, want growing positive Seq and a time", i, e.Seq, e.At)
			}
			if e.Actor != actor || e.Name != event.ProductChanged || e.Data["action"] != "edit" {
				t.Errorf("event %d read back as %+v, want what was recorded", i, e)
			}
		}
		if len(logged) == 2 {
			if more, _ := s.EventsSince(ctx, logged[0].Seq, 100); len(more) != 1 || more[0].SubjectID != p2 {
				t.Errorf("EventsSince(first) = %v, want the second event only", names(more))
			}
		}
	})

	t.Run("a system actor and no data survive the round trip", func(t *testing.T) {
		s := newStore(t)
		e := event.New(event.AuctionClosed, user.SystemActor("auction-closer"), event.SubjectAuction, p1)
		if err := s.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error { r.Events.Record(e); return nil }); err != nil {
			t.Fatal(err)
		}
		logged, err := s.EventsSince(ctx, 0, 10)
		if err != nil || len(logged) != 1 {
			t.Fatalf("EventsSince = %v, %v", logged, err)
		}
		if got := logged[0]; got.Actor != e.Actor || len(got.Data) != 0 {
			t.Errorf("read back %+v, want actor %+v and no data", got, e.Actor)
		}
	})

	t.Run("old events are pruned", func(t *testing.T) {
		s := newStore(t)
		if err := s.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error { r.Events.Record(ev(p1)); return nil }); err != nil {
			t.Fatal(err)
		}
		if n, err := s.DeleteEventsBefore(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
			t.Errorf("DeleteEventsBefore(an hour ago) = %d, %v, want 0: the event is recent", n, err)
		}
		if n, err := s.DeleteEventsBefore(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
			t.Errorf("DeleteEventsBefore(in an hour) = %d, %v, want 1", n, err)
		}
		if left, _ := s.EventsSince(ctx, 0, 10); len(left) != 0 {
			t.Errorf("after pruning the outbox holds %v", names(left))
		}
	})

	t.Run("concurrent commits are all recorded once", func(t *testing.T) {
		s := newStore(t)
		got := &sink{}
		s.SetEventSink(got)
		const n = 20
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error { r.Events.Record(ev(p1)); return nil }); err != nil {
					t.Errorf("WithinTx = %v", err)
				}
			}()
		}
		wg.Wait()
		logged, _ := s.EventsSince(ctx, 0, 100)
		seen := map[int64]bool{}
		for _, e := range got.all() {
			seen[e.Seq] = true
		}
		if len(logged) != n || len(seen) != n {
			t.Errorf("outbox holds %d events and the sink heard %d distinct ones, want %d each", len(logged), len(seen), n)
		}
	})
}
