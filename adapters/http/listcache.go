package http

import (
	"net/url"
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

// listDefaults are the query parameters a list fills in when they are
// absent, so that a page asked for with and without them shares an entry.
// page is filled only outside cursor mode, where it would be refused.
var (
	pageDefaults    = [][2]string{{"limit", "20"}}
	productDefaults = [][2]string{{"limit", "20"}, {"sort", "-createdAt"}, {"status", "ACTIVE"}}
)

// cachedList wraps a public list handler with the list cache. The page is
// the same for every caller who gets it (anonymous or signed in), so the
// key is the route, the normalised query and the response language; the
// bypass function names requests whose answer depends on the caller,
// which go to the handler untouched. Only 200 answers are kept.
func (s *Server) cachedList(family string, defaults [][2]string, bypass func(*fiber.Ctx) bool) fiber.Handler {
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

// listKey is the route path, the query with its parameters sorted (values
// of one name kept in order) and defaults filled in, and the locale.
// Values are re-escaped, so spellings of the same query (`+` or `%20`)
// share an entry.
func listKey(c *fiber.Ctx, defaults [][2]string, locale string) string {
	var (
		args   [][2]string
		cursor bool
	)
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		args = append(args, [2]string{string(k), string(v)})
		if string(k) == "cursor" {
			cursor = true
		}
	})
	has := func(name string) bool {
		return slices.ContainsFunc(args, func(a [2]string) bool { return a[0] == name })
	}
	for _, d := range defaults {
		if !has(d[0]) {
			args = append(args, d)
		}
	}
	if !cursor && !has("page") {
		args = append(args, [2]string{"page", "1"})
	}
	slices.SortStableFunc(args, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	var b strings.Builder
	b.WriteString(locale)
	b.WriteByte(' ')
	b.WriteString(c.Path())
	b.WriteByte('?')
	for i, a := range args {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(a[0]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(a[1]))
	}
	return b.String()
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
