package http

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/domain"
)

// What a preflight from an allowed origin is told, and which response
// headers its scripts may read.
var (
	corsAllowMethods = strings.Join([]string{fiber.MethodGet, fiber.MethodPost, fiber.MethodPatch, fiber.MethodDelete}, ", ")
	corsAllowHeaders = strings.Join([]string{fiber.HeaderAuthorization, fiber.HeaderContentType, HeaderIdempotencyKey,
		fiber.HeaderAcceptLanguage, fiber.HeaderContentLanguage, HeaderRequestID, "Last-Event-ID"}, ", ")
	corsExposeHeaders = strings.Join([]string{HeaderRequestID, fiber.HeaderRetryAfter, HeaderIdempotentReplayed,
		fiber.HeaderContentLanguage}, ", ")
)

// corsMaxAge is how long, in seconds, a browser may cache a preflight.
const corsMaxAge = "600"

// cors answers preflights from the allowed origins with 204 and lets their
// scripts read our responses. Requests from any other origin get no CORS
// header at all, so the browser keeps their scripts out. Credentials
// (cookies) are never allowed: the API authenticates with bearer tokens.
func (s *Server) cors(c *fiber.Ctx) error {
	// The answer depends on Origin, so caches must key on it.
	c.Vary(fiber.HeaderOrigin)
	origin := c.Get(fiber.HeaderOrigin)
	if !s.origins[origin] {
		return c.Next()
	}
	c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
	if c.Method() == fiber.MethodOptions && c.Get(fiber.HeaderAccessControlRequestMethod) != "" {
		c.Set(fiber.HeaderAccessControlAllowMethods, corsAllowMethods)
		c.Set(fiber.HeaderAccessControlAllowHeaders, corsAllowHeaders)
		c.Set(fiber.HeaderAccessControlMaxAge, corsMaxAge)
		return c.SendStatus(fiber.StatusNoContent)
	}
	c.Set(fiber.HeaderAccessControlExposeHeaders, corsExposeHeaders)
	return c.Next()
}

// requireMetricsToken guards GET /metrics with Options.MetricsToken. The
// answer is plain text, like the exposition it guards. Both tokens are
// hashed before the constant-time compare, so neither the content nor the
// length of the expected one leaks through timing.
func (s *Server) requireMetricsToken(c *fiber.Ctx) error {
	if s.opt.MetricsToken == "" {
		return c.Next()
	}
	got, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	want := sha256.Sum256([]byte(s.opt.MetricsToken))
	have := sha256.Sum256([]byte(got))
	if !ok || subtle.ConstantTimeCompare(want[:], have[:]) != 1 {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		c.Locals(localsErrorCode, domain.CodeUnauthorized)
		return c.Status(fiber.StatusUnauthorized).SendString("unauthorized\n")
	}
	return c.Next()
}
