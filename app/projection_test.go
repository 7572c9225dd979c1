package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/secondbloom/marketplace/adapters/clock"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// TestProjectionsCommitWithTheirTransaction checks the contract the audit
// log and notifications rely on: a projection sees exactly the events of
// the transaction, writes in it, and its failure rolls the work back.
func TestProjectionsCommitWithTheirTransaction(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	fail := false
	var seen [][]event.Event
	core, err := app.New(app.Deps{Tx: store, Repos: store.Repos(), Clock: clock.System{}, Pinger: store, SMS: noSMS{},
		Tokens: noTokens{}, Config: app.Config{CodeHashKey: make([]byte, 32)},
		Projections: []app.Projection{{Name: "echo", Project: func(ctx context.Context, r ports.Repos, evs []event.Event) error {
			seen = append(seen, evs)
			if fail {
				return errors.New("projection failed")
			}
			// What a projection writes commits with the work: here, a
			// second event standing for an audit or notification row.
			r.Events.Record(event.New(event.UserChanged, user.SystemActor("projection"), event.SubjectUser, evs[0].SubjectID))
			return nil
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	store.SetEventSink(core.Events)
	admin := user.Actor{UserID: "0193a000-0000-7000-8000-00000000000a", Role: user.RoleAdmin}

	c, err := core.Catalog.CreateCategory(ctx, admin, app.NewCategory{Name: uzText("Roses")})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || len(seen[0]) != 1 || seen[0][0].Name != event.CategoryChanged || seen[0][0].SubjectID != c.ID() {
		t.Fatalf("projection saw %v, want the one category.changed event", seen)
	}
	logged, _ := store.EventsSince(ctx, 0, 10)
	if len(logged) != 2 || logged[1].Name != event.UserChanged {
		t.Errorf("outbox after a projected commit = %v, want the event and the projection's write", logged)
	}

	fail = true
	if _, err := core.Catalog.CreateCategory(ctx, admin, app.NewCategory{Name: uzText("Tulips")}); err == nil {
		t.Fatal("CreateCategory succeeded though its projection failed")
	}
	cats, total, _ := store.Repos().Categories.List(ctx, ports.CategoryFilter{}, ports.Page{Number: 1, Limit: 10})
	if total.Total != 1 || cats[0].ID() != c.ID() {
		t.Errorf("categories after a failed projection = %d, want only the first: the work rolled back", total.Total)
	}
	if after, _ := store.EventsSince(ctx, 0, 10); len(after) != 2 {
		t.Errorf("outbox after a failed projection holds %d events, want 2", len(after))
	}

	// A transaction that fails on its own never reaches the projection.
	fail = false
	seen = nil
	if _, err := core.Catalog.UpdateCategory(ctx, admin, "0193a000-0000-7000-8000-00000000ffff", categoryRename("x")); err == nil {
		t.Fatal("renaming a missing category succeeded")
	}
	if len(seen) != 0 {
		t.Errorf("projection saw %v from a failed transaction", seen)
	}
}
