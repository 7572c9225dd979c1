package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// OrderService places orders and moves them through their lifecycle.
type OrderService struct {
	tx     ports.Transactor
	orders ports.OrderRepository
	clock  ports.Clock
	idem   *idempotencyGuard
}

func newOrderService(tx ports.Transactor, orders ports.OrderRepository, clock ports.Clock) *OrderService {
	return &OrderService{tx: tx, orders: orders, clock: clock, idem: newIdempotencyGuard(tx, clock)}
}

// orderPlaced is the event of a new order, direct or an auction's.
func orderPlaced(by user.Actor, o *order.Order) event.Event {
	return event.New(event.OrderPlaced, by, event.SubjectOrder, o.ID(), "productId", o.ProductID(),
		"buyerId", o.BuyerID(), "sellerId", o.SellerID(), "auctionId", o.AuctionID())
}

// PlaceOrder is a buyer's request. Prices are not part of it: they come
// from the product.
type PlaceOrder struct {
	ProductID string
	// Quantity is 1..100; nil means order.DefaultQuantity.
	Quantity        *int
	ShippingAddress string
	Notes           string
}

// validate checks what can be checked without the store, so a bad request
// takes no lock and is never stored under an idempotency key.
func (in PlaceOrder) validate() error {
	var v domain.Validation
	if _, err := uuid.Parse(in.ProductID); err != nil || len(in.ProductID) != 36 {
		v.Add("productId", "must be a UUID")
	}
	if q := in.quantity(); q < order.MinQuantity || q > order.MaxQuantity {
		v.Add("quantity", "must be an integer from 1 to 100")
	}
	_, err := order.CleanText(in.ShippingAddress, order.MaxShippingAddressLength)
	v.Merge("shippingAddress", err)
	_, err = order.CleanText(in.Notes, order.MaxNotesLength)
	v.Merge("notes", err)
	return v.Err()
}

// quantity is the requested quantity, the default when none was given.
func (in PlaceOrder) quantity() int {
	if in.Quantity == nil {
		return order.DefaultQuantity
	}
	return *in.Quantity
}

// fingerprint identifies the request's meaning for idempotency: the same
// values (after defaults) are the same request however the JSON is spaced
// or ordered.
func (in PlaceOrder) fingerprint() []byte {
	b, _ := json.Marshal([]any{in.ProductID, in.quantity(), in.ShippingAddress, in.Notes})
	sum := sha256.Sum256(b)
	return sum[:]
}

// Place takes stock of the product and stores a PENDING order in one
// transaction. It returns a validation error for bad input,
// product.ErrNotAvailable when the product is missing or not ACTIVE,
// order.ErrOwnProduct for the seller's own product,
// order.ErrProductInAuction while the product is in an open auction, and
// product.ErrOutOfStock when too few are left. Nothing is changed then.
func (s *OrderService) Place(ctx context.Context, p user.Actor, in PlaceOrder) (*order.Order, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	var o *order.Order
	err := s.tx.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		var refused, err error
		o, refused, err = s.place(ctx, r, p, in)
		if err != nil {
			return err
		}
		return refused
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// PlaceIdempotent is Place under an Idempotency-Key. render turns the
// outcome (the order, or the refusal Place would return) into the
// response, which is stored with the key in the order's transaction. A
// retry with the same key and request gets the stored response with
// Replayed set and changes nothing. It returns the validation errors of
// Place (which are never stored), idempotency.ErrInvalidKey,
// idempotency.ErrKeyInUse while a request with the key runs, and
// idempotency.ErrKeyReused when the key was used with another request.
func (s *OrderService) PlaceIdempotent(ctx context.Context, p user.Actor, in PlaceOrder, idem Idempotency,
	render func(o *order.Order, refused error) (Response, error),
) (Response, error) {
	if err := in.validate(); err != nil {
		return Response{}, err
	}
	var o *order.Order
	resp, _, err := s.idem.run(ctx, p.UserID, idem, in.fingerprint(),
		func(ctx context.Context, r ports.Repos) (refused, err error) {
			o, refused, err = s.place(ctx, r, p, in)
			return refused, err
		},
		func(refused error) (Response, error) { return render(o, refused) },
	)
	if err != nil {
		return Response{}, err
	}
	return resp, nil
}

// maxNumberTries bounds the retries on an order-number clash; with 40
// random bits per day, even one retry is rare.
const maxNumberTries = 5

// place does the work of Place inside r's transaction. refused is a
// business refusal reached before anything was written; err is anything
// else and must roll the transaction back.
func (s *OrderService) place(ctx context.Context, r ports.Repos, buyer user.Actor, in PlaceOrder) (o *order.Order, refused, err error) {
	now := s.clock.Now()
	buyerID := buyer.UserID
	// One atomic step: the store applies order.Orderable and takes the
	// stock (on Postgres a single conditional UPDATE under the row lock).
	snapshot, err := r.Products.Reserve(ctx, in.ProductID, in.quantity(), buyerID, now)
	if err != nil {
		if isRefusal(err) {
			return nil, err, nil
		}
		// A failure of the store is no answer to the request: roll back
		// and store nothing.
		return nil, nil, err
	}
	for try := 1; ; try++ {
		number, err := newOrderNumber(now)
		if err != nil {
			return nil, nil, err
		}
		o, err = order.New(order.NewParams{ID: newID(), Number: number, ProductID: snapshot.ID(), SellerID: snapshot.SellerID(),
			BuyerID: buyerID, Quantity: in.quantity(), UnitPrice: snapshot.Price(), Currency: snapshot.Currency(),
			ShippingAddress: in.ShippingAddress, Notes: in.Notes}, now)
		if err != nil {
			return nil, nil, err
		}
		err = r.Orders.Create(ctx, o)
		if errors.Is(err, order.ErrNumberTaken) && try < maxNumberTries {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		r.Events.Record(orderPlaced(buyer, o))
		return o, nil, nil
	}
}

// isRefusal reports whether err is a business answer to the request (not
// found, forbidden, a conflict with the current state), which is stored
// under an Idempotency-Key and replayed, rather than a failure.
func isRefusal(err error) bool {
	switch domain.KindOf(err) {
	case domain.KindNotFound, domain.KindForbidden, domain.KindConflict:
		return true
	}
	return false
}

// newOrderNumber draws a fresh order number.
func newOrderNumber(now time.Time) (string, error) {
	b := make([]byte, order.NumberRandomBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("order number: %w", err)
	}
	return order.FormatNumber(now, b), nil
}

// Get returns the order with id if the caller may see it (buyer, seller,
// ADMIN), or order.ErrNotFound.
func (s *OrderService) Get(ctx context.Context, p user.Actor, id string) (*order.Order, error) {
	o, err := s.orders.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !o.VisibleTo(p) {
		return nil, order.ErrNotFound
	}
	return o, nil
}

// ErrAllOrdersAdminOnly refuses role=all to anyone but admins.
var ErrAllOrdersAdminOnly = domain.New(domain.KindForbidden, domain.CodeForbidden, "only administrators may list all orders")

// ListOrders selects the caller's orders.
type ListOrders struct {
	// Role is "buyer" (orders the caller placed; the default), "seller"
	// (orders of the caller's products) or, for admins, "all".
	Role string
	// BuyerID, SellerID and ProductID narrow an admin's role=all list.
	BuyerID, SellerID, ProductID string
	// Status filters by status when not empty.
	Status string
	// Page is 1 or more; Limit 1..100. After, when set, lists the orders
	// after that position instead (keyset paging; Page is then ignored).
	Page, Limit int
	After       *ports.Position
	// Sort is createdAt, updatedAt or totalPrice, with a leading "-" for
	// descending; empty means -createdAt.
	Sort string
}

// List returns one page of the caller's orders and the total count. It
// returns a validation error naming each bad parameter.
func (s *OrderService) List(ctx context.Context, p user.Actor, q ListOrders) ([]*order.Order, ports.Listed, error) {
	var v domain.Validation
	f := ports.OrderFilter{}
	switch q.Role {
	case "", "buyer":
		f.BuyerID = p.UserID
	case "seller":
		f.SellerID = p.UserID
	case "all":
		if !p.CanSeeAllOrders() {
			return nil, ports.Listed{}, ErrAllOrdersAdminOnly
		}
		f.BuyerID, f.SellerID, f.ProductID = q.BuyerID, q.SellerID, q.ProductID
	default:
		v.Add("role", "must be buyer, seller or all")
	}
	if q.Role != "all" && (q.BuyerID != "" || q.SellerID != "" || q.ProductID != "") {
		v.Add("role", "must be all to filter by buyerId, sellerId or productId")
	}
	if q.Status != "" {
		if st := order.Status(q.Status); st.Valid() {
			f.Status = st
		} else {
			v.Add("status", "must be PENDING, CONFIRMED, SHIPPED, DELIVERED or CANCELLED")
		}
	}
	if q.Page < 1 {
		v.Add("page", "must be an integer of at least 1")
	}
	if q.Limit < 1 || q.Limit > 100 {
		v.Add("limit", "must be an integer from 1 to 100")
	}
	sort := ports.Sort{Field: ports.OrderSortCreatedAt, Desc: true}
	if q.Sort != "" {
		sort = ports.Sort{Field: q.Sort}
		if q.Sort[0] == '-' {
			sort = ports.Sort{Field: q.Sort[1:], Desc: true}
		}
		switch sort.Field {
		case ports.OrderSortCreatedAt, ports.OrderSortUpdatedAt, ports.OrderSortTotalPrice:
		default:
			v.Add("sort", "must be createdAt, updatedAt or totalPrice, optionally prefixed with -")
		}
	}
	if err := v.Err(); err != nil {
		return nil, ports.Listed{}, err
	}
	return s.orders.List(ctx, f, ports.Page{Number: q.Page, Limit: q.Limit, After: q.After}, sort)
}

// transition applies change to the order under its row lock. A caller who
// may not see the order gets order.ErrNotFound; change's own errors
// (order.ErrForbidden, order.ErrInvalidState) are returned unchanged.
func (s *OrderService) transition(ctx context.Context, p user.Actor, id string, change func(o *order.Order, now time.Time) error) (*order.Order, error) {
	now := s.clock.Now()
	var out *order.Order
	err := s.tx.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		var before *order.Order
		o, err := r.Orders.Update(ctx, id, func(o *order.Order) error {
			if !o.VisibleTo(p) {
				return order.ErrNotFound
			}
			before = order.Rehydrate(o.Fields())
			return change(o, now)
		})
		if err != nil {
			return err
		}
		out = o
		e := orderTransitioned(p, before, o, false)
		if o.PaymentStatus() != before.PaymentStatus() && !p.Is(o.SellerID()) {
			e = audited(e, "order.mark_paid", map[string]any{"paymentStatus": before.PaymentStatus()},
				map[string]any{"paymentStatus": o.PaymentStatus()})
		}
		r.Events.Record(e)
		return nil
	})
	return out, err
}

// orderTransitioned is the event of a status or payment change; restocked
// says the quantity went back to the product.
func orderTransitioned(by user.Actor, before, after *order.Order, restocked bool) event.Event {
	return event.New(event.OrderTransitioned, by, event.SubjectOrder, after.ID(), "productId", after.ProductID(),
		"from", string(before.Status()), "to", string(after.Status()),
		"paymentFrom", string(before.PaymentStatus()), "paymentTo", string(after.PaymentStatus()),
		"buyerId", after.BuyerID(), "sellerId", after.SellerID(), "restocked", strconv.FormatBool(restocked))
}

// Confirm is the seller's acceptance; see order.Order.Confirm.
func (s *OrderService) Confirm(ctx context.Context, p user.Actor, id string) (*order.Order, error) {
	return s.transition(ctx, p, id, func(o *order.Order, now time.Time) error { return o.Confirm(p.UserID, now) })
}

// Ship records the dispatch; see order.Order.Ship.
func (s *OrderService) Ship(ctx context.Context, p user.Actor, id string) (*order.Order, error) {
	return s.transition(ctx, p, id, func(o *order.Order, now time.Time) error { return o.Ship(p.UserID, now) })
}

// Deliver records the buyer's receipt; see order.Order.Deliver.
func (s *OrderService) Deliver(ctx context.Context, p user.Actor, id string) (*order.Order, error) {
	return s.transition(ctx, p, id, func(o *order.Order, now time.Time) error { return o.Deliver(p.UserID, now) })
}

// MarkPaid records the payment; see order.Order.MarkPaid.
func (s *OrderService) MarkPaid(ctx context.Context, p user.Actor, id string) (*order.Order, error) {
	return s.transition(ctx, p, id, func(o *order.Order, now time.Time) error { return o.MarkPaid(p, now) })
}

// Cancel cancels the order and gives its quantity back to the product in
// the same transaction. The order's row lock makes concurrent cancels run
// one after the other, and only the first finds the order cancellable, so
// stock comes back exactly once. It returns order.ErrNotFound,
// order.ErrForbidden, order.ErrInvalidState or a validation error for a
// bad reason; nothing changes then.
func (s *OrderService) Cancel(ctx context.Context, p user.Actor, id, reason string) (*order.Order, error) {
	now := s.clock.Now()
	var o *order.Order
	err := s.tx.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		var qty int
		var before *order.Order
		var err error
		o, err = r.Orders.Update(ctx, id, func(o *order.Order) error {
			if !o.VisibleTo(p) {
				return order.ErrNotFound
			}
			before = order.Rehydrate(o.Fields())
			qty, err = o.Cancel(p, reason, now)
			return err
		})
		if err != nil {
			return err
		}
		if _, err = r.Products.Update(ctx, o.ProductID(), func(pr *product.Product) error { return pr.Release(qty, now) }); err != nil {
			return err
		}
		e := orderTransitioned(p, before, o, true)
		if o.CancelledBy() == order.PartyStaff {
			e = audited(e, "order.cancel",
				map[string]any{"status": before.Status(), "paymentStatus": before.PaymentStatus()},
				map[string]any{"status": o.Status(), "paymentStatus": o.PaymentStatus(), "cancelReason": o.CancelReason(),
					"cancelledBy": o.CancelledBy()})
		}
		r.Events.Record(e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}
