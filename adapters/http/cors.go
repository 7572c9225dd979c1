package http

import (
	"strings"

	"github.com/gofiber/fiber/v2"
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
