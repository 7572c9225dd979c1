package acceptance

import (
	"net/http"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/acceptance/testenv"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
)

func TestCachedProductPagesShowEveryWriteAtOnce(t *testing.T) {
	for _, b := range []testenv.Backend{testenv.Memory, testenv.Postgres} {
		t.Run(string(b), func(t *testing.T) {
			var store testenv.Store
			if b == testenv.Memory {
				store = memory.New()
			} else {
				store = pgtest.New(t)
			}
			e := testenv.NewOnStore(t, b, store, catalogOptions())
			admin := e.SignIn(t, adminPhone)
			seller := e.SignIn(t, sellerPhone)
			mod := makeModerator(t, e, moderatorPhone)
			cat := mustCreate(t, e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Roses"}), "category")
			p := mustCreate(t, e.Post(t, "/api/v1/products", seller.AccessToken, map[string]any{"title": "Roses", "price": 100, "categoryId": cat["id"], "conditionId": freshestID, "sizeId": smallID}), "product")
			id := p["id"].(string)
			steps := []struct {
				name  string
				write func() *testenv.Response
				check func(d map[string]any) bool
			}{
				{"approve", func() *testenv.Response { return e.Post(t, "/api/v1/products/"+id+"/approve", mod.AccessToken, nil) },
					func(d map[string]any) bool { return d["status"] == "ACTIVE" }},
				{"edit by staff", func() *testenv.Response {
					return e.Patch(t, "/api/v1/products/"+id, admin.AccessToken, map[string]any{"price": 250})
				},
					func(d map[string]any) bool { return d["price"] == 250.0 }},
			}
			for _, s := range steps {
				// Warm the cache, write, and read at once on the same instance.
				if r := e.Get(t, "/api/v1/products/"+id, seller.AccessToken); r.Status != http.StatusOK {
					t.Fatalf("GET before %s = %s", s.name, r)
				}
				if r := s.write(); r.Status != http.StatusOK {
					t.Fatalf("%s = %s", s.name, r)
				}
				for _, path := range []string{"/api/v1/products/" + id, "/api/v1/products/slug/roses"} {
					if r := e.Get(t, path, seller.AccessToken); r.Status != http.StatusOK || !s.check(r.Data()) {
						t.Errorf("GET %s right after %s = %s, want the new state", path, s.name, r)
					}
				}
			}
			// Orders change stock inside their own transactions; the store
			// evicts on commit, so the next read is fresh on this instance.
			buyer := e.SignIn(t, shopperPhone)
			_ = e.Get(t, "/api/v1/products/"+id, "")
			o := e.Post(t, "/api/v1/orders", buyer.AccessToken, map[string]any{"productId": id, "quantity": 1})
			if o.Status != http.StatusCreated {
				t.Fatalf("order = %s", o)
			}
			if r := e.Get(t, "/api/v1/products/"+id, ""); r.Status != http.StatusOK || r.Data()["quantity"] != 0.0 {
				t.Errorf("GET right after an order took the last item = %s, want quantity 0", r)
			}
			if r := e.Post(t, "/api/v1/orders/"+o.Data()["id"].(string)+"/cancel", buyer.AccessToken, map[string]string{"reason": "oops"}); r.Status != http.StatusOK {
				t.Fatalf("cancel = %s", r)
			}
			if r := e.Get(t, "/api/v1/products/"+id, ""); r.Status != http.StatusOK || r.Data()["quantity"] != 1.0 {
				t.Errorf("GET right after the cancellation = %s, want quantity 1", r)
			}
			_ = e.Get(t, "/api/v1/products/"+id, "")
			if r := e.Delete(t, "/api/v1/products/"+id, seller.AccessToken); r.Status != http.StatusNoContent {
				t.Fatalf("archive = %s", r)
			}
			if r := e.Get(t, "/api/v1/products/"+id, ""); r.Status != http.StatusNotFound {
				t.Errorf("anonymous GET right after archive = %s, want 404 (not a cached ACTIVE copy)", r)
			}
		})
	}
}

func TestTwoInstancesOnOneDatabaseSeeEachOthersWritesWithinASecond(t *testing.T) {
	// Two instances: each has its own connection pool and its own cache,
	// as two processes would.
	dsn := pgtest.NewDatabase(t)
	open := func() *postgres.Store { return pgtest.Open(t, dsn) }
	store, storeB := open(), open()
	a := testenv.NewOnStore(t, testenv.Postgres, store, catalogOptions())
	b := testenv.NewOnStore(t, testenv.Postgres, storeB, catalogOptions())

	admin := a.SignIn(t, adminPhone)
	cat := mustCreate(t, a.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Shared"}), "category")
	p := mustCreate(t, a.Post(t, "/api/v1/products", admin.AccessToken, map[string]any{"title": "Peonies", "price": 100, "categoryId": cat["id"], "conditionId": freshestID, "sizeId": smallID}), "product")
	id := p["id"].(string)

	// Instance B caches the product. The creation's notification may
	// reach B after its first read and evict it, so read until a read is
	// served from B's cache.
	for i := 0; b.System.Cache.Hits() == 0; i++ {
		if i == 200 {
			t.Fatal("B served no read from its cache, so this test would prove nothing")
		}
		if r := b.Get(t, "/api/v1/products/"+id, ""); r.Status != http.StatusOK || r.Data()["price"] != 100.0 {
			t.Fatalf("GET on B = %s, want price 100", r)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// ...instance A changes it, and B shows the change within a second.
	if r := a.Patch(t, "/api/v1/products/"+id, admin.AccessToken, map[string]any{"price": 175}); r.Status != http.StatusOK {
		t.Fatalf("PATCH on A = %s", r)
	}
	deadline := time.Now().Add(time.Second)
	for {
		r := b.Get(t, "/api/v1/products/"+id, "")
		if r.Status == http.StatusOK && r.Data()["price"] == 175.0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET on B a second after the write = %s, want price 175", r)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
