package http

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPISpec is the OpenAPI 3 description of every route under /api/v1.
// TestOpenAPIMatchesRoutes keeps it in step with the registered routes.
//
//go:embed openapi.json
var openAPISpec []byte

func (s *Server) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(openAPISpec)
}
