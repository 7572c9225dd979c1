// Package auction holds timed auctions of one item of a product: who may
// bid, how much a bid must be, when bidding stops, and how an auction ends
// (API.md section 6).
//
// The rules live in the Auction type: the first bid must reach the start
// price and every later one must reach the current price plus the minimum
// increment, so an equal bid always loses to the earlier one; the seller
// cannot bid; bids are accepted only while now < endsAt, and a bid accepted
// within the anti-snipe window before endsAt moves endsAt to now + window.
// Storage adapters serialise bids on one auction (row lock), so the checks
// made here hold whatever the concurrency.
package auction

import (
	"fmt"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/money"
	"github.com/secondbloom/marketplace/domain/user"
)

// Status is where an auction stands.
type Status string

// The statuses of API.md section 6: ACTIVE -> ENDED (winner or not) or
// ACTIVE -> CANCELLED.
const (
	StatusActive    Status = "ACTIVE"
	StatusEnded     Status = "ENDED"
	StatusCancelled Status = "CANCELLED"
)

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool {
	return s == StatusActive || s == StatusEnded || s == StatusCancelled
}

// MaxDuration is the longest an auction may run from its creation.
const MaxDuration = 30 * 24 * time.Hour

// Errors of auctions.
var (
	ErrNotFound = domain.New(domain.KindNotFound, domain.CodeNotFound, "auction not found")
	// ErrNotActive is returned for a bid on an auction that has ended, was
	// cancelled, or whose endsAt has passed on the server's clock.
	ErrNotActive = domain.New(domain.KindConflict, domain.CodeAuctionNotActive, "the auction is not running")
	// ErrBidTooLow is returned for a bid below the minimum next bid; the
	// copy returned by PlaceBid carries the minimum in its details.
	ErrBidTooLow = domain.New(domain.KindConflict, domain.CodeBidTooLow, "the bid is below the minimum next bid")
	// ErrSellerCannotBid is returned when the seller bids on their own
	// auction.
	ErrSellerCannotBid = domain.New(domain.KindForbidden, domain.CodeForbidden, "the seller cannot bid on their own auction")
	// ErrForbidden is returned when someone other than the seller or an
	// ADMIN tries to cancel, or someone other than the seller tries to
	// auction a product.
	ErrForbidden = domain.New(domain.KindForbidden, domain.CodeForbidden, "only the seller or an admin may do this")
	// ErrHasBids is returned by Cancel once a bid has been accepted.
	ErrHasBids = domain.New(domain.KindConflict, domain.CodeInvalidState, "an auction with bids cannot be cancelled")
	// ErrInvalidState is returned for a transition the status does not
	// allow (cancelling an ended auction, closing one twice).
	ErrInvalidState = domain.New(domain.KindConflict, domain.CodeInvalidState, "the auction's status does not allow this")
	// ErrNotDue is returned by Close before endsAt.
	ErrNotDue = domain.New(domain.KindConflict, domain.CodeInvalidState, "the auction has not reached its end")
	// ErrAlreadyOpen is returned by repositories when the product already
	// has an ACTIVE auction.
	ErrAlreadyOpen = domain.New(domain.KindConflict, domain.CodeConflict, "the product already has an open auction")
	// ErrProductNotEligible is returned when the seller's own product is not
	// ACTIVE or has no stock left.
	ErrProductNotEligible = domain.New(domain.KindConflict, domain.CodeInvalidState, "the product must be ACTIVE with at least one item in stock")
	// ErrWinnerOrderMissing is returned by Close when an auction with bids is
	// closed without the winner's order id. It is a programming error.
	ErrWinnerOrderMissing = domain.New(domain.KindInternal, domain.CodeInternal, "closing an auction with bids needs the winner's order")
)

// DefaultIncrement returns the minimum increment used when the seller gives
// none: 1% of the start price, rounded down, and at least 1 minor unit.
func DefaultIncrement(startPrice int64) int64 {
	return max(startPrice/100, 1)
}

// Bid is an accepted bid. Bids are never changed once stored.
type Bid struct {
	ID        string
	AuctionID string
	BidderID  string
	Amount    int64
	CreatedAt time.Time
}

// Auction is a timed sale of one item of a product to the highest bidder.
// Its fields change only through methods, which keep it valid.
type Auction struct {
	id           string
	productID    string
	sellerID     string
	status       Status
	startPrice   int64
	currentPrice int64
	minIncrement int64
	bidCount     int
	leaderID     string
	currency     string
	startsAt     time.Time
	endsAt       time.Time
	winnerID     string
	orderID      string
	createdAt    time.Time
	updatedAt    time.Time
}

// Fields are an auction's stored values, for Rehydrate and for adapters
// that read an auction whole. LeaderID is the bidder of the current price
// ("" before the first bid); it is never shown in public.
type Fields struct {
	ID           string
	ProductID    string
	SellerID     string
	Status       Status
	StartPrice   int64
	CurrentPrice int64
	MinIncrement int64
	BidCount     int
	LeaderID     string
	Currency     string
	StartsAt     time.Time
	EndsAt       time.Time
	WinnerID     string
	OrderID      string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Rehydrate rebuilds a stored auction. Only storage adapters call it.
func Rehydrate(f Fields) *Auction {
	return &Auction{id: f.ID, productID: f.ProductID, sellerID: f.SellerID, status: f.Status, startPrice: f.StartPrice,
		currentPrice: f.CurrentPrice, minIncrement: f.MinIncrement, bidCount: f.BidCount, leaderID: f.LeaderID,
		currency: f.Currency, startsAt: f.StartsAt.UTC(), endsAt: f.EndsAt.UTC(), winnerID: f.WinnerID, orderID: f.OrderID,
		createdAt: f.CreatedAt.UTC(), updatedAt: f.UpdatedAt.UTC()}
}

// Fields returns a copy of the auction's values.
func (a *Auction) Fields() Fields {
	return Fields{ID: a.id, ProductID: a.productID, SellerID: a.sellerID, Status: a.status, StartPrice: a.startPrice,
		CurrentPrice: a.currentPrice, MinIncrement: a.minIncrement, BidCount: a.bidCount, LeaderID: a.leaderID,
		Currency: a.currency, StartsAt: a.startsAt, EndsAt: a.endsAt, WinnerID: a.winnerID, OrderID: a.orderID,
		CreatedAt: a.createdAt, UpdatedAt: a.updatedAt}
}

// NewParams are the values of a new auction. MinIncrement nil means
// DefaultIncrement(StartPrice).
type NewParams struct {
	ID           string
	ProductID    string
	SellerID     string
	Currency     string
	StartPrice   int64
	MinIncrement *int64
	EndsAt       time.Time
}

// New returns a validated ACTIVE auction starting at now. endsAt must be at
// least minDuration and at most MaxDuration after now. It returns a
// validation error naming every bad field.
func New(p NewParams, now time.Time, minDuration time.Duration) (*Auction, error) {
	now = now.UTC()
	var v domain.Validation
	if p.StartPrice < 1 || p.StartPrice > money.MaxAmount {
		v.Add("startPrice", "must be an integer from 1 to 10^15 minor units")
	}
	inc := DefaultIncrement(p.StartPrice)
	if p.MinIncrement != nil {
		inc = *p.MinIncrement
		if inc < 1 || inc > money.MaxAmount {
			v.Add("minIncrement", "must be an integer from 1 to 10^15 minor units")
		}
	}
	endsAt := p.EndsAt.UTC()
	switch {
	case endsAt.Before(now.Add(minDuration)):
		v.Add("endsAt", fmt.Sprintf("must be at least %s from now", minDuration))
	case endsAt.After(now.Add(MaxDuration)):
		v.Add("endsAt", "must be at most 30 days from now")
	}
	cur, err := money.ParseCurrency(p.Currency)
	v.Merge("currency", err)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return &Auction{id: p.ID, productID: p.ProductID, sellerID: p.SellerID, status: StatusActive,
		startPrice: p.StartPrice, currentPrice: p.StartPrice, minIncrement: inc, currency: cur,
		startsAt: now, endsAt: endsAt, createdAt: now, updatedAt: now}, nil
}

// ID returns the auction id.
func (a *Auction) ID() string { return a.id }

// ProductID returns the auctioned product's id.
func (a *Auction) ProductID() string { return a.productID }

// SellerID returns the seller's user id.
func (a *Auction) SellerID() string { return a.sellerID }

// Status returns the status.
func (a *Auction) Status() Status { return a.status }

// StartPrice returns the lowest acceptable first bid.
func (a *Auction) StartPrice() int64 { return a.startPrice }

// CurrentPrice returns the highest accepted bid, or the start price before
// the first bid.
func (a *Auction) CurrentPrice() int64 { return a.currentPrice }

// MinIncrement returns how much a later bid must exceed the current price.
func (a *Auction) MinIncrement() int64 { return a.minIncrement }

// MinNextBid returns the lowest bid the auction accepts now: the start
// price before the first bid, the current price plus the increment after.
func (a *Auction) MinNextBid() int64 {
	if a.bidCount == 0 {
		return a.startPrice
	}
	return a.currentPrice + a.minIncrement
}

// BidCount returns how many bids were accepted.
func (a *Auction) BidCount() int { return a.bidCount }

// LeaderID returns the bidder of the current price, or "" before the first
// bid. It is not public: the API shows only the winner after the close.
func (a *Auction) LeaderID() string { return a.leaderID }

// Currency returns the ISO 4217 currency of every amount.
func (a *Auction) Currency() string { return a.currency }

// StartsAt returns when bidding opened.
func (a *Auction) StartsAt() time.Time { return a.startsAt }

// EndsAt returns when bidding stops (moved by late bids).
func (a *Auction) EndsAt() time.Time { return a.endsAt }

// WinnerID returns the winner's user id once ENDED with bids, else "".
func (a *Auction) WinnerID() string { return a.winnerID }

// OrderID returns the winner's order id once ENDED with bids, else "".
func (a *Auction) OrderID() string { return a.orderID }

// CreatedAt returns when the auction was created.
func (a *Auction) CreatedAt() time.Time { return a.createdAt }

// UpdatedAt returns when the auction last changed.
func (a *Auction) UpdatedAt() time.Time { return a.updatedAt }

// Running reports whether bids are accepted at now.
func (a *Auction) Running(now time.Time) bool {
	return a.status == StatusActive && now.Before(a.endsAt)
}

// Due reports whether the auction is ACTIVE and its endsAt has passed, so
// it must be closed.
func (a *Auction) Due(now time.Time) bool {
	return a.status == StatusActive && !now.Before(a.endsAt)
}

// PlaceBid accepts a bid of amount by bidder at now and returns it with the
// given id. A bid accepted less than antiSnipe before endsAt moves endsAt to
// now + antiSnipe. It returns a validation error for an amount outside
// 1..10^15, ErrNotActive unless the auction is running at now,
// ErrSellerCannotBid for the seller, and a copy of ErrBidTooLow carrying
// minNextBid for an amount below MinNextBid; the auction is unchanged then.
func (a *Auction) PlaceBid(id, bidderID string, amount int64, now time.Time, antiSnipe time.Duration) (Bid, error) {
	now = now.UTC()
	if amount < 1 || amount > money.MaxAmount {
		return Bid{}, domain.Invalid("amount", "must be an integer from 1 to 10^15 minor units")
	}
	if !a.Running(now) {
		return Bid{}, ErrNotActive
	}
	if bidderID == a.sellerID {
		return Bid{}, ErrSellerCannotBid
	}
	if minNext := a.MinNextBid(); amount < minNext {
		return Bid{}, ErrBidTooLow.WithDetails(domain.Detail{
			Field:   "amount",
			Message: fmt.Sprintf("must be at least %d", minNext),
			Data:    map[string]any{"minNextBid": minNext},
		})
	}
	a.currentPrice = amount
	a.leaderID = bidderID
	a.bidCount++
	if a.endsAt.Sub(now) < antiSnipe {
		a.endsAt = now.Add(antiSnipe)
	}
	a.updatedAt = now
	return Bid{ID: id, AuctionID: a.id, BidderID: bidderID, Amount: amount, CreatedAt: now}, nil
}

// Cancel cancels the auction on behalf of actor. It returns ErrForbidden
// unless actor is the seller or an ADMIN, ErrInvalidState unless ACTIVE,
// and ErrHasBids once a bid was accepted.
func (a *Auction) Cancel(by user.Actor, now time.Time) error {
	if !by.Is(a.sellerID) && !by.IsAdmin() {
		return ErrForbidden
	}
	if a.status != StatusActive {
		return ErrInvalidState
	}
	if a.bidCount > 0 {
		return ErrHasBids
	}
	a.status = StatusCancelled
	a.updatedAt = now.UTC()
	return nil
}

// Close ends a due auction. With bids, the leader becomes the winner and
// orderID names the winner's order, which the caller creates in the same
// transaction; without bids the auction ends with no winner and orderID
// is ignored. It returns ErrInvalidState unless ACTIVE, ErrNotDue before
// endsAt, and ErrWinnerOrderMissing when bids exist but orderID is "".
func (a *Auction) Close(now time.Time, orderID string) error {
	if a.status != StatusActive {
		return ErrInvalidState
	}
	if !a.Due(now) {
		return ErrNotDue
	}
	if a.bidCount > 0 {
		if orderID == "" {
			return ErrWinnerOrderMissing
		}
		a.winnerID = a.leaderID
		a.orderID = orderID
	}
	a.status = StatusEnded
	a.updatedAt = now.UTC()
	return nil
}
