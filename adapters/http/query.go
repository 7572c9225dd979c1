package http

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/ports"
)

// Pagination bounds of API.md section 1.
const (
	defaultPageLimit = 20
	maxPageLimit     = 100
)

// pageQuery reads ?page= (default 1, >= 1) and ?limit= (default 20,
// 1..100) into v, recording bad values.
func pageQuery(c *fiber.Ctx, v *domain.Validation) ports.Page {
	p := ports.Page{Number: 1, Limit: defaultPageLimit}
	if raw := c.Query("page"); raw != "" || queryPresent(c, "page") {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			v.Add("page", "must be an integer >= 1")
		} else {
			p.Number = n
		}
	}
	if raw := c.Query("limit"); raw != "" || queryPresent(c, "limit") {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxPageLimit {
			v.Add("limit", "must be an integer from 1 to 100")
		} else {
			p.Limit = n
		}
	}
	return p
}

// sortQuery reads ?sort=field or ?sort=-field, allowing only the given
// fields, and returns def when absent.
func sortQuery(c *fiber.Ctx, v *domain.Validation, def ports.Sort, allowed ...string) ports.Sort {
	raw := c.Query("sort")
	if raw == "" && !queryPresent(c, "sort") {
		return def
	}
	s := ports.Sort{Field: strings.TrimPrefix(raw, "-"), Desc: strings.HasPrefix(raw, "-")}
	for _, a := range allowed {
		if s.Field == a {
			return s
		}
	}
	v.Add("sort", "must be one of "+strings.Join(allowed, ", ")+", optionally prefixed with -")
	return def
}

// auctionID returns the :id of the route in canonical lower case, so the
// memory store (keyed by string) and Postgres (uuid type) agree.
func auctionID(c *fiber.Ctx) string { return strings.ToLower(c.Params("id")) }

// queryPresent reports whether the query string names key, even with an
// empty value.
func queryPresent(c *fiber.Ctx, key string) bool {
	return c.Context().QueryArgs().Has(key)
}

// uuidQuery reads an optional id parameter, recording one that is not a
// UUID.
func uuidQuery(c *fiber.Ctx, v *domain.Validation, key string) string {
	raw := c.Query(key)
	if (raw != "" || queryPresent(c, key)) && !looksLikeUUID(raw) {
		v.Add(key, "must be a UUID")
	}
	return strings.ToLower(raw)
}

// looksLikeUUID reports whether s has the textual form of a UUID. (The
// catalog area brings an equivalent isUUID; once both are on main one of
// them can go.)
func looksLikeUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
