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

// numberedPagination is meta.pagination of the lists that page by number
// only (users, audit log, reference data).
type numberedPagination struct {
	Page            int  `json:"page"`
	Limit           int  `json:"limit"`
	Total           int  `json:"total"`
	TotalPages      int  `json:"totalPages"`
	HasNextPage     bool `json:"hasNextPage"`
	HasPreviousPage bool `json:"hasPreviousPage"`
}

// respond writes data in the success envelope.
func respond(c *fiber.Ctx, status int, data any) error {
	return c.Status(status).JSON(okBody{Success: true, Data: data})
}

// respondList writes a page of items with its pagination meta. items must
// be a non-nil slice so that an empty page is [] rather than null.
func respondList(c *fiber.Ctx, items any, page, limit, total int) error {
	pages := (total + limit - 1) / limit
	return c.Status(fiber.StatusOK).JSON(okBody{
		Success: true,
		Data:    items,
		Meta: map[string]any{"pagination": numberedPagination{
			Page: page, Limit: limit, Total: total, TotalPages: pages,
			HasNextPage: page < pages, HasPreviousPage: page > 1,
		}},
	})
}

// timestamp formats t as RFC 3339 in UTC with milliseconds.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }
