package http

import (
	"bytes"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// ListCache keeps rendered list pages (adapters/cache.Lists implements
// it). Pages live per family ("products", "categories", "reference")
// under a generation that every committed write touching the family
// bumps. The wrapper reads Generation before the handler queries the
// store and hands it to Put, which must refuse the page when the
// generation moved on meanwhile; so a page read while a write committed
// is never served after the write's event.
type ListCache interface {
	Generation(family string) uint64
	Get(family, key string) (body []byte, contentType string, ok bool)
	Put(family string, gen uint64, key string, body []byte, contentType string)
}

// List families, as ListCache knows them.
const (
	listProducts   = "products"
	listCategories = "categories"
	listReference  = "reference"
)

// queryArg is one query parameter, as bytes of the request (valid while
// it is served) or of a default.
type queryArg struct{ k, v []byte }

// The query parameters a list fills in when they are absent, so that a
// page asked for with and without them shares an entry. page is filled in
// only outside cursor mode, where it would be refused.
var (
	pageDefaults    = []queryArg{{[]byte("limit"), []byte("20")}}
	productDefaults = []queryArg{{[]byte("limit"), []byte("20")}, {[]byte("sort"), []byte("-createdAt")},
		{[]byte("status"), []byte("ACTIVE")}}
	firstPage = queryArg{[]byte("page"), []byte("1")}
)

// cachedList wraps a public list handler with the list cache. The page is
// the same for every caller who gets it (anonymous or signed in), so the
// key is the route, the normalised query and the response language; the
// bypass function names requests whose answer depends on the caller,
// which go to the handler untouched. Only 200 answers are kept.
func (s *Server) cachedList(family string, defaults []queryArg, bypass func(*fiber.Ctx) bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		lc := s.opt.ListCache
		// HEAD shares the route but not the body; it is not worth a page.
		if lc == nil || c.Method() != fiber.MethodGet || (bypass != nil && bypass(c)) {
			return c.Next()
		}
		key := listKey(c, defaults, string(s.locale(c)))
		if body, ct, ok := lc.Get(family, key); ok {
			c.Status(fiber.StatusOK)
			c.Response().Header.SetContentType(ct)
			// The page is shared and never written to; fasthttp drops its
			// reference on reset rather than reusing it as a buffer.
			c.Response().SetBodyRaw(body)
			return nil
		}
		gen := lc.Generation(family)
		if err := c.Next(); err != nil {
			return err
		}
		if c.Response().StatusCode() == fiber.StatusOK {
			lc.Put(family, gen, key, slices.Clone(c.Response().Body()), string(c.Response().Header.ContentType()))
		}
		return nil
	}
}

// listKey is the locale, the route path and the query with its
// parameters sorted by name (values of one name kept in order), defaults
// filled in and every byte outside [A-Za-z0-9._~-] percent-encoded, so
// spellings of one query (`+` or `%20`, any order) share an entry.
func listKey(c *fiber.Ctx, defaults []queryArg, locale string) string {
	var stack [16]queryArg
	args := stack[:0]
	c.Context().QueryArgs().VisitAll(func(k, v []byte) { args = append(args, queryArg{k, v}) })
	has := func(name []byte) bool {
		return slices.ContainsFunc(args, func(a queryArg) bool { return bytes.Equal(a.k, name) })
	}
	cursor := has([]byte("cursor"))
	for _, d := range defaults {
		if !has(d.k) {
			args = append(args, d)
		}
	}
	if !cursor && !has(firstPage.k) {
		args = append(args, firstPage)
	}
	slices.SortStableFunc(args, func(a, b queryArg) int { return bytes.Compare(a.k, b.k) })
	path := c.Path()
	b := make([]byte, 0, len(locale)+len(path)+64)
	b = append(b, locale...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, '?')
	for i, a := range args {
		if i > 0 {
			b = append(b, '&')
		}
		b = appendEscaped(b, a.k)
		b = append(b, '=')
		b = appendEscaped(b, a.v)
	}
	return string(b)
}

// appendEscaped appends s with every byte outside [A-Za-z0-9._~-]
// percent-encoded.
func appendEscaped(b, s []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, ch := range s {
		switch {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9', ch == '-', ch == '.', ch == '_', ch == '~':
			b = append(b, ch)
		default:
			b = append(b, '%', hex[ch>>4], hex[ch&15])
		}
	}
	return b
}

// privateProductList reports whether a product list request's answer
// depends on the caller: a status other than ACTIVE (staff queues, own
// inventory), a staff caller (who also sees blocked sellers' listings),
// or a caller listing their own products (a blocked seller still sees
// their own).
func privateProductList(c *fiber.Ctx) bool {
	args := c.Context().QueryArgs()
	if st := args.Peek("status"); st != nil && string(st) != "ACTIVE" {
		return true
	}
	p, ok := principal(c)
	if !ok {
		return false
	}
	if p.IsStaff() {
		return true
	}
	seller := args.Peek("sellerId")
	return seller != nil && strings.EqualFold(strings.TrimSpace(string(seller)), p.UserID)
}
