package ports

//go:generate go tool mockgen -source=auctions.go -destination=../mocks/auctions.go -package=mocks

import (
	"context"
	"time"

	"github.com/secondbloom/marketplace/domain/auction"
)

// AuctionFilter selects auctions in a list; empty fields select all.
type AuctionFilter struct {
	Status    auction.Status
	ProductID string
}

// AuctionRepository stores auctions and their bids.
type AuctionRepository interface {
	// Create stores a new auction. It returns auction.ErrAlreadyOpen when
	// the product already has an ACTIVE auction.
	Create(ctx context.Context, a *auction.Auction) error
	// Get returns the auction with id, or auction.ErrNotFound (also for an
	// id that is not a UUID).
	Get(ctx context.Context, id string) (*auction.Auction, error)
	// OpenAuctionChecker's HasOpenAuction reports whether the product has
	// an ACTIVE auction. Inside a transaction that holds the product's row
	// lock (ProductRepository.Update) the answer cannot change before the
	// commit, because creating an auction takes that lock too.
	OpenAuctionChecker
	// List returns one page of the auctions matching f, sorted by s
	// (Field "endsAt" or "createdAt"; ties broken by id), and the total
	// number of matches. Positions: Time = the sort field, ID.
	List(ctx context.Context, f AuctionFilter, s Sort, p Page) ([]*auction.Auction, Listed, error)
	// Update loads the auction with id under a row lock, calls fn, and
	// stores the result if fn returns nil. It returns auction.ErrNotFound,
	// or fn's error unchanged (storing nothing). Concurrent updates of one
	// auction run one after the other, each seeing the previous one's
	// result.
	Update(ctx context.Context, id string, fn func(a *auction.Auction) error) (*auction.Auction, error)
	// UpdateNextDue locks one ACTIVE auction whose endsAt is at or before
	// now, skipping auctions another transaction holds, calls fn and stores
	// the result if fn returns nil. It returns auction.ErrNotFound when no
	// unlocked auction is due, or fn's error unchanged (storing nothing).
	// Call it inside Transactor.WithinTx so the lock lasts until the
	// commit of everything fn's caller does.
	UpdateNextDue(ctx context.Context, now time.Time, fn func(a *auction.Auction) error) (*auction.Auction, error)
	// AddBid stores an accepted bid. It returns auction.ErrNotFound when
	// the auction does not exist. Call it in the transaction that accepted
	// the bid through Update.
	AddBid(ctx context.Context, b auction.Bid) error
	// ListBids returns one page of the auction's bids, highest amount
	// first (amounts of one auction are distinct: an equal bid is never
	// accepted), and their total number. Positions: Int = amount, ID.
	ListBids(ctx context.Context, auctionID string, p Page) ([]auction.Bid, Listed, error)
}
