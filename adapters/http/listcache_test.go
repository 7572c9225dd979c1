package http

import (
	"io"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/secondbloom/marketplace/adapters/cache"
	"github.com/secondbloom/marketplace/domain/i18n"
)

// listCacheApp serves GET /list through cachedList with a handler that
// counts its calls and answers with the query it saw.
func listCacheApp(t *testing.T) (*fiber.App, *int) {
	t.Helper()
	s := &Server{opt: Options{ListCache: cache.NewLists(cache.ListOptions{}), DefaultLocale: i18n.Uzbek}}
	app := fiber.New()
	calls := new(int)
	app.Get("/list", s.negotiateLocale, s.cachedList(listCategories, pageDefaults, nil), func(c *fiber.Ctx) error {
		*calls++
		if c.Query("fail") != "" {
			return fiber.ErrBadRequest
		}
		return c.JSON(fiber.Map{"query": string(c.Request().URI().QueryString())})
	})
	return app, calls
}

func getList(t *testing.T, app *fiber.App, target, lang string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", target, nil)
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	resp, err := app.Test(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestListKeyNormalisesTheQuery(t *testing.T) {
	tests := []struct {
		name       string
		first, and string
		lang       [2]string
		shared     bool
	}{
		{"parameter order", "/list?b=2&a=1", "/list?a=1&b=2", [2]string{}, true},
		{"default limit and page spelled out", "/list", "/list?limit=20&page=1", [2]string{}, true},
		{"space spelled two ways", "/list?q=red+rose", "/list?q=red%20rose", [2]string{}, true},
		{"another limit", "/list", "/list?limit=21", [2]string{}, false},
		{"another page", "/list", "/list?page=2", [2]string{}, false},
		{"page 1 is not filled in next to a cursor", "/list?cursor=x", "/list?cursor=x&page=1", [2]string{}, false},
		{"another language", "/list", "/list", [2]string{"ru", "en"}, false},
		{"same language spelled two ways", "/list", "/list", [2]string{"ru", "ru-RU"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app, calls := listCacheApp(t)
			getList(t, app, tc.first, tc.lang[0])
			status, _ := getList(t, app, tc.and, tc.lang[1])
			if status != fiber.StatusOK {
				t.Fatalf("status %d", status)
			}
			if shared := *calls == 1; shared != tc.shared {
				t.Errorf("%s then %s: handler ran %d times, want shared=%v", tc.first, tc.and, *calls, tc.shared)
			}
		})
	}
}

func TestListCacheKeepsOnlySuccessfulPages(t *testing.T) {
	app, calls := listCacheApp(t)
	for range 2 {
		if status, _ := getList(t, app, "/list?fail=1", ""); status != fiber.StatusBadRequest {
			t.Fatalf("status %d, want 400", status)
		}
	}
	if *calls != 2 {
		t.Errorf("a refused request was answered from the cache (%d handler runs, want 2)", *calls)
	}
	_, first := getList(t, app, "/list?b=2&a=1", "")
	_, second := getList(t, app, "/list?a=1&b=2", "")
	if first != second || *calls != 3 {
		t.Errorf("cached page %q differs from the rendered one %q (handler runs %d)", second, first, *calls)
	}
}

// BenchmarkCachedListHit measures the wrapper alone on a hit: the key
// (query sorted and re-escaped, locale) and the lookup, without the
// server's other middleware.
//
//	go test -run '^$' -bench CachedListHit -benchmem ./adapters/http/
func BenchmarkCachedListHit(b *testing.B) {
	s := &Server{opt: Options{ListCache: cache.NewLists(cache.ListOptions{}), DefaultLocale: i18n.Uzbek}}
	app := fiber.New()
	page := []byte(`{"success":true,"data":[],"meta":{"pagination":{"page":1,"limit":20,"total":0}}}`)
	app.Get("/api/v1/products", s.negotiateLocale, s.cachedList(listProducts, productDefaults, privateProductList), func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(page)
	})
	handler := app.Handler()
	get := func() {
		var ctx fasthttp.RequestCtx
		ctx.Request.SetRequestURI("/api/v1/products?categoryId=0193a000-0000-7000-8000-000000000003&limit=20&sort=price")
		ctx.Request.Header.SetMethod(fasthttp.MethodGet)
		ctx.Request.Header.Set("Accept-Language", "ru")
		handler(&ctx)
		if ctx.Response.StatusCode() != fiber.StatusOK {
			b.Fatal(ctx.Response.StatusCode())
		}
	}
	get()
	b.ReportAllocs()
	for b.Loop() {
		get()
	}
}
