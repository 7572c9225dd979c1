package cache_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/adapters/cache"
	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/domain/user"
)

const json = "application/json"

// fakeNow is a clock the test moves by hand.
type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time { return f.t }

func newLists(t *testing.T, opt cache.ListOptions) (*cache.Lists, *fakeNow) {
	t.Helper()
	clk := &fakeNow{t: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}
	opt.Now = clk.now
	return cache.NewLists(opt), clk
}

func TestListPageReadBeforeAWriteIsNotKeptAfterIt(t *testing.T) {
	l, _ := newLists(t, cache.ListOptions{})
	gen := l.Generation(cache.FamilyProducts)
	// The store answered with the old page; the write commits and its
	// event arrives before the reader stores what it read.
	l.Bump(cache.FamilyProducts)
	l.Put(cache.FamilyProducts, gen, "k", []byte("old"), json)
	if body, _, ok := l.Get(cache.FamilyProducts, "k"); ok {
		t.Fatalf("Get after a bump = %q, want a miss (the page was read before the write)", body)
	}
	gen = l.Generation(cache.FamilyProducts)
	l.Put(cache.FamilyProducts, gen, "k", []byte("new"), json)
	if body, ct, ok := l.Get(cache.FamilyProducts, "k"); !ok || string(body) != "new" || ct != json {
		t.Fatalf("Get = %q, %q, %v, want the page stored in the current generation", body, ct, ok)
	}
	// A page stored just before the bump goes with it.
	l.Bump(cache.FamilyProducts)
	if _, _, ok := l.Get(cache.FamilyProducts, "k"); ok {
		t.Fatal("Get after a second bump hit, want the page dropped")
	}
	if l.Bytes() != 0 {
		t.Errorf("Bytes = %d after the only page was dropped, want 0", l.Bytes())
	}
}

func TestListFamiliesAreBumpedByTheEventsThatChangeThem(t *testing.T) {
	by := user.Actor{UserID: "u1"}
	tests := []struct {
		name string
		e    event.Event
		want []string // families bumped
	}{
		{"product edited", event.New(event.ProductChanged, by, event.SubjectProduct, "p", "action", "edit"), []string{cache.FamilyProducts}},
		{"seller blocked", event.New(event.ProductChanged, by, event.SubjectProduct, "p", "action", "seller-status"), []string{cache.FamilyProducts}},
		{"order takes stock", event.New(event.OrderPlaced, by, event.SubjectOrder, "o", "productId", "p"), []string{cache.FamilyProducts}},
		{"cancellation restocks", event.New(event.OrderTransitioned, by, event.SubjectOrder, "o", "productId", "p", "restocked", "true"), []string{cache.FamilyProducts}},
		{"order shipped", event.New(event.OrderTransitioned, by, event.SubjectOrder, "o", "productId", "p", "restocked", "false"), nil},
		{"auction won", event.New(event.AuctionClosed, by, event.SubjectAuction, "a", "productId", "p", "orderId", "o"), []string{cache.FamilyProducts}},
		{"bid", event.New(event.BidAccepted, by, event.SubjectAuction, "a", "productId", "p"), nil},
		{"category", event.New(event.CategoryChanged, by, event.SubjectCategory, "c"), []string{cache.FamilyProducts, cache.FamilyCategories}},
		{"reference", event.New(event.ReferenceChanged, by, "size", "s", "action", "update"), []string{cache.FamilyReference}},
		{"user profile", event.New(event.UserChanged, by, event.SubjectUser, "u", "field", "name"), nil},
	}
	families := []string{cache.FamilyProducts, cache.FamilyCategories, cache.FamilyReference}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, _ := newLists(t, cache.ListOptions{})
			l.Observe([]event.Event{tc.e})
			for _, f := range families {
				bumped := l.Generation(f) != 0
				want := false
				for _, w := range tc.want {
					want = want || w == f
				}
				if bumped != want {
					t.Errorf("family %s bumped = %v, want %v", f, bumped, want)
				}
			}
		})
	}
}

func TestListPagesStayWithinTheirBudget(t *testing.T) {
	l, _ := newLists(t, cache.ListOptions{SizeMB: 1})
	page := bytes.Repeat([]byte("x"), 10_000)
	for i := range 500 {
		key := fmt.Sprintf("page-%d", i)
		l.Put(cache.FamilyProducts, 0, key, page, json)
		if l.Bytes() > 1<<20 {
			t.Fatalf("after %d pages Bytes = %d, over the 1 MB budget", i+1, l.Bytes())
		}
		if _, _, ok := l.Get(cache.FamilyProducts, key); !ok {
			t.Fatalf("the page just stored is missing")
		}
	}
	if l.Bytes() < 900_000 {
		t.Errorf("Bytes = %d, want the budget used", l.Bytes())
	}
	l.Put(cache.FamilyCategories, 0, "huge", bytes.Repeat([]byte("x"), 2<<20), json)
	if _, _, ok := l.Get(cache.FamilyCategories, "huge"); ok {
		t.Error("a page larger than the budget was kept")
	}
}

func TestListPagesExpire(t *testing.T) {
	l, clk := newLists(t, cache.ListOptions{TTL: time.Minute, Settle: 5 * time.Second})
	l.Put(cache.FamilyCategories, 0, "k", []byte("p"), json)
	clk.t = clk.t.Add(59 * time.Second)
	if _, _, ok := l.Get(cache.FamilyCategories, "k"); !ok {
		t.Fatal("page gone before its TTL")
	}
	clk.t = clk.t.Add(time.Second)
	if _, _, ok := l.Get(cache.FamilyCategories, "k"); ok {
		t.Fatal("page served after its TTL")
	}
	// Within the settle time of a write, a page (whose large total the
	// store may have counted before the write) lives only until the
	// settle time has passed.
	l.Bump(cache.FamilyCategories)
	clk.t = clk.t.Add(2 * time.Second)
	l.Put(cache.FamilyCategories, 1, "k", []byte("p"), json)
	clk.t = clk.t.Add(2 * time.Second)
	if _, _, ok := l.Get(cache.FamilyCategories, "k"); !ok {
		t.Fatal("page gone before the settle time")
	}
	clk.t = clk.t.Add(time.Second)
	if _, _, ok := l.Get(cache.FamilyCategories, "k"); ok {
		t.Fatal("page stored within the settle time served after it")
	}
	l.Put(cache.FamilyCategories, 1, "k", []byte("p"), json)
	clk.t = clk.t.Add(30 * time.Second)
	if _, _, ok := l.Get(cache.FamilyCategories, "k"); !ok {
		t.Fatal("page stored after the settle time expired early")
	}
}
