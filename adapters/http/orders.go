package http

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/order"
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
	CreatedAt       string  `json:"createdAt"`
	UpdatedAt       string  `json:"updatedAt"`
}

func toOrderDTO(o *order.Order) orderDTO {
	return orderDTO{ID: o.ID(), Number: o.Number(), ProductID: o.ProductID(), SellerID: o.SellerID(), BuyerID: o.BuyerID(),
		Quantity: o.Quantity(), UnitPrice: o.UnitPrice(), TotalPrice: o.TotalPrice(), Currency: o.Currency(),
		Status: string(o.Status()), PaymentStatus: string(o.PaymentStatus()), ShippingAddress: emptyToNil(o.ShippingAddress()),
		Notes: emptyToNil(o.Notes()), AuctionID: emptyToNil(o.AuctionID()), CreatedAt: timestamp(o.CreatedAt()),
		UpdatedAt: timestamp(o.UpdatedAt())}
}

func (s *Server) placeOrder(c *fiber.Ctx) error {
	var (
		in       app.PlaceOrder
		qty      *int
		address  *string
		notes    *string
		key, has = c.GetReqHeaders()[HeaderIdempotencyKey]
	)
	if err := decode(c, required("productId", &in.ProductID), optional("quantity", &qty),
		nullable("shippingAddress", &address), nullable("notes", &notes)); err != nil {
		return err
	}
	in.Quantity = 1
	if qty != nil {
		in.Quantity = *qty
	}
	if address != nil {
		in.ShippingAddress = *address
	}
	if notes != nil {
		in.Notes = *notes
	}
	p, _ := principal(c)
	if !has {
		o, err := s.core.Orders.Place(c.UserContext(), p, in)
		if err != nil {
			return err
		}
		return respond(c, fiber.StatusCreated, toOrderDTO(o))
	}
	if len(key) != 1 {
		return domain.Invalid(HeaderIdempotencyKey, "must be sent once")
	}
	resp, err := s.core.Orders.PlaceIdempotent(c.UserContext(), p, in,
		app.Idempotency{Key: strings.Clone(key[0]), Route: idempotencyRouteOrderPost},
		func(o *order.Order, refused error) (app.Response, error) {
			if refused != nil {
				status, body := s.errorResponse(c, refused)
				return renderJSON(status, body)
			}
			return renderJSON(fiber.StatusCreated, okBody{Success: true, Data: toOrderDTO(o)})
		})
	if err != nil {
		return err
	}
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
	o, err := s.core.Orders.Get(c.UserContext(), p, orderID(c))
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toOrderDTO(o))
}

func (s *Server) listOrders(c *fiber.Ctx) error {
	var v domain.Validation
	intQuery := func(name string, def int) int {
		raw := c.Query(name)
		if raw == "" {
			return def
		}
		n, err := strconv.Atoi(raw)
		if err != nil {
			v.Add(name, "must be an integer")
			return def
		}
		return n
	}
	q := app.ListOrders{Role: c.Query("role"), Status: c.Query("status"), Page: intQuery("page", 1),
		Limit: intQuery("limit", 20), Sort: c.Query("sort")}
	if err := v.Err(); err != nil {
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
	return respondList(c, items, q.Page, q.Limit, total)
}

// orderTransition serves a body-less lifecycle route.
func (s *Server) orderTransition(do func(*app.OrderService, context.Context, app.Principal, string) (*order.Order, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := decode(c); err != nil {
			return err
		}
		p, _ := principal(c)
		o, err := do(s.core.Orders, c.UserContext(), p, orderID(c))
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
	o, err := s.core.Orders.Cancel(c.UserContext(), p, orderID(c), r)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toOrderDTO(o))
}

// orderID returns the :id path parameter as a string of its own: Fiber's
// values point into a buffer that is reused after the handler returns, and
// the core may keep the id (a memory store uses it as a map key).
func orderID(c *fiber.Ctx) string { return strings.Clone(c.Params("id")) }
