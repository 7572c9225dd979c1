package app

import (
	"context"

	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/ports"
)

// Projection writes what must commit together with the events of a
// transaction (audit entries, notification rows), from those events, in
// the same transaction. It runs after the use case's work succeeded and
// before the commit; its error rolls everything back. Where the relay's
// subscribers react after the commit, a projection is part of it.
type Projection struct {
	Name string
	// Project writes the rows for events through r, the transaction's
	// repositories.
	Project func(ctx context.Context, r ports.Repos, events []event.Event) error
}

// projectingTx is the Transactor every service uses: the store's, with
// the projections run over each transaction's recorded events.
type projectingTx struct {
	inner       ports.Transactor
	projections []Projection
}

func (t *projectingTx) WithinTx(ctx context.Context, fn func(ctx context.Context, r ports.Repos) error) error {
	if len(t.projections) == 0 {
		return t.inner.WithinTx(ctx, fn)
	}
	return t.inner.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		rec := &teeRecorder{inner: r.Events}
		r.Events = rec
		if err := fn(ctx, r); err != nil {
			return err
		}
		if len(rec.events) == 0 {
			return nil
		}
		for _, p := range t.projections {
			if err := p.Project(ctx, r, rec.events); err != nil {
				return err
			}
		}
		return nil
	})
}

// teeRecorder records through the store's recorder and keeps a copy for
// the projections.
type teeRecorder struct {
	inner  ports.EventRecorder
	events []event.Event
}

func (t *teeRecorder) Record(evs ...event.Event) {
	t.inner.Record(evs...)
	t.events = append(t.events, evs...)
}
