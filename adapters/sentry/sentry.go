// Package sentry is the error-reporting adapter: it implements
// ports.ErrorReporter with sentry-go and wraps sentry-go's Fiber v2
// middleware so every request gets its own hub and, at the traces sample
// rate, a performance transaction named by its route template.
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
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	sentrygo "github.com/getsentry/sentry-go"
	sentryfiber "github.com/getsentry/sentry-go/fiber"
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
}

// New returns a Reporter for opt. With an empty DSN it returns a no-op
// reporter and a nil error; it returns an error when the DSN is malformed
// (the error never contains the DSN).
func New(opt Options) (*Reporter, error) {
	r := &Reporter{production: opt.Environment == "production"}
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
	// sentryfiber captures a panic it recovers itself; the HTTP adapter
	// recovers it too and reports it through Report, with the route,
	// request id and user id, so the middleware's copy is dropped and each
	// panic is sent exactly once.
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
// request's hub when ctx carries one. It returns at once: delivery happens
// in the background.
func (r *Reporter) Report(ctx context.Context, err error, tags map[string]string) {
	if !r.Enabled() || err == nil {
		return
	}
	hub := sentrygo.GetHubFromContext(ctx)
	if hub == nil {
		hub = r.hub
	}
	hub.WithScope(func(scope *sentrygo.Scope) {
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

// Middleware returns the Fiber handlers to put in the HTTP adapter's
// Options.Middleware, before any other middleware: the first gives each
// request a hub of its own (also on c.UserContext(), where Report finds
// it) and runs sentry-go's Fiber middleware; the second names the
// request's transaction by its route template. It returns nil when
// reporting is off.
func (r *Reporter) Middleware() []fiber.Handler {
	if !r.Enabled() {
		return nil
	}
	h := sentryfiber.New(sentryfiber.Options{Repanic: true})
	return []fiber.Handler{
		func(c *fiber.Ctx) error {
			hub := r.hub.Clone()
			sentryfiber.SetHubOnContext(c, hub)
			c.SetUserContext(sentrygo.SetHubOnContext(c.UserContext(), hub))
			return h(c)
		},
		func(c *fiber.Ctx) error {
			err := c.Next()
			if span := sentryfiber.GetSpanFromContext(c); span != nil {
				span.Name = fmt.Sprintf("%s %s", c.Method(), route(c))
				span.Source = sentrygo.SourceRoute
			}
			return err
		},
	}
}

// route returns the route template, or "unmatched".
func route(c *fiber.Ctx) string {
	if r := c.Route(); r != nil && r.Path != "/" && r.Path != "" {
		return r.Path
	}
	return "unmatched"
}
