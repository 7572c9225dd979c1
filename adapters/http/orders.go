package http

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/domain/user"
)

// Idempotency headers of API.md section 1.
const (
	HeaderIdempotencyKey      = "Idempotency-Key"
	HeaderIdempotentReplayed  = "Idempotent-Replayed"
	idempotencyRouteOrderPost = "POST /api/v1/orders"
)

func (s *Server) orderRoutes(r fiber.Router) {
	r.Post("/orders", s.authenticate, s.placeOrder)
	r.Get("/orders", s.authenticate, s.listOrders)
	r.Get("/orders/:id", s.authenticate, s.getOrder)
	r.Post("/orders/:id/confirm", s.authenticate, s.orderTransition((*app.OrderService).Confirm))
	r.Post("/orders/:id/ship", s.authenticate, s.orderTransition((*app.OrderService).Ship))
	r.Post("/orders/:id/deliver", s.authenticate, s.orderTransition((*app.OrderService).Deliver))
	r.Post("/orders/:id/mark-paid", s.authenticate, s.orderTransition((*app.OrderService).MarkPaid))
	r.Post("/orders/:id/cancel", s.authenticate, s.cancelOrder)
}

type orderDTO struct {
	ID              string  `json:"id"`
	Number          string  `json:"number"`
	ProductID       string  `json:"productId"`
	SellerID        string  `json:"sellerId"`
	BuyerID         string  `json:"buyerId"`
	Quantity        int     `json:"quantity"`
	UnitPrice       int64   `json:"unitPrice"`
	TotalPrice      int64   `json:"totalPrice"`
	Currency        string  `json:"currency"`
	Status          string  `json:"status"`
	PaymentStatus   string  `json:"paymentStatus"`
	ShippingAddress *string `json:"shippingAddress"`
	Notes           *string `json:"notes"`
	AuctionID       *string `json:"auctionId"`
	CancelReason    *string `json:"cancelReason"`
	CancelledBy     *string `json:"cancelledBy"`
	CreatedAt       string  `json:"createdAt"`
	UpdatedAt       string  `json:"updatedAt"`
}

func toOrderDTO(o *order.Order) orderDTO {
	return orderDTO{ID: o.ID(), Number: o.Number(), ProductID: o.ProductID(), SellerID: o.SellerID(), BuyerID: o.BuyerID(),
		Quantity: o.Quantity(), UnitPrice: o.UnitPrice(), TotalPrice: o.TotalPrice(), Currency: o.Currency(),
		Status: string(o.Status()), PaymentStatus: string(o.PaymentStatus()), ShippingAddress: emptyToNil(o.ShippingAddress()),
		Notes: emptyToNil(o.Notes()), AuctionID: emptyToNil(o.AuctionID()), CancelReason: emptyToNil(o.CancelReason()),
		CancelledBy: emptyToNil(string(o.CancelledBy())), CreatedAt: timestamp(o.CreatedAt()),
		UpdatedAt: timestamp(o.UpdatedAt())}
}

func (s *Server) placeOrder(c *fiber.Ctx) error {
	var (
		in      app.PlaceOrder
		address *string
		notes   *string
	)
	if err := decode(c, required("productId", &in.ProductID), optional("quantity", &in.Quantity),
		nullable("shippingAddress", &address), nullable("notes", &notes)); err != nil {
		return err
	}
	if address != nil {
		in.ShippingAddress = *address
	}
	if notes != nil {
		in.Notes = *notes
	}
	p, _ := principal(c)
	key, has, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	if !has {
		o, err := s.core.Orders.Place(c.UserContext(), p, in)
		if err != nil {
			return err
		}
		return respond(c, fiber.StatusCreated, toOrderDTO(o))
	}
	resp, err := s.core.Orders.PlaceIdempotent(c.UserContext(), p, in,
		app.Idempotency{Key: key, Route: idempotencyRouteOrderPost},
		func(o *order.Order, refused error) (app.Response, error) {
			return s.renderOutcome(c, refused, fiber.StatusCreated, func() any { return toOrderDTO(o) })
		})
	if err != nil {
		return err
	}
	return sendStored(c, resp)
}

// idempotencyKey returns the request's Idempotency-Key and whether it was
// sent; sent more than once is a validation error. Its format is checked by
// the core.
func idempotencyKey(c *fiber.Ctx) (string, bool, error) {
	key, has := c.GetReqHeaders()[HeaderIdempotencyKey]
	if !has {
		return "", false, nil
	}
	if len(key) != 1 {
		return "", false, domain.Invalid(HeaderIdempotencyKey, "must be sent once")
	}
	return strings.Clone(key[0]), true, nil
}

// renderOutcome renders the outcome of an idempotent request, a refusal or
// else status with data(), exactly as a direct answer would be, for the
// core to store. data is called only on success.
func (s *Server) renderOutcome(c *fiber.Ctx, refused error, status int, data func() any) (app.Response, error) {
	if refused != nil {
		st, body := s.errorResponse(c, refused)
		return renderJSON(st, body)
	}
	return renderJSON(status, okBody{Success: true, Data: data()})
}

// sendStored writes a response made or replayed under an Idempotency-Key.
func sendStored(c *fiber.Ctx, resp app.Response) error {
	if resp.Replayed {
		c.Set(HeaderIdempotentReplayed, "true")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(resp.Status).Send(resp.Body)
}

// renderJSON encodes a response the way c.JSON does, so a stored response
// is the same bytes a direct one would have been.
func renderJSON(status int, v any) (app.Response, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return app.Response{}, err
	}
	return app.Response{Status: status, Body: b}, nil
}

func (s *Server) getOrder(c *fiber.Ctx) error {
	p, _ := principal(c)
	id, err := pathID(c, order.ErrNotFound)
	if err != nil {
		return err
	}
	o, err := s.core.Orders.Get(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toOrderDTO(o))
}

func (s *Server) listOrders(c *fiber.Ctx) error {
	qs := newQuery(c)
	page := qs.cursorPage()
	role, _ := qs.str("role")
	status, _ := qs.str("status")
	sort, _ := qs.str("sort")
	q := app.ListOrders{Role: role, Status: status, Page: page.Number, Limit: page.Limit, Sort: sort,
		BuyerID: qs.id("buyerId"), SellerID: qs.id("sellerId"), ProductID: qs.id("productId")}
	// The hash sees the query with its defaults filled in, so that an
	// explicit ?role=buyer or ?sort=-createdAt keeps the cursors of the
	// bare list.
	norm := q
	norm.Page, norm.Limit = 0, 0
	if norm.Role == "" {
		norm.Role = "buyer"
	}
	if norm.Sort == "" {
		norm.Sort = "-createdAt"
	}
	qs.keyset(&page, "orders", norm)
	q.After = page.After
	if err := qs.done(); err != nil {
		return err
	}
	p, _ := principal(c)
	orders, total, err := s.core.Orders.List(c.UserContext(), p, q)
	if err != nil {
		return err
	}
	items := make([]orderDTO, 0, len(orders))
	for _, o := range orders {
		items = append(items, toOrderDTO(o))
	}
	return qs.respondList(items, page, total)
}

// orderTransition serves a body-less lifecycle route.
func (s *Server) orderTransition(do func(*app.OrderService, context.Context, user.Actor, string) (*order.Order, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := decode(c); err != nil {
			return err
		}
		p, _ := principal(c)
		id, err := pathID(c, order.ErrNotFound)
		if err != nil {
			return err
		}
		o, err := do(s.core.Orders, c.UserContext(), p, id)
		if err != nil {
			return err
		}
		return respond(c, fiber.StatusOK, toOrderDTO(o))
	}
}

func (s *Server) cancelOrder(c *fiber.Ctx) error {
	var reason *string
	if err := decode(c, nullable("reason", &reason)); err != nil {
		return err
	}
	p, _ := principal(c)
	var r string
	if reason != nil {
		r = *reason
	}
	id, err := pathID(c, order.ErrNotFound)
	if err != nil {
		return err
	}
	o, err := s.core.Orders.Cancel(c.UserContext(), p, id, r)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toOrderDTO(o))
}
