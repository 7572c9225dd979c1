package http

import (
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

// limiter counts requests per key in fixed windows.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	counts map[string]*window
	sweep  time.Time
}

type window struct {
	start time.Time
	n     int
}

func newLimiter(max int, w time.Duration) *limiter {
	return &limiter{max: max, window: w, counts: map[string]*window{}}
}

// allow counts one request of key at now and reports whether it is within
// the limit, and if not, how many seconds until the window resets.
func (l *limiter) allow(key string, now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > l.window {
		for k, w := range l.counts {
			if now.Sub(w.start) >= l.window {
				delete(l.counts, k)
			}
		}
		l.sweep = now
	}
	w, ok := l.counts[key]
	if !ok || now.Sub(w.start) >= l.window {
		w = &window{start: now}
		l.counts[key] = w
	}
	if w.n >= l.max {
		return false, int((w.start.Add(l.window).Sub(now) + time.Second - 1) / time.Second)
	}
	w.n++
	return true, 0
}

// limitOTPPerIP applies the per-IP limit of the OTP routes.
func (s *Server) limitOTPPerIP(c *fiber.Ctx) error {
	if ok, retry := s.otpLimit.allow(c.IP(), time.Now()); !ok {
		e := *errRateLimited
		e.RetryAfterSeconds = retry
		return &e
	}
	return c.Next()
}
