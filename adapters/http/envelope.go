package http

import (
	"time"

	"github.com/gofiber/fiber/v2"
)

type okBody struct {
	Success bool `json:"success"`
	Data    any  `json:"data"`
	Meta    any  `json:"meta,omitempty"`
}

// respond writes data in the success envelope.
func respond(c *fiber.Ctx, status int, data any) error {
	return c.Status(status).JSON(okBody{Success: true, Data: data})
}

// timestamp formats t as RFC 3339 in UTC with milliseconds.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }
