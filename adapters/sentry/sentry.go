// Package sentry is the error-reporting adapter: it implements
// ports.ErrorReporter with sentry-go, and its Fiber middleware gives every
// request, at the traces sample rate, a performance transaction named by
// its route template, and every event reported during a request the
// request's method, URL, headers and body (scrubbed).
//
// The middleware does per request only what the request may need: an
// untraced request costs a context value; the hub is cloned, the request
// converted for sentry-go and the transaction started only for a traced
// request (or an incoming sentry-trace header, whose decision is
// followed), and the request is described to an event only when one is
// reported. sentry-go's own Fiber middleware did all of it on every
// request (about a hundred allocations).
//
// Nothing that must stay on the server leaves it: a BeforeSend scrubber
// (scrub.go) removes one-time codes, tokens, Authorization and Cookie
// headers, the bodies of auth routes and DSN credentials, and masks phone
// numbers, from error events and transactions alike. In production only
// events of level error or fatal are sent, so nothing below a 5xx leaves.
//
// Reports never wait on the network: sentry-go queues events for a
// background worker and drops them when its queue is full. Flush, called on
// shutdown, is the only call that waits.
package sentry

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	sentrygo "github.com/getsentry/sentry-go"
	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/ports"
)

var _ ports.ErrorReporter = (*Reporter)(nil)

// Options configure the reporter.
type Options struct {
	// DSN is the project's Sentry DSN; empty turns reporting off.
	DSN string
	// Environment is APP_ENV (development, test or production).
	Environment string
	// Release is the build's version.
	Release string
	// TracesSampleRate is the share of requests traced, from 0 to 1.
	TracesSampleRate float64
	// SendTimeout bounds one delivery attempt of the background worker;
	// 0 means 5 s. Requests never wait for it.
	SendTimeout time.Duration
}

// Reporter sends internal errors to Sentry. The zero value and the one New
// returns for an empty DSN report nothing.
type Reporter struct {
	hub        *sentrygo.Hub
	production bool
	// sampleRate is Options.TracesSampleRate: the middleware decides
	// itself, so an untraced request starts no transaction at all.
	sampleRate float64
}

// New returns a Reporter for opt. With an empty DSN it returns a no-op
// reporter and a nil error; it returns an error when the DSN is malformed
// (the error never contains the DSN).
func New(opt Options) (*Reporter, error) {
	r := &Reporter{production: opt.Environment == "production", sampleRate: opt.TracesSampleRate}
	if opt.DSN == "" {
		return r, nil
	}
	if opt.SendTimeout == 0 {
		opt.SendTimeout = 5 * time.Second
	}
	transport := sentrygo.NewHTTPTransport()
	transport.Timeout = opt.SendTimeout
	client, err := sentrygo.NewClient(sentrygo.ClientOptions{
		Dsn:                   opt.DSN,
		Environment:           opt.Environment,
		Release:               opt.Release,
		EnableTracing:         opt.TracesSampleRate > 0,
		TracesSampleRate:      opt.TracesSampleRate,
		AttachStacktrace:      true,
		SendDefaultPII:        false,
		Transport:             transport,
		BeforeSend:            r.beforeSend,
		BeforeSendTransaction: func(e *sentrygo.Event, _ *sentrygo.EventHint) *sentrygo.Event { return scrubEvent(e) },
	})
	if err != nil {
		// sentry-go's message may quote the DSN, which holds the key.
		return nil, errors.New("sentry: invalid DSN")
	}
	r.hub = sentrygo.NewHub(client, sentrygo.NewScope())
	return r, nil
}

// Enabled reports whether events are sent anywhere.
func (r *Reporter) Enabled() bool { return r != nil && r.hub != nil }

// beforeSend drops what must not be sent and scrubs the rest.
func (r *Reporter) beforeSend(e *sentrygo.Event, hint *sentrygo.EventHint) *sentrygo.Event {
	// The HTTP adapter recovers panics and reports them through Report,
	// with the route, request id and user id. A panic event captured with
	// a Fiber context (as sentry-go's own Fiber middleware, no longer
	// used, captured them) would be a second copy, so it is dropped.
	if hint != nil && hint.RecoveredException != nil && hint.Context != nil {
		if _, ok := hint.Context.Value(sentrygo.RequestContextKey).(*fiber.Ctx); ok {
			return nil
		}
	}
	if r.production {
		if e.Level != sentrygo.LevelError && e.Level != sentrygo.LevelFatal {
			return nil
		}
		if s, err := strconv.Atoi(e.Tags["status"]); err == nil && s < 500 {
			return nil
		}
	}
	return scrubEvent(e)
}

// Report sends err with tags (route, request_id, user_id, ...) on the
// request's hub when ctx carries one, else on a clone of the reporter's,
// with the request's description when ctx comes from the middleware and
// the request still runs. It returns at once: delivery happens in the
// background.
func (r *Reporter) Report(ctx context.Context, err error, tags map[string]string) {
	if !r.Enabled() || err == nil {
		return
	}
	hub := sentrygo.GetHubFromContext(ctx)
	if hub == nil {
		hub = r.hub.Clone()
	}
	hub.WithScope(func(scope *sentrygo.Scope) {
		if rs, ok := ctx.Value(requestKey{}).(*request); ok {
			rs.describe(scope)
		}
		scope.SetLevel(sentrygo.LevelError)
		scope.SetTags(tags)
		if id := tags["user_id"]; id != "" {
			scope.SetUser(sentrygo.User{ID: id})
		}
		if domain.KindOf(err) == domain.KindUnavailable {
			// Outage errors carry connection details (addresses, ports)
			// that differ on every request; one fingerprint per route
			// keeps an outage to one issue instead of thousands.
			scope.SetFingerprint([]string{"dependency-unavailable", tags["route"]})
		}
		hub.CaptureException(err)
	})
}

// Flush waits up to timeout for queued events to be sent. The server calls
// it last on shutdown.
func (r *Reporter) Flush(timeout time.Duration) {
	if r.Enabled() {
		r.hub.Flush(timeout)
	}
}

// Middleware returns the Fiber handler to put in the HTTP adapter's
// Options.Middleware, before any other middleware. It returns nil when
// reporting is off.
func (r *Reporter) Middleware() []fiber.Handler {
	if !r.Enabled() {
		return nil
	}
	return []fiber.Handler{r.handle}
}

// requestKey is the context key of the running request.
type requestKey struct{}

// request lets Report describe the request it reports from. Fiber reuses
// its context once the handler chain has returned, so the request is read
// only while this middleware runs; a request that ends in an error, which
// the HTTP adapter reports after the middleware has returned, leaves a
// copy of its description behind. mu makes ending the request wait for a
// description being taken.
type request struct {
	mu   sync.Mutex
	c    *fiber.Ctx
	done bool
	// Kept by end for errors reported later.
	req  *http.Request
	body []byte
}

// describe puts the request's method, URL, headers and body on scope; the
// scrubber removes secrets from them before anything is sent.
func (q *request) describe(scope *sentrygo.Scope) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.done {
		scope.SetRequest(httpRequest(q.c))
		scope.SetRequestBody(bytes.Clone(q.c.Body()))
		return
	}
	if q.req != nil {
		// A copy per event: sentry-go may read it after the scope is gone.
		r := *q.req
		scope.SetRequest(&r)
		scope.SetRequestBody(q.body)
	}
}

// end stops reading the Fiber context; keep copies the request first, for
// an error the adapter is still to report.
func (q *request) end(keep bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if keep {
		q.req, q.body = httpRequest(q.c), bytes.Clone(q.c.Body())
	}
	q.done = true
}

func (r *Reporter) handle(c *fiber.Ctx) error {
	q := &request{c: c}
	ctx := context.WithValue(c.UserContext(), requestKey{}, q)
	trace := c.Get(sentrygo.SentryTraceHeader)
	if trace == "" && (r.sampleRate <= 0 || rand.Float64() >= r.sampleRate) {
		c.SetUserContext(ctx)
		err := c.Next()
		q.end(err != nil)
		return err
	}
	// A traced request: its own hub, on which the transaction and the
	// events of the request meet.
	hub := r.hub.Clone()
	ctx = sentrygo.SetHubOnContext(ctx, hub)
	opts := []sentrygo.SpanOption{
		sentrygo.ContinueTrace(hub, trace, c.Get(sentrygo.SentryBaggageHeader)),
		sentrygo.WithOpName("http.server"),
		sentrygo.WithTransactionSource(sentrygo.SourceURL),
		sentrygo.WithSpanOrigin(sentrygo.SpanOriginFiber),
	}
	if trace == "" {
		// Sampled here already; sentry-go must not draw a second time.
		opts = append(opts, sentrygo.WithSpanSampled(sentrygo.SampledTrue))
	}
	tx := sentrygo.StartTransaction(ctx, c.Method()+" "+c.Path(), opts...)
	tx.SetData("http.request.method", c.Method())
	c.SetUserContext(tx.Context())
	err := c.Next()
	q.end(err != nil)
	status := c.Response().StatusCode()
	tx.Name = c.Method() + " " + route(c)
	tx.Source = sentrygo.SourceRoute
	tx.Status = sentrygo.HTTPtoSpanStatus(status)
	tx.SetData("http.response.status_code", status)
	tx.Finish()
	return err
}

// httpRequest converts the Fiber request into the net/http form sentry-go
// describes requests from.
func httpRequest(c *fiber.Ctx) *http.Request {
	u := c.Request().URI()
	r := &http.Request{
		Method:     c.Method(),
		Host:       c.Hostname(),
		URL:        &url.URL{Scheme: string(u.Scheme()), Host: string(u.Host()), Path: string(u.Path()), RawQuery: string(u.QueryString())},
		Header:     http.Header{},
		RemoteAddr: c.Context().RemoteAddr().String(),
	}
	r.Header.Add("Host", r.Host)
	c.Request().Header.VisitAll(func(k, v []byte) { r.Header.Add(string(k), string(v)) })
	return r
}

// route returns the route template, or "unmatched".
func route(c *fiber.Ctx) string {
	if r := c.Route(); r != nil && r.Path != "/" && r.Path != "" {
		return r.Path
	}
	return "unmatched"
}
