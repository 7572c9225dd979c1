package http

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/domain"
)

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
