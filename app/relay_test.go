package app_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/google/uuid"

	"github.com/secondbloom/marketplace/adapters/clock"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/mocks"
)

func TestRelayDeliversInOrderToEverySubscriberAndSurvivesAPanic(t *testing.T) {
	ctrl := gomock.NewController(t)
	reporter := mocks.NewMockErrorReporter(ctrl)
	reporter.EXPECT().Report(gomock.Any(), gomock.Any(), map[string]string{"subscriber": "broken"}).Times(2)
	r := app.NewRelay(reporter)
	var mu sync.Mutex
	var got []string
	r.Subscribe("broken", func(app.Delivery) { panic("subscriber bug") })
	r.Subscribe("recorder", func(d app.Delivery) {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range d.Events {
			got = append(got, e.SubjectID+map[bool]string{true: "/local", false: "/remote"}[d.Local])
		}
	})
	ev := func(id string) event.Event {
		return event.New(event.ProductChanged, user.Actor{}, event.SubjectProduct, id)
	}
	r.Committed([]event.Event{ev("a"), ev("b")})
	r.Heard([]event.Event{ev("c")})
	r.Committed(nil) // nothing to deliver: no call, no report
	if want := []string{"a/local", "b/local", "c/remote"}; !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
}

// TestEveryWriteThatChangesAProductEvictsIt drives the core on the memory
// store with a cache mock: each use case that changes a product's stored
// state must evict it through the relay, and only after its commit.
func TestEveryWriteThatChangesAProductEvictsIt(t *testing.T) {
	ctrl := gomock.NewController(t)
	env := newMemoryCore(t, ctrl)
	cache := env.cache
	env.metrics.EXPECT().OrderCreated().AnyTimes()
	env.metrics.EXPECT().OrderCancelled().AnyTimes()
	ctx := context.Background()

	admin, seller, buyer := env.user(t, user.RoleAdmin), env.user(t, user.RoleUser), env.user(t, user.RoleUser)
	cat, err := env.core.Catalog.CreateCategory(ctx, admin, app.NewCategory{Name: uzText("Roses")})
	if err != nil {
		t.Fatal(err)
	}
	var pid string
	cache.EXPECT().Evict(gomock.Any()).Do(func(id string) { pid = id })
	p, err := env.core.Catalog.CreateProduct(ctx, seller, app.NewProduct{Title: uzText("Red roses"), Class: seedClass(), Price: 100, Quantity: ptr(2), CategoryID: cat.ID()})
	if err != nil || pid != p.ID() {
		t.Fatalf("CreateProduct = %v, evicted %q, want the new product evicted", err, pid)
	}
	steps := []struct {
		name string
		do   func() error
	}{
		{"approve", func() error { _, err := env.core.Catalog.ApproveProduct(ctx, admin, p.ID()); return err }},
		{"order", func() error {
			o, err := env.core.Orders.Place(ctx, buyer, app.PlaceOrder{ProductID: p.ID(), Quantity: ptr(1)})
			if err == nil {
				env.lastOrder = o.ID()
			}
			return err
		}},
		{"cancel", func() error { _, err := env.core.Orders.Cancel(ctx, buyer, env.lastOrder, ""); return err }},
		{"edit", func() error {
			price := int64(200)
			_, err := env.core.Catalog.UpdateProduct(ctx, admin, p.ID(), productChange(&price))
			return err
		}},
		{"archive", func() error { return env.core.Catalog.ArchiveProduct(ctx, seller, p.ID()) }},
	}
	for _, s := range steps {
		cache.EXPECT().Evict(p.ID()).Times(1)
		if err := s.do(); err != nil {
			t.Fatalf("%s = %v", s.name, err)
		}
	}
	// A refused write changes nothing and evicts nothing (the mock
	// fails on an unexpected Evict).
	if _, err := env.core.Catalog.ApproveProduct(ctx, admin, p.ID()); err == nil {
		t.Fatal("approving an archived product succeeded")
	}
	if _, err := env.core.Orders.Place(ctx, buyer, app.PlaceOrder{ProductID: p.ID(), Quantity: ptr(1)}); err == nil {
		t.Fatal("ordering an archived product succeeded")
	}
}

// TestMetricsCountCommittedEventsOnly checks that business counters come
// from committed local events: a refused order counts nothing.
func TestMetricsCountCommittedEventsOnly(t *testing.T) {
	ctrl := gomock.NewController(t)
	env := newMemoryCore(t, ctrl)
	env.cache.EXPECT().Evict(gomock.Any()).AnyTimes()
	ctx := context.Background()
	admin, seller, buyer := env.user(t, user.RoleAdmin), env.user(t, user.RoleUser), env.user(t, user.RoleUser)
	cat, _ := env.core.Catalog.CreateCategory(ctx, admin, app.NewCategory{Name: uzText("Roses")})
	p, err := env.core.Catalog.CreateProduct(ctx, admin, app.NewProduct{Title: uzText("Red roses"), Class: seedClass(), Price: 100, Quantity: ptr(1), CategoryID: cat.ID()})
	if err != nil {
		t.Fatal(err)
	}
	_ = seller
	env.metrics.EXPECT().OrderCreated().Times(1)
	if _, err := env.core.Orders.Place(ctx, buyer, app.PlaceOrder{ProductID: p.ID(), Quantity: ptr(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.core.Orders.Place(ctx, buyer, app.PlaceOrder{ProductID: p.ID(), Quantity: ptr(1)}); err == nil {
		t.Fatal("ordering past the stock succeeded")
	}
	// An event heard from another instance is counted there, not here.
	env.core.Events.Heard([]event.Event{event.New(event.OrderPlaced, user.Actor{}, event.SubjectOrder, "o", "productId", "x")})
}

// memoryCore is the core on the memory store with a mocked cache and
// metrics, wired as the system builder wires them.
type memoryCore struct {
	core      *app.App
	store     *memory.Store
	cache     *mocks.MockProductCache
	metrics   *mocks.MockMetrics
	users     int
	lastOrder string
}

func newMemoryCore(t *testing.T, ctrl *gomock.Controller) *memoryCore {
	t.Helper()
	m := &memoryCore{store: memory.New(), cache: mocks.NewMockProductCache(ctrl), metrics: mocks.NewMockMetrics(ctrl)}
	core, err := app.New(app.Deps{Tx: m.store, Repos: m.store.Repos(), Clock: clock.System{}, Pinger: m.store,
		SMS: noSMS{}, Tokens: noTokens{}, Metrics: m.metrics, ProductCache: m.cache,
		Config: app.Config{CodeHashKey: make([]byte, 32), ProductModeration: true}})
	if err != nil {
		t.Fatal(err)
	}
	m.store.SetEventSink(core.Events)
	m.core = core
	return m
}

// user stores a new user with role and returns them as an actor.
func (m *memoryCore) user(t *testing.T, role user.Role) user.Actor {
	t.Helper()
	m.users++
	u, err := user.New(uuid.NewString(), phone.MustParse(fmt.Sprintf("+99890000%04d", m.users)), role, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.store.Repos().Users.Create(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return user.Actor{UserID: u.ID(), Role: role}
}

func productChange(price *int64) product.Change { return product.Change{Price: price} }
