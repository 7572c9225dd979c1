package http

import (
	"encoding/json"
	"hash/maphash"
	"slices"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/product"
)

// renderedSlots is the size of the direct-mapped memo of rendered product
// pages: at most this many (product, locale) answers, a few MB, are kept.
const renderedSlots = 1024

// renderedProduct is the body of GET /products/{id} for one product state
// in one locale. The body is a pure function of the product's fields, the
// locale and the server's options, so it is reused only for equal fields:
// a product that changed in any way is rendered again.
type renderedProduct struct {
	f    product.Fields
	loc  i18n.Locale
	body []byte
}

// renderedProducts remembers the last rendered product pages.
type renderedProducts struct {
	seed  maphash.Seed
	slots [renderedSlots]atomic.Pointer[renderedProduct]
}

func newRenderedProducts() *renderedProducts { return &renderedProducts{seed: maphash.MakeSeed()} }

// respondProduct writes p in loc in the success envelope, exactly as
// respond would, from the memo when this state of p was rendered before.
// Rendering (the DTO and encoding/json) is most of what a cached product
// read costs besides Fiber itself.
func (s *Server) respondProduct(c *fiber.Ctx, p *product.Product, loc i18n.Locale) error {
	f := p.Fields()
	slot := &s.rendered.slots[maphash.String(s.rendered.seed, f.ID+string(loc))%renderedSlots]
	if r := slot.Load(); r != nil && r.loc == loc && sameFields(r.f, f) {
		c.Status(fiber.StatusOK)
		c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
		// fasthttp sends the slice as it is; it is never written again.
		return c.Send(r.body)
	}
	body, err := json.Marshal(okBody{Success: true, Data: s.toProductDTO(p, loc)})
	if err != nil {
		return err
	}
	slot.Store(&renderedProduct{f: f, loc: loc, body: body})
	c.Status(fiber.StatusOK)
	c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
	return c.Send(body)
}

// sameFields reports whether a and b are the same product state, field by
// field; TestSameFieldsComparesEveryField fails when product.Fields gains
// a field this does not compare.
func sameFields(a, b product.Fields) bool {
	return a.ID == b.ID && a.Slug == b.Slug && a.Title == b.Title && a.Description == b.Description &&
		a.Price == b.Price && a.Currency == b.Currency && a.Quantity == b.Quantity && a.CategoryID == b.CategoryID &&
		a.Class == b.Class && a.SellerID == b.SellerID && a.Status == b.Status && a.RejectionReason == b.RejectionReason &&
		slices.Equal(a.Images, b.Images) && a.SellerBlocked == b.SellerBlocked &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}
