package acceptance

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/acceptance/testenv"
	"github.com/secondbloom/marketplace/adapters/cache"
	httpadapter "github.com/secondbloom/marketplace/adapters/http"
	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
)

// listItems returns the data array of a list response and its total.
func listItems(t *testing.T, r *testenv.Response) ([]map[string]any, int) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("list = %s, want 200", r)
	}
	raw, _ := r.Body["data"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, it := range raw {
		m, _ := it.(map[string]any)
		out = append(out, m)
	}
	meta, _ := r.Body["meta"].(map[string]any)
	pg, _ := meta["pagination"].(map[string]any)
	total, _ := pg["total"].(float64)
	return out, int(total)
}

// itemByID returns the list item with id, or nil.
func itemByID(items []map[string]any, id string) map[string]any {
	for _, it := range items {
		if it["id"] == id {
			return it
		}
	}
	return nil
}

// warmList reads path until the list cache answers it, so that the read
// after a write would be served stale if the write did not invalidate.
func warmList(t *testing.T, e *testenv.Env, path, token string) {
	t.Helper()
	before := e.System.Lists.Hits()
	for i := 0; e.System.Lists.Hits() == before; i++ {
		if i == 200 {
			t.Fatalf("GET %s was never served from the list cache, so this test would prove nothing", path)
		}
		if r := e.Get(t, path, token); r.Status != http.StatusOK {
			t.Fatalf("GET %s = %s", path, r)
		}
	}
}

func TestCachedListsShowEveryWriteAtOnce(t *testing.T) {
	testenv.ForEachBackend(t, catalogOptions(), func(t *testing.T, e *testenv.Env) {
		admin := e.SignIn(t, adminPhone)
		seller := e.SignIn(t, sellerPhone)
		buyer := e.SignIn(t, shopperPhone)
		mod := makeModerator(t, e, moderatorPhone)
		cat := mustCreate(t, e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Tulips"}), "category")
		list := "/api/v1/products?categoryId=" + cat["id"].(string)
		inStock := list + "&inStock=true&limit=20"

		warmList(t, e, list, "")
		p := mustCreate(t, e.Post(t, "/api/v1/products", seller.AccessToken, map[string]any{"title": "Tulips", "price": 100,
			"categoryId": cat["id"], "conditionId": freshestID, "sizeId": smallID}), "product")
		id := p["id"].(string)
		if r := e.Post(t, "/api/v1/products/"+id+"/approve", mod.AccessToken, nil); r.Status != http.StatusOK {
			t.Fatalf("approve = %s", r)
		}
		if items, total := listItems(t, e.Get(t, list, "")); itemByID(items, id) == nil || total != 1 {
			t.Fatalf("list right after approval = %v (total %d), want the product", items, total)
		}

		// Anonymous and signed-in callers share pages, and so do a query
		// with and without its defaults.
		warmList(t, e, list, "")
		hits := e.System.Lists.Hits()
		_ = e.Get(t, list, buyer.AccessToken)
		_ = e.Get(t, list+"&limit=20&page=1&sort=-createdAt&status=ACTIVE", "")
		if got := e.System.Lists.Hits() - hits; got != 2 {
			t.Errorf("signed-in and spelled-out reads of a cached page: %d hits, want 2", got)
		}

		steps := []struct {
			name  string
			path  string
			write func() *testenv.Response
			check func(items []map[string]any, total int) bool
		}{
			{"edit", list, func() *testenv.Response {
				return e.Patch(t, "/api/v1/products/"+id, admin.AccessToken, map[string]any{"price": 250})
			}, func(items []map[string]any, _ int) bool {
				it := itemByID(items, id)
				return it != nil && it["price"] == 250.0
			}},
			{"order takes the last item", inStock, func() *testenv.Response {
				return e.Post(t, "/api/v1/orders", buyer.AccessToken, map[string]any{"productId": id, "quantity": 1})
			}, func(items []map[string]any, total int) bool { return len(items) == 0 && total == 0 }},
			{"category renamed", "/api/v1/categories", func() *testenv.Response {
				return e.Patch(t, "/api/v1/categories/"+cat["id"].(string), admin.AccessToken, map[string]any{"name": "Tulipa"})
			}, func(items []map[string]any, _ int) bool {
				it := itemByID(items, cat["id"].(string))
				return it != nil && it["name"] == "Tulipa"
			}},
			{"size added", "/api/v1/sizes", func() *testenv.Response {
				return e.Post(t, "/api/v1/sizes", admin.AccessToken, map[string]any{"code": "tiny", "name": "Tiny"})
			}, func(_ []map[string]any, total int) bool { return total == 6 }},
			{"seller blocked", list, func() *testenv.Response {
				return e.Patch(t, "/api/v1/users/"+seller.UserID, admin.AccessToken, map[string]any{"status": "BLOCKED"})
			}, func(items []map[string]any, total int) bool { return len(items) == 0 && total == 0 }},
		}
		for _, s := range steps {
			warmList(t, e, s.path, "")
			if r := s.write(); r.Status != http.StatusOK && r.Status != http.StatusCreated {
				t.Fatalf("%s = %s", s.name, r)
			}
			if items, total := listItems(t, e.Get(t, s.path, "")); !s.check(items, total) {
				t.Errorf("GET %s right after %s = %v (total %d), want the new state", s.path, s.name, items, total)
			}
		}

		// Staff see blocked sellers' listings: their requests bypass the
		// pages cached for everyone else.
		if items, _ := listItems(t, e.Get(t, list, admin.AccessToken)); itemByID(items, id) == nil {
			t.Errorf("staff list after the seller was blocked = %v, want the product", items)
		}
	})
}

func TestTwoInstancesSeeEachOthersListWritesWithinASecond(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	open := func() *postgres.Store { return pgtest.Open(t, dsn) }
	store, storeB := open(), open()
	a := testenv.NewOnStore(t, testenv.Postgres, store, catalogOptions())
	b := testenv.NewOnStore(t, testenv.Postgres, storeB, catalogOptions())

	admin := a.SignIn(t, adminPhone)
	cat := mustCreate(t, a.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Shared"}), "category")
	p := mustCreate(t, a.Post(t, "/api/v1/products", admin.AccessToken, map[string]any{"title": "Peonies", "price": 100,
		"categoryId": cat["id"], "conditionId": freshestID, "sizeId": smallID}), "product")
	id := p["id"].(string)
	list := "/api/v1/products?categoryId=" + cat["id"].(string)

	eventually := func(what string, path string, ok func(items []map[string]any) bool) {
		t.Helper()
		deadline := time.Now().Add(time.Second)
		for {
			items, _ := listItems(t, b.Get(t, path, ""))
			if ok(items) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s on B a second after %s on A = %v", path, what, items)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// B caches the page (the creation's notification may reach B after
	// its first read, so read until B serves one from memory)...
	eventually("the creation", list, func(items []map[string]any) bool { return itemByID(items, id) != nil })
	warmList(t, b, list, "")
	warmList(t, b, "/api/v1/categories", "")
	// ...A writes, and B shows the change within a second.
	if r := a.Patch(t, "/api/v1/products/"+id, admin.AccessToken, map[string]any{"price": 175}); r.Status != http.StatusOK {
		t.Fatalf("PATCH on A = %s", r)
	}
	eventually("the edit", list, func(items []map[string]any) bool {
		it := itemByID(items, id)
		return it != nil && it["price"] == 175.0
	})
	if r := a.Patch(t, "/api/v1/categories/"+cat["id"].(string), admin.AccessToken, map[string]any{"name": "Common"}); r.Status != http.StatusOK {
		t.Fatalf("PATCH category on A = %s", r)
	}
	eventually("the rename", "/api/v1/categories", func(items []map[string]any) bool {
		it := itemByID(items, cat["id"].(string))
		return it != nil && it["name"] == "Common"
	})
}

// gatedLists holds the first Put after it is armed until released, so a
// test can commit writes between a reader's store query and its Put.
type gatedLists struct {
	inner   *cache.Lists
	armed   atomic.Bool
	reached chan struct{}
	release chan struct{}
}

var _ httpadapter.ListCache = (*gatedLists)(nil)

func (g *gatedLists) Generation(f string) uint64 { return g.inner.Generation(f) }
func (g *gatedLists) Get(f, key string) ([]byte, string, bool) {
	return g.inner.Get(f, key)
}

func (g *gatedLists) Put(f string, gen uint64, key string, body []byte, ct string) {
	if g.armed.CompareAndSwap(true, false) {
		g.reached <- struct{}{}
		<-g.release
	}
	g.inner.Put(f, gen, key, body, ct)
}

func TestAListReadRacingAWriteBurstLeavesNoStalePage(t *testing.T) {
	for _, b := range []testenv.Backend{testenv.Memory, testenv.Postgres} {
		t.Run(string(b), func(t *testing.T) {
			g := &gatedLists{reached: make(chan struct{}), release: make(chan struct{})}
			opt := catalogOptions()
			opt.HTTP = func(o *httpadapter.Options) { o.ListCache = g }
			e := testenv.New(t, b, opt)
			g.inner = e.System.Lists

			admin := e.SignIn(t, adminPhone)
			cat := mustCreate(t, e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Lilies"}), "category")
			p := mustCreate(t, e.Post(t, "/api/v1/products", admin.AccessToken, map[string]any{"title": "Lilies", "price": 100,
				"categoryId": cat["id"], "conditionId": freshestID, "sizeId": smallID}), "product")
			id := p["id"].(string)
			list := "/api/v1/products?categoryId=" + cat["id"].(string)
			price := func(r *testenv.Response) any {
				items, _ := listItems(t, r)
				if it := itemByID(items, id); it != nil {
					return it["price"]
				}
				return nil
			}

			// The reader queries the store (price 100) and stops before
			// storing its page; a burst of writes commits meanwhile.
			g.armed.Store(true)
			read := make(chan *testenv.Response)
			go func() { read <- e.Get(t, list, "") }()
			<-g.reached
			for i := 1; i <= 5; i++ {
				if r := e.Patch(t, "/api/v1/products/"+id, admin.AccessToken, map[string]any{"price": 100 + i}); r.Status != http.StatusOK {
					t.Fatalf("PATCH %d = %s", i, r)
				}
			}
			close(g.release)
			if got := price(<-read); got != 100.0 {
				t.Fatalf("the racing read = %v, want the price it read before the writes (100)", got)
			}
			// Its page must not be served now: every later read sees the
			// last write, from the store and then from the cache.
			for i := range 3 {
				if got := price(e.Get(t, list, "")); got != 105.0 {
					t.Fatalf("read %d after the burst: price %v, want 105", i+1, got)
				}
			}
			if e.System.Lists.Hits() == 0 {
				t.Error("no read after the burst was served from the cache, so this test proves less than it claims")
			}
		})
	}
}
