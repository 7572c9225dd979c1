package acceptance

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/secondbloom/marketplace/acceptance/testenv"
	"github.com/secondbloom/marketplace/adapters/cache"
	"github.com/secondbloom/marketplace/app"
)

// BenchmarkProductList measures one GET /api/v1/products?categoryId=..&limit=20
// through the whole in-process stack (every middleware, no network) on
// the memory store with 500 products in the category: served from the
// list cache (hit), and rendered afresh because a write bumped the
// generation just before (miss: query, render, store).
//
//	go test -run '^$' -bench ProductList -benchmem ./acceptance/
func BenchmarkProductList(b *testing.B) {
	e := testenv.New(b, testenv.Memory, testenv.Options{AdminPhones: []string{adminPhone},
		Configure: func(c *app.Config) { c.ProductModeration = false }})
	admin := e.SignIn(b, adminPhone)
	cat := e.Post(b, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Bench"})
	if cat.Status != http.StatusCreated {
		b.Fatalf("category = %s", cat)
	}
	catID := cat.Data()["id"].(string)
	for i := range 500 {
		r := e.Post(b, "/api/v1/products", admin.AccessToken, map[string]any{
			"title":       map[string]string{"uz": fmt.Sprintf("Atirgul %d", i), "ru": fmt.Sprintf("Роза %d", i), "en": fmt.Sprintf("Rose %d", i)},
			"description": "Yangi kesilgan gullar, bir kun oldin.", "price": 10000 + i, "quantity": 3,
			"categoryId": catID, "conditionId": freshestID, "sizeId": smallID})
		if r.Status != http.StatusCreated {
			b.Fatalf("product %d = %s", i, r)
		}
	}
	handler := e.Server.App().Handler()
	uri := "/api/v1/products?categoryId=" + catID + "&limit=20"
	get := func(b *testing.B) {
		var ctx fasthttp.RequestCtx
		ctx.Request.SetRequestURI(uri)
		ctx.Request.Header.SetMethod(fasthttp.MethodGet)
		ctx.Request.Header.Set("Accept-Language", "ru")
		handler(&ctx)
		if ctx.Response.StatusCode() != http.StatusOK {
			b.Fatalf("GET = %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
	b.Run("hit", func(b *testing.B) {
		get(b)
		hits := e.System.Lists.Hits()
		b.ReportAllocs()
		for b.Loop() {
			get(b)
		}
		if e.System.Lists.Hits()-hits < int64(b.N) {
			b.Fatalf("%d hits in %d reads", e.System.Lists.Hits()-hits, b.N)
		}
	})
	b.Run("miss", func(b *testing.B) {
		hits := e.System.Lists.Hits()
		b.ReportAllocs()
		for b.Loop() {
			e.System.Lists.Bump(cache.FamilyProducts)
			get(b)
		}
		if e.System.Lists.Hits() != hits {
			b.Fatal("a read after a bump was served from the cache")
		}
	})
}
