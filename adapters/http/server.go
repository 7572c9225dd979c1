// Package http is the Fiber v2 adapter: it serves the API described in
// docs/API.md over the application core. It owns the envelope, the
// error-to-status table (errors.go), strict JSON decoding (decode.go),
// request ids, authentication and the per-IP limits.
package http

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/ports"
)

// BodyLimit is the largest request body accepted.
const BodyLimit = 1 << 20

// Options configure the adapter.
type Options struct {
	// Version is reported by the health routes.
	Version string
	// OTPPerIP is how many send-otp and verify-otp requests one client IP
	// may make per OTPWindow; 0 means 30.
	OTPPerIP int
	// OTPWindow is the window of OTPPerIP; 0 means 5 minutes.
	OTPWindow time.Duration
	// Logger receives one line per request; nil means slog.Default().
	Logger *slog.Logger
	// Reporter receives internal errors and panics; nil reports nothing.
	Reporter ports.ErrorReporter
	// Middleware runs first on every request (for example error tracking
	// or metrics); it may be empty.
	Middleware []fiber.Handler
	// RequestTimeout, when set, is the deadline of the context every
	// handler passes to the core, so a request whose database stopped
	// answering (a network partition, not only refused connections) fails
	// with 503 UNAVAILABLE in bounded time. 0 means no deadline.
	RequestTimeout time.Duration
	// MetricsHandler, when set, serves GET /metrics (outside /api/v1, not
	// enveloped, no auth).
	MetricsHandler fiber.Handler
	// MediaMaxBytes is the largest photo upload; 0 means
	// DefaultMediaMaxBytes. The whole multipart body may be 64 KiB more.
	MediaMaxBytes int64
	// MediaPublicURL is the base URL photos are served from (a CDN). Empty
	// means this server serves them under /media/ and links are
	// server-relative.
	MediaPublicURL string

	// TrustedProxies are the networks of the proxies whose X-Forwarded-For
	// is believed (see clientIP). Empty: the TCP peer is the client.
	TrustedProxies []netip.Prefix
	// RateLimiter counts the per-IP limits; give every instance on one
	// database the store's, so they share one budget. nil counts in this
	// process only.
	RateLimiter ports.RateLimiter
	// CORSAllowedOrigins are the origins (scheme://host[:port], lower
	// case) browsers may call the API from. Empty sends no CORS headers.
	CORSAllowedOrigins []string
	// MetricsToken, when set, is the bearer token GET /metrics requires.
	MetricsToken string
	// ReadTimeout bounds the reading of one request (line, headers and
	// body); one that is not in by then is refused with 408. 0 means 30 s.
	ReadTimeout time.Duration

	// ListCache, when set, keeps the public list pages (products,
	// categories, reference data) as rendered; see cachedList. nil
	// renders every list afresh.
	ListCache ListCache

	// DefaultLocale is the locale of requests that name none the server
	// supports; "" means uz.
	DefaultLocale i18n.Locale
	// AuctionStreamsPerIP caps the auction streams one client IP holds
	// open on this server (not across instances); 0 means
	// AuctionStreamsPerIP (20).
	AuctionStreamsPerIP int

	mediaBase string
}

// Server is the HTTP face of the core.
type Server struct {
	core     *app.App
	opt      Options
	fiber    *fiber.App
	started  time.Time
	draining atomic.Bool
	otpLimit ports.RateLimiter
	origins  map[string]bool
	// drainCtx is cancelled by StartDraining, which ends the open event
	// streams.
	drainCtx       context.Context
	drain          context.CancelFunc
	streamsOpen    atomic.Int64
	auctionStreams ipStreams
	// rendered keeps product pages rendered (see respondProduct).
	rendered *renderedProducts
}

// New builds the Fiber app with every route registered.
func New(core *app.App, opt Options) *Server {
	if opt.OTPPerIP == 0 {
		opt.OTPPerIP = 30
	}
	if opt.OTPWindow == 0 {
		opt.OTPWindow = 5 * time.Minute
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if !opt.DefaultLocale.Valid() {
		opt.DefaultLocale = i18n.Uzbek
	}
	if opt.Reporter == nil {
		opt.Reporter = nopReporter{}
	}
	if opt.MediaMaxBytes <= 0 {
		opt.MediaMaxBytes = DefaultMediaMaxBytes
	}
	opt.mediaBase = "/media/"
	if opt.MediaPublicURL != "" {
		opt.mediaBase = strings.TrimSuffix(opt.MediaPublicURL, "/") + "/"
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = 30 * time.Second
	}
	if opt.AuctionStreamsPerIP <= 0 {
		opt.AuctionStreamsPerIP = AuctionStreamsPerIP
	}
	s := &Server{core: core, opt: opt, started: time.Now(), otpLimit: opt.RateLimiter, origins: map[string]bool{},
		rendered: newRenderedProducts()}
	if s.otpLimit == nil {
		s.otpLimit = newLimiter()
	}
	for _, o := range opt.CORSAllowedOrigins {
		s.origins[o] = true
	}
	s.auctionStreams = ipStreams{n: map[string]int{}, max: opt.AuctionStreamsPerIP}
	s.drainCtx, s.drain = context.WithCancel(context.Background())
	s.fiber = fiber.New(fiber.Config{
		AppName:   "secondbloom",
		BodyLimit: BodyLimit,
		// Multipart bodies stay raw bytes: the upload handler reads its
		// one part itself, and fasthttp spills nothing to temporary files.
		DisablePreParseMultipartForm: true,
		DisableStartupMessage:        true,
		ErrorHandler:                 s.handleError,
		// Values from the request (params, headers, body) are copied, so
		// nothing the core keeps can be overwritten when fasthttp reuses
		// its buffers for the next request.
		Immutable:    true,
		ReadTimeout:  opt.ReadTimeout,
		WriteTimeout: 30 * time.Second,
		IdleTimeout:  2 * time.Minute,
		// Fasthttp needs the request line and every header in its read
		// buffer at once; a request that does not fit is a 431.
		ReadBufferSize: MaxHeaderBytes,
	})
	// The body limit is per route: fasthttp learns it from the request
	// header, before reading the body, so an upload is read up to its own
	// limit and every other request up to BodyLimit; a longer declared or
	// chunked body is refused with 413 without being buffered.
	uploadLimit := s.uploadLimit()
	s.fiber.Server().HeaderReceived = func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
		path, _, _ := strings.Cut(string(h.RequestURI()), "?")
		if string(h.Method()) == fiber.MethodPost && path == uploadPath {
			return fasthttp.RequestConfig{MaxRequestBodySize: uploadLimit}
		}
		return fasthttp.RequestConfig{}
	}
	s.guardTransport()
	s.fiber.Use(s.requestIDs, s.logRequests, s.recoverPanics)
	for _, m := range opt.Middleware {
		s.fiber.Use(m)
	}
	if len(opt.Middleware) > 0 {
		// Recover again inside the middleware, so a handler's panic reaches
		// them (and the error tracker) as an ordinary 500 error rather than
		// as a panic they might capture a second time.
		s.fiber.Use(s.recoverPanics)
	}
	// After the middleware, so refused requests are counted like others.
	if len(s.origins) > 0 {
		s.fiber.Use(s.cors)
	}
	s.fiber.Use(s.refuseBadTransport)
	if opt.RequestTimeout > 0 {
		s.fiber.Use(s.requestDeadline)
	}
	s.routes()
	return s
}

// requestDeadline bounds the context handed to the core by RequestTimeout.
func (s *Server) requestDeadline(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), s.opt.RequestTimeout)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}

// guardStore hands the core a context that the store's circuit breaker
// cancels when the database goes away, so requests fail with 503 at once
// instead of hanging on dead connections.
func (s *Server) guardStore(c *fiber.Ctx) error {
	ctx, done := s.core.Health.Guard(c.UserContext())
	defer done()
	c.SetUserContext(ctx)
	return c.Next()
}

// routes registers every route. Each area lives in its own file; the
// OpenAPI test checks this list against openapi.json.
func (s *Server) routes() {
	s.fiber.Get("/api/v1/openapi.json", s.negotiateLocale, s.openAPI)
	s.docsRoutes()
	if s.opt.MetricsHandler != nil {
		s.fiber.Get("/metrics", s.requireMetricsToken, s.opt.MetricsHandler)
	}

	v1 := s.fiber.Group("/api/v1")
	v1.Use(s.negotiateLocale)
	s.healthRoutes(v1)
	// Routes after this point touch the store; health routes must not be
	// cut short by the breaker, whose state they report.
	v1.Use(s.guardStore)
	s.authRoutes(v1)
	s.catalogRoutes(v1)
	s.auctionRoutes(v1)
	s.orderRoutes(v1)
	s.referenceRoutes(v1)
	s.userRoutes(v1)
	s.mediaRoutes(v1)
	if s.opt.MediaPublicURL == "" {
		s.fiber.Get("/media/:key", s.serveMedia)
	}
	s.notificationRoutes(v1)

	s.fiber.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

// App returns the Fiber app, for Listen and for tests (app.Test).
func (s *Server) App() *fiber.App { return s.fiber }

// Listen serves on addr until Shutdown.
func (s *Server) Listen(addr string) error { return s.fiber.Listen(addr) }

// StartDraining makes readiness answer 503 from now on, so load balancers
// stop sending traffic before the server stops. Requests keep being served
// normally until Shutdown; open event streams end at once, and their
// clients reconnect elsewhere.
func (s *Server) StartDraining() {
	s.draining.Store(true)
	s.drain()
}

// Draining reports whether StartDraining was called, for readiness
// signals outside this adapter (the secondbloom_ready gauge).
func (s *Server) Draining() bool { return s.draining.Load() }

// Shutdown stops accepting connections and waits, up to ctx's deadline,
// for in-flight requests to finish.
func (s *Server) Shutdown(ctx context.Context) error { return s.fiber.ShutdownWithContext(ctx) }

// nopReporter stands in when Options.Reporter is nil.
type nopReporter struct{}

func (nopReporter) Report(context.Context, error, map[string]string) {}
func (nopReporter) Flush(time.Duration)                              {}
