package ports

//go:generate go tool mockgen -source=orders.go -destination=../mocks/orders.go -package=mocks

import (
	"context"
	"time"

	"github.com/secondbloom/marketplace/domain/idempotency"
	"github.com/secondbloom/marketplace/domain/order"
)

// OrderFilter selects orders for List. Empty fields select everything; the
// app sets BuyerID or SellerID to the caller for everyone but admins, so a
// list never shows other people's orders.
type OrderFilter struct {
	BuyerID   string
	SellerID  string
	ProductID string
	Status    order.Status
}

// Sort fields of OrderRepository.List.
const (
	OrderSortCreatedAt  = "createdAt"
	OrderSortUpdatedAt  = "updatedAt"
	OrderSortTotalPrice = "totalPrice"
)

// OrderRepository stores orders.
type OrderRepository interface {
	// Create stores a new order. It returns order.ErrNumberTaken when
	// another order has the number (the transaction stays usable, so the
	// caller may retry with a new number) and order.ErrAuctionOrdered when
	// the order's auction already has one.
	Create(ctx context.Context, o *order.Order) error
	// Get returns the order with id, or order.ErrNotFound (also for ids
	// that are not UUIDs).
	Get(ctx context.Context, id string) (*order.Order, error)
	// Update loads the order with id under a row lock, calls fn, and stores
	// the result if fn returns nil. It returns order.ErrNotFound, or fn's
	// error unchanged (storing nothing). Concurrent updates of one order
	// run one after the other, each seeing the previous one's result.
	Update(ctx context.Context, id string, fn func(o *order.Order) error) (*order.Order, error)
	// List returns one page of the orders matching f, sorted by s (one of
	// the OrderSort fields; ties broken by id), and the total number of
	// matches. Positions: Int = totalPrice or Time = createdAt/updatedAt
	// (the sort field), ID.
	List(ctx context.Context, f OrderFilter, p Page, s Sort) ([]*order.Order, Listed, error)
}

// OpenAuctionChecker tells whether a product is in an open auction. It is
// the hook through which the auctions area keeps auctioned products from
// being ordered directly: Repos.OpenAuctions may be nil until an adapter
// stores auctions, and then no product is in one. An adapter that stores
// auctions sets it in its repos function (the auction repository can
// implement it), and the order service then answers
// order.ErrProductInAuction (409 INVALID_STATE).
type OpenAuctionChecker interface {
	// HasOpenAuction reports whether the product has an ACTIVE auction. The
	// order service calls it while it holds the product's row lock, so an
	// auction opened under the same lock cannot slip in between.
	HasOpenAuction(ctx context.Context, productID string) (bool, error)
}

// IdempotencyRepository stores the outcomes of requests made with an
// Idempotency-Key. Lock, Get and Save must be called inside
// Transactor.WithinTx: the key is claimed in the same transaction as the
// work it guards, so a crash cannot separate them.
type IdempotencyRepository interface {
	// Lock claims the scope for the rest of the transaction. It returns
	// idempotency.ErrKeyInUse at once, without waiting, when another
	// transaction holds it.
	Lock(ctx context.Context, s idempotency.Scope) error
	// Get returns the record of the scope, or idempotency.ErrNotFound.
	Get(ctx context.Context, s idempotency.Scope) (idempotency.Record, error)
	// Save stores a new record. It returns idempotency.ErrKeyInUse when the
	// scope already has one (which Lock and Get make impossible in correct
	// callers).
	Save(ctx context.Context, r idempotency.Record) error
	// DeleteBefore removes the records created before t and returns how
	// many it removed; it keeps the table bounded. It may run outside
	// WithinTx.
	DeleteBefore(ctx context.Context, t time.Time) (int, error)
}
