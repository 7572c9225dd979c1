// Package order holds purchases: who bought which product from whom, at
// what price, and where the order stands in its fulfilment and payment
// lifecycles.
//
// Prices are copied from the product (or the winning bid of an auction)
// when the order is placed and never come from the client. Every
// transition names its actor, so the rule of who may do what (API.md
// section 5) lives here and nowhere else.
package order

import (
	"encoding/base32"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/money"
	"github.com/secondbloom/marketplace/domain/text"
	"github.com/secondbloom/marketplace/domain/user"
)

// Status is where an order stands in fulfilment.
type Status string

// The fulfilment statuses: PENDING -> CONFIRMED -> SHIPPED -> DELIVERED, or
// CANCELLED from PENDING or CONFIRMED.
const (
	StatusPending   Status = "PENDING"
	StatusConfirmed Status = "CONFIRMED"
	StatusShipped   Status = "SHIPPED"
	StatusDelivered Status = "DELIVERED"
	StatusCancelled Status = "CANCELLED"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusConfirmed, StatusShipped, StatusDelivered, StatusCancelled:
		return true
	}
	return false
}

// PaymentStatus is where an order stands in payment.
type PaymentStatus string

// The payment statuses: PENDING -> PAID -> REFUNDED (a paid order that is
// cancelled).
const (
	PaymentPending  PaymentStatus = "PENDING"
	PaymentPaid     PaymentStatus = "PAID"
	PaymentRefunded PaymentStatus = "REFUNDED"
)

// Errors of orders.
var (
	ErrNotFound     = domain.New(domain.KindNotFound, domain.CodeNotFound, "order not found")
	ErrInvalidState = domain.New(domain.KindConflict, domain.CodeInvalidState, "the order's status does not allow this")
	ErrForbidden    = domain.New(domain.KindForbidden, domain.CodeForbidden, "you may not do this to the order")
	// ErrOwnProduct is returned when a seller tries to buy their own
	// product.
	ErrOwnProduct = domain.New(domain.KindForbidden, domain.CodeForbidden, "you cannot order your own product")
	// ErrProductInAuction is returned when the product is in an open
	// auction and so cannot be ordered directly.
	ErrProductInAuction = domain.New(domain.KindConflict, domain.CodeInvalidState, "the product is in an open auction")
	// ErrNumberTaken is returned by repositories when another order has the
	// number; the caller retries with a new one.
	ErrNumberTaken = domain.New(domain.KindConflict, domain.CodeConflict, "order number is taken")
	// ErrAuctionOrdered is returned by repositories when an order for the
	// auction already exists: an auction yields at most one order.
	ErrAuctionOrdered = domain.New(domain.KindConflict, domain.CodeConflict, "the auction already has an order")
)

// Limits of an order's values. Addresses are free text (Uzbek addresses
// have no fixed structure); 500 characters hold any real one. Notes are
// messages to the seller, kept short.
const (
	MinQuantity              = 1
	DefaultQuantity          = 1
	MaxQuantity              = 100
	MaxShippingAddressLength = 500
	MaxNotesLength           = 1000
	MaxCancelReasonLength    = 500
)

// numberEncoding is unpadded RFC 4648 base32: upper-case letters and 2-7,
// with no look-alike pairs such as 0/O or 1/I.
var numberEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NumberRandomBytes is how many random bytes FormatNumber needs.
const NumberRandomBytes = 5

// FormatNumber returns a human-readable order number such as
// "SB-20261126-K3M7Q2XA": the UTC date of now and 8 base32 characters of
// random (40 bits). Numbers are unique by a storage index; on the rare clash
// the caller draws new random bytes. It panics if random is shorter than
// NumberRandomBytes, which is a programming error.
func FormatNumber(now time.Time, random []byte) string {
	return "SB-" + now.UTC().Format("20060102") + "-" + numberEncoding.EncodeToString(random[:NumberRandomBytes])
}

// Order is a purchase. Its fields change only through methods, which keep
// the status transitions and the actor rules.
type Order struct {
	id              string
	number          string
	productID       string
	sellerID        string
	buyerID         string
	quantity        int
	unitPrice       int64
	totalPrice      int64
	currency        string
	status          Status
	paymentStatus   PaymentStatus
	shippingAddress string
	notes           string
	cancelReason    string
	cancelledBy     Party
	auctionID       string
	createdAt       time.Time
	updatedAt       time.Time
}

// Fields are an order's stored values, for Rehydrate and for adapters that
// read an order whole.
type Fields struct {
	ID              string
	Number          string
	ProductID       string
	SellerID        string
	BuyerID         string
	Quantity        int
	UnitPrice       int64
	TotalPrice      int64
	Currency        string
	Status          Status
	PaymentStatus   PaymentStatus
	ShippingAddress string
	Notes           string
	CancelReason    string
	CancelledBy     Party
	AuctionID       string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Rehydrate rebuilds a stored order. Only storage adapters call it.
func Rehydrate(f Fields) *Order {
	return &Order{id: f.ID, number: f.Number, productID: f.ProductID, sellerID: f.SellerID, buyerID: f.BuyerID,
		quantity: f.Quantity, unitPrice: f.UnitPrice, totalPrice: f.TotalPrice, currency: f.Currency, status: f.Status,
		paymentStatus: f.PaymentStatus, shippingAddress: f.ShippingAddress, notes: f.Notes, cancelReason: f.CancelReason,
		cancelledBy: f.CancelledBy, auctionID: f.AuctionID, createdAt: f.CreatedAt.UTC(), updatedAt: f.UpdatedAt.UTC()}
}

// Fields returns a copy of the order's values.
func (o *Order) Fields() Fields {
	return Fields{ID: o.id, Number: o.number, ProductID: o.productID, SellerID: o.sellerID, BuyerID: o.buyerID,
		Quantity: o.quantity, UnitPrice: o.unitPrice, TotalPrice: o.totalPrice, Currency: o.currency, Status: o.status,
		PaymentStatus: o.paymentStatus, ShippingAddress: o.shippingAddress, Notes: o.notes, CancelReason: o.cancelReason,
		CancelledBy: o.cancelledBy, AuctionID: o.auctionID, CreatedAt: o.createdAt, UpdatedAt: o.updatedAt}
}

// NewParams are the values of a new order. UnitPrice and Currency are the
// product's at the moment of ordering; the caller reads them from the
// product it reserved stock of, never from the client.
type NewParams struct {
	ID              string
	Number          string
	ProductID       string
	SellerID        string
	BuyerID         string
	Quantity        int
	UnitPrice       int64
	Currency        string
	ShippingAddress string
	Notes           string
	// AuctionID is set for the order of an auction's winner; see
	// NewFromAuction.
	AuctionID string
}

// New returns a validated PENDING, unpaid order. It returns ErrOwnProduct
// when buyer and seller are the same user, and a validation error naming
// every bad field otherwise.
func New(p NewParams, now time.Time) (*Order, error) {
	if p.BuyerID != "" && p.BuyerID == p.SellerID {
		return nil, ErrOwnProduct
	}
	var v domain.Validation
	if p.Quantity < MinQuantity || p.Quantity > MaxQuantity {
		v.Add("quantity", "must be an integer from 1 to 100")
	}
	if p.UnitPrice < 1 || money.ValidateAmount(p.UnitPrice) != nil {
		v.Add("unitPrice", "must be an integer from 1 to 10^15 minor units")
	}
	cur, err := money.ParseCurrency(p.Currency)
	v.Merge("currency", err)
	address, err := CleanText(p.ShippingAddress, MaxShippingAddressLength)
	v.Merge("shippingAddress", err)
	notes, err := CleanText(p.Notes, MaxNotesLength)
	v.Merge("notes", err)
	for name, id := range map[string]string{"id": p.ID, "number": p.Number, "productId": p.ProductID, "sellerId": p.SellerID, "buyerId": p.BuyerID} {
		if id == "" {
			v.Add(name, "is required")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now = now.UTC()
	return &Order{id: p.ID, number: p.Number, productID: p.ProductID, sellerID: p.SellerID, buyerID: p.BuyerID,
		quantity: p.Quantity, unitPrice: p.UnitPrice, totalPrice: p.UnitPrice * int64(p.Quantity), currency: cur,
		status: StatusPending, paymentStatus: PaymentPending, shippingAddress: address, notes: notes,
		auctionID: p.AuctionID, createdAt: now, updatedAt: now}, nil
}

// AuctionParams are the values of the order an auction's winner gets.
type AuctionParams struct {
	ID        string
	Number    string
	AuctionID string
	ProductID string
	SellerID  string
	// WinnerID is the buyer.
	WinnerID string
	// Amount is the winning bid, which becomes the unit price.
	Amount   int64
	Currency string
}

// NewFromAuction returns the PENDING order of an auction's winner: quantity
// 1 at the winning amount. It returns the errors of New, and a validation
// error when AuctionID is empty.
//
// The order does not take stock by itself: the caller reserves the one item
// (product.Reserve) in the same transaction that stores the order, because
// cancelling any order gives its quantity back to the product.
func NewFromAuction(p AuctionParams, now time.Time) (*Order, error) {
	if p.AuctionID == "" {
		return nil, domain.Invalid("auctionId", "is required")
	}
	return New(NewParams{ID: p.ID, Number: p.Number, ProductID: p.ProductID, SellerID: p.SellerID, BuyerID: p.WinnerID,
		Quantity: 1, UnitPrice: p.Amount, Currency: p.Currency, AuctionID: p.AuctionID}, now)
}

// CleanText applies the free-text rule (text.Clean) to an optional
// multi-line text of at most max characters: addresses, notes, reasons.
// It returns a validation error without a field name otherwise.
func CleanText(s string, max int) (string, error) {
	return text.Clean(s, true, 0, max)
}

// ID returns the order id.
func (o *Order) ID() string { return o.id }

// Number returns the human-readable order number.
func (o *Order) Number() string { return o.number }

// ProductID returns the ordered product's id.
func (o *Order) ProductID() string { return o.productID }

// SellerID returns the seller's user id.
func (o *Order) SellerID() string { return o.sellerID }

// BuyerID returns the buyer's user id.
func (o *Order) BuyerID() string { return o.buyerID }

// Quantity returns how many items were ordered.
func (o *Order) Quantity() int { return o.quantity }

// UnitPrice returns the price of one item in minor units of Currency.
func (o *Order) UnitPrice() int64 { return o.unitPrice }

// TotalPrice returns UnitPrice times Quantity.
func (o *Order) TotalPrice() int64 { return o.totalPrice }

// Currency returns the ISO 4217 currency of the prices.
func (o *Order) Currency() string { return o.currency }

// Status returns the fulfilment status.
func (o *Order) Status() Status { return o.status }

// PaymentStatus returns the payment status.
func (o *Order) PaymentStatus() PaymentStatus { return o.paymentStatus }

// ShippingAddress returns the address, or "" when none was given.
func (o *Order) ShippingAddress() string { return o.shippingAddress }

// Notes returns the buyer's notes, or "".
func (o *Order) Notes() string { return o.notes }

// CancelReason returns why the order was cancelled, or "".
func (o *Order) CancelReason() string { return o.cancelReason }

// AuctionID returns the auction the order came from, or "".
func (o *Order) AuctionID() string { return o.auctionID }

// CreatedAt returns when the order was placed.
func (o *Order) CreatedAt() time.Time { return o.createdAt }

// UpdatedAt returns when the order last changed.
func (o *Order) UpdatedAt() time.Time { return o.updatedAt }

// VisibleTo reports whether the user may see the order: its buyer, its
// seller and admins may; everyone else is told it does not exist.
func (o *Order) VisibleTo(a user.Actor) bool {
	return a.Is(o.buyerID) || a.Is(o.sellerID) || a.CanSeeAllOrders()
}

// Confirm moves a PENDING order to CONFIRMED. Only the seller may; others
// get ErrForbidden, and any other status ErrInvalidState.
func (o *Order) Confirm(actorID string, now time.Time) error {
	if actorID != o.sellerID {
		return ErrForbidden
	}
	return o.move(StatusPending, StatusConfirmed, now)
}

// Ship moves a CONFIRMED order to SHIPPED. Only the seller may; others get
// ErrForbidden, and any other status ErrInvalidState.
func (o *Order) Ship(actorID string, now time.Time) error {
	if actorID != o.sellerID {
		return ErrForbidden
	}
	return o.move(StatusConfirmed, StatusShipped, now)
}

// Deliver moves a SHIPPED order to DELIVERED. Only the buyer may; others get
// ErrForbidden, and any other status ErrInvalidState.
func (o *Order) Deliver(actorID string, now time.Time) error {
	if actorID != o.buyerID {
		return ErrForbidden
	}
	return o.move(StatusShipped, StatusDelivered, now)
}

func (o *Order) move(from, to Status, now time.Time) error {
	if o.status != from {
		return ErrInvalidState
	}
	o.status = to
	o.updatedAt = now.UTC()
	return nil
}

// Party says who cancelled an order.
type Party string

// The parties that may cancel.
const (
	PartyBuyer  Party = "BUYER"
	PartySeller Party = "SELLER"
	PartyStaff  Party = "STAFF"
)

// CancelledBy returns who cancelled the order, or "" while it is not
// cancelled (or was cancelled before this was recorded).
func (o *Order) CancelledBy() Party { return o.cancelledBy }

// Cancel cancels a PENDING or CONFIRMED order; a paid order becomes
// REFUNDED. It returns the quantity the caller must give back to the
// product. The buyer, the seller or an ADMIN (as STAFF) may; others get
// ErrForbidden, any other status ErrInvalidState, and a reason longer than
// MaxCancelReasonLength a validation error. Because a cancelled order
// cannot be cancelled again, stock comes back exactly once.
func (o *Order) Cancel(a user.Actor, reason string, now time.Time) (int, error) {
	var by Party
	switch {
	case a.Is(o.buyerID):
		by = PartyBuyer
	case a.Is(o.sellerID):
		by = PartySeller
	case a.CanSeeAllOrders():
		by = PartyStaff
	default:
		return 0, ErrForbidden
	}
	reason, err := CleanText(reason, MaxCancelReasonLength)
	if err != nil {
		var v domain.Validation
		v.Merge("reason", err)
		return 0, v.Err()
	}
	if o.status != StatusPending && o.status != StatusConfirmed {
		return 0, ErrInvalidState
	}
	o.status = StatusCancelled
	o.cancelReason = reason
	o.cancelledBy = by
	if o.paymentStatus == PaymentPaid {
		o.paymentStatus = PaymentRefunded
	}
	o.updatedAt = now.UTC()
	return o.quantity, nil
}

// MarkPaid records the payment of an unpaid order that is not cancelled.
// The seller or an ADMIN may; others get ErrForbidden, and a paid,
// refunded or cancelled order ErrInvalidState.
func (o *Order) MarkPaid(a user.Actor, now time.Time) error {
	if !a.Is(o.sellerID) && !a.IsAdmin() {
		return ErrForbidden
	}
	if o.paymentStatus != PaymentPending || o.status == StatusCancelled {
		return ErrInvalidState
	}
	o.paymentStatus = PaymentPaid
	o.updatedAt = now.UTC()
	return nil
}
