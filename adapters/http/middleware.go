package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/user"
)

// Keys of values kept in fiber.Ctx.Locals.
const (
	localsRequestID = "requestID"
	localsActor     = "actor"
	localsCause     = "errorCause"
	localsErrorCode = "errorCode"
)

// HeaderRequestID carries the request id both ways.
const HeaderRequestID = "X-Request-ID"

// requestIDs takes the client's X-Request-ID when it is 1..128 characters of
// [A-Za-z0-9._-], or makes one, and echoes it on the response.
func (s *Server) requestIDs(c *fiber.Ctx) error {
	id := c.Get(HeaderRequestID)
	if !validRequestID(id) {
		id = newRequestID()
	}
	c.Locals(localsRequestID, id)
	c.Set(HeaderRequestID, id)
	return c.Next()
}

func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '.' || ch == '_' || ch == '-') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// requestID returns the id requestIDs stored.
func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localsRequestID).(string)
	return id
}

// errPanic wraps a recovered panic value.
type errPanic struct {
	value any
	stack []byte
}

func (e *errPanic) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// recoverPanics turns a panic in a handler into a 500 through the error
// handler, which reports it.
func (s *Server) recoverPanics(c *fiber.Ctx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &errPanic{value: v, stack: debug.Stack()}
		}
	}()
	return c.Next()
}

// reportInternal logs a server-side error with its cause and hands it to
// the error reporter.
func (s *Server) reportInternal(c *fiber.Ctx, err error) {
	attrs := []any{"requestId", requestID(c), "route", routeOf(c), "error", err.Error()}
	var p *errPanic
	if errors.As(err, &p) {
		attrs = append(attrs, "stack", string(p.stack))
	}
	s.opt.Logger.Error("server error", attrs...)
	tags := map[string]string{"route": routeOf(c), "request_id": requestID(c), "method": c.Method()}
	if pr, ok := c.Locals(localsActor).(user.Actor); ok {
		tags["user_id"] = pr.UserID
	}
	s.opt.Reporter.Report(c.UserContext(), err, tags)
}

// routeOf returns the route template (never the raw path, whose ids would
// make unbounded log and metric labels).
func routeOf(c *fiber.Ctx) string {
	if r := c.Route(); r != nil && r.Path != "/" && r.Path != "" {
		return r.Path
	}
	return "unmatched"
}

// logRequests writes one structured line per request. It logs no header,
// query or body, so codes and tokens never reach the log.
func (s *Server) logRequests(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := s.fiber.ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("requestId", requestID(c)),
		slog.String("method", c.Method()),
		slog.String("route", routeOf(c)),
		slog.Int("status", status),
		slog.Float64("latencyMs", float64(time.Since(start).Microseconds())/1000),
	}
	if p, ok := c.Locals(localsActor).(user.Actor); ok {
		attrs = append(attrs, slog.String("userId", p.UserID))
	}
	if code, ok := c.Locals(localsErrorCode).(string); ok && status >= 400 {
		attrs = append(attrs, slog.String("errorCode", code))
	}
	if cause, ok := c.Locals(localsCause).(error); ok && status >= 500 {
		attrs = append(attrs, slog.String("error", cause.Error()))
	}
	s.opt.Logger.LogAttrs(c.UserContext(), level, "request", attrs...)
	return nil
}

// authenticate requires a valid bearer token and stores the principal.
func (s *Server) authenticate(c *fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" || strings.ContainsAny(token, " \t") {
		return auth.ErrUnauthenticated
	}
	p, err := s.core.Auth.Authenticate(c.UserContext(), token)
	if err != nil {
		return err
	}
	c.Locals(localsActor, p)
	return c.Next()
}

// optionalAuth stores the principal when a bearer token is sent, and lets
// anonymous requests through. A bad token is still a 401: a client that
// sends one expects to be recognised.
func (s *Server) optionalAuth(c *fiber.Ctx) error {
	if c.Get(fiber.HeaderAuthorization) == "" {
		return c.Next()
	}
	return s.authenticate(c)
}

// principal returns the authenticated caller; ok is false for anonymous
// requests.
func principal(c *fiber.Ctx) (user.Actor, bool) {
	p, ok := c.Locals(localsActor).(user.Actor)
	return p, ok
}

// limiter counts requests per key in fixed windows in this process; it
// serves when Options.RateLimiter is nil.
type limiter struct {
	mu     sync.Mutex
	counts map[string]*window
	sweep  time.Time
}

type window struct {
	start time.Time
	n     int
}

func newLimiter() *limiter {
	return &limiter{counts: map[string]*window{}}
}

// Allow implements ports.RateLimiter.
func (l *limiter) Allow(_ context.Context, key string, max int, span time.Duration) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.sweep) > span {
		for k, w := range l.counts {
			if now.Sub(w.start) >= span {
				delete(l.counts, k)
			}
		}
		l.sweep = now
	}
	w, ok := l.counts[key]
	if !ok || now.Sub(w.start) >= span {
		w = &window{start: now}
		l.counts[key] = w
	}
	if w.n >= max {
		return false, w.start.Add(span).Sub(now), nil
	}
	w.n++
	return true, 0, nil
}

// limitOTPPerIP applies the per-IP limit of the OTP routes, keyed on the
// client's address (see clientIP and limitKey).
func (s *Server) limitOTPPerIP(c *fiber.Ctx) error {
	key := "otp-ip:" + limitKey(clientIP(c, s.opt.TrustedProxies))
	ok, retry, err := s.otpLimit.Allow(c.UserContext(), key, s.opt.OTPPerIP, s.opt.OTPWindow)
	if err != nil {
		return err
	}
	if !ok {
		e := *errRateLimited
		e.RetryAfterSeconds = int((retry + time.Second - 1) / time.Second)
		return &e
	}
	return c.Next()
}
