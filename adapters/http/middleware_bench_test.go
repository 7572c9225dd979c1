package http_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/secondbloom/marketplace/adapters/cache"
	"github.com/secondbloom/marketplace/adapters/clock"
	httpadapter "github.com/secondbloom/marketplace/adapters/http"
	"github.com/secondbloom/marketplace/adapters/jwt"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/adapters/metrics"
	"github.com/secondbloom/marketplace/adapters/sentry"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/reference"
)

// BenchmarkProductRequest runs one cached GET /api/v1/products/{id}
// through the whole Fiber app, in memory (a fasthttp.RequestCtx handed to
// the server's handler: no network, no app.Test), once with every
// middleware the production server has and once with each of them taken
// away or added, so the difference to "all" is what that middleware costs:
//
//	go test -run '^$' -bench BenchmarkProductRequest -benchmem ./adapters/http/
//	go test -run '^$' -bench 'BenchmarkProductRequest/all$' -cpuprofile cpu.out -memprofile mem.out ./adapters/http/
//
// "all" is the production chain: request ids (the client's), the JSON
// request log at info, panic recovery, Sentry (tracing at the production
// rate 0.1, events to a local sink) and metrics, the store guard, locale
// negotiation (Accept-Language sent), optional auth (anonymous), the
// product cache (a hit) and rendering. ns/op is noisy on a shared machine;
// allocs/op is the steadier measure.
func BenchmarkProductRequest(b *testing.B) {
	type variant struct {
		name string
		cfg  benchConfig
	}
	all := benchConfig{log: true, sentry: true, metrics: true, clientRequestID: true, acceptLanguage: true}
	variants := []variant{
		{"all", all},
		{"no-log", with(all, func(c *benchConfig) { c.log = false })},
		{"no-sentry", with(all, func(c *benchConfig) { c.sentry = false })},
		{"sentry-untraced", with(all, func(c *benchConfig) { c.traceRate = -1 })},
		{"no-metrics", with(all, func(c *benchConfig) { c.metrics = false })},
		{"generated-request-id", with(all, func(c *benchConfig) { c.clientRequestID = false })},
		{"no-accept-language", with(all, func(c *benchConfig) { c.acceptLanguage = false })},
		{"plus-cors", with(all, func(c *benchConfig) { c.cors = true })},
		{"plus-request-timeout", with(all, func(c *benchConfig) { c.timeout = true })},
		{"plus-bearer-token", with(all, func(c *benchConfig) { c.bearer = true })},
		{"none", benchConfig{clientRequestID: true}},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			h, req := newBenchServer(b, v.cfg)
			var fctx fasthttp.RequestCtx
			remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
			b.ReportAllocs()
			for b.Loop() {
				// As fasthttp's server does between two requests of a
				// connection (else the user context chains up).
				fctx.ResetUserValues()
				fctx.Init(req, remote, nil)
				h(&fctx)
				if fctx.Response.StatusCode() != http.StatusOK {
					b.Fatalf("status %d: %s", fctx.Response.StatusCode(), fctx.Response.Body())
				}
			}
		})
	}
}

type benchConfig struct {
	log, sentry, metrics, cors, timeout     bool
	clientRequestID, acceptLanguage, bearer bool
	// traceRate is Sentry's traces sample rate: 0 means the production
	// default 0.1, -1 none (errors only).
	traceRate float64
}

func with(c benchConfig, f func(*benchConfig)) benchConfig { f(&c); return c }

// newBenchServer builds the server over the memory store and the product
// cache, with one ACTIVE product in three languages already cached, and
// returns the handler fasthttp would call and the request to send.
func newBenchServer(b *testing.B, cfg benchConfig) (fasthttp.RequestHandler, *fasthttp.Request) {
	store := memory.New()
	tokens, _ := jwt.New([]byte(strings.Repeat("k", 32)))
	repos := store.Repos()
	var mtr *metrics.Metrics
	copts := cache.Options{SizeMB: 8}
	if cfg.metrics {
		mtr = metrics.New()
		copts.Counter = mtr.Cache("products")
	}
	products, err := cache.New(repos.Products, copts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = products.Close() })
	repos.Products = products
	const number = "+998935550001"
	core, err := app.New(app.Deps{Tx: store, Repos: repos, Clock: clock.System{}, Pinger: store, SMS: benchSMS{}, Tokens: tokens,
		ProductCache: products,
		Config:       app.Config{CodeHashKey: []byte(strings.Repeat("h", 32)), TestCodes: map[string]auth.Code{number: "123456"}}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	num, _ := phone.Parse(number)
	if _, err := core.Auth.SendCode(ctx, num); err != nil {
		b.Fatal(err)
	}
	signIn, err := core.Auth.VerifyCode(ctx, num, "123456")
	if err != nil {
		b.Fatal(err)
	}
	id := createBenchProduct(b, store, signIn.User.ID())

	opt := httpadapter.Options{Logger: slog.New(slog.DiscardHandler)}
	if cfg.log {
		// What the server does, minus the file descriptor.
		opt.Logger = slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if cfg.sentry {
		sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
		}))
		b.Cleanup(sink.Close)
		rate := 0.1
		if cfg.traceRate != 0 {
			rate = max(cfg.traceRate, 0)
		}
		r, err := sentry.New(sentry.Options{DSN: "http://key@" + strings.TrimPrefix(sink.URL, "http://") + "/1",
			Environment: "production", TracesSampleRate: rate})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { r.Flush(time.Second) })
		opt.Reporter = r
		opt.Middleware = append(opt.Middleware, r.Middleware()...)
	}
	if cfg.metrics {
		opt.Middleware = append(opt.Middleware, mtr.Middleware())
		opt.MetricsHandler = mtr.Handler()
	}
	if cfg.cors {
		opt.CORSAllowedOrigins = []string{"https://shop.example"}
	}
	if cfg.timeout {
		opt.RequestTimeout = 10 * time.Second
	}
	s := httpadapter.New(core, opt)

	req := &fasthttp.Request{}
	req.Header.SetMethod(http.MethodGet)
	req.SetRequestURI("/api/v1/products/" + id)
	req.Header.SetHost("api.example")
	if cfg.clientRequestID {
		req.Header.Set(httpadapter.HeaderRequestID, "bench-0001")
	}
	if cfg.acceptLanguage {
		req.Header.Set("Accept-Language", "ru-RU,ru;q=0.9,en;q=0.8")
	}
	if cfg.cors {
		req.Header.Set("Origin", "https://shop.example")
	}
	if cfg.bearer {
		req.Header.Set("Authorization", "Bearer "+signIn.AccessToken)
	}
	// Handler builds Fiber's route tree (as Listen does); the server's own
	// handler is the one fasthttp calls, with the adapter's transport
	// guard around Fiber's.
	_ = s.App().Handler()
	h := s.App().Server().Handler
	// The first request fills the cache.
	var fctx fasthttp.RequestCtx
	fctx.Init(req, nil, nil)
	h(&fctx)
	if fctx.Response.StatusCode() != http.StatusOK {
		b.Fatalf("warm-up: status %d: %s", fctx.Response.StatusCode(), fctx.Response.Body())
	}
	return h, req
}

// createBenchProduct stores an ACTIVE product with texts in the three
// languages and one image, and returns its id.
func createBenchProduct(b *testing.B, store *memory.Store, sellerID string) string {
	ctx := context.Background()
	now := time.Now()
	r := store.Repos()
	cat, err := category.New("0193a000-0000-7000-8000-0000000000c1", i18n.Rehydrate(map[i18n.Locale]string{i18n.English: "Roses"}), "roses", "", 0, now)
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Categories.Create(ctx, cat); err != nil {
		b.Fatal(err)
	}
	var condition, size string
	for _, f := range reference.Seed() {
		switch f.Code {
		case "good-condition":
			condition = f.ID
		case "medium":
			size = f.ID
		}
	}
	text := func(uz, ru, en string) i18n.Localized {
		return i18n.Rehydrate(map[i18n.Locale]string{i18n.Uzbek: uz, i18n.Russian: ru, i18n.English: en})
	}
	p, err := product.New(product.NewParams{ID: "0193a000-0000-7000-8000-000000000a01", Slug: "qizil-atirgullar",
		Title:       text("Qizil atirgullar", "Красные розы", "Red roses"),
		Description: text("25 ta qizil atirgul, bir kun oldin kesilgan.", "25 красных роз, срезаны вчера.", "25 red roses, cut a day ago."),
		Class:       product.Classification{ConditionID: condition, SizeID: size},
		Price:       150000, Quantity: 3, CategoryID: cat.ID(), SellerID: sellerID, Publish: true}, now)
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Products.Create(ctx, p); err != nil {
		b.Fatal(err)
	}
	return p.ID()
}

// benchSMS sends nothing; the benchmark's phone has a fixed test code.
type benchSMS struct{}

func (benchSMS) SendCode(context.Context, phone.Number, auth.Code) error { return nil }
