package app

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/auction"
	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/domain/money"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// DefaultAuctionMinDuration is used when Config.AuctionMinDuration is 0.
const DefaultAuctionMinDuration = time.Hour

// AuctionService runs auctions: creating and cancelling them, bidding,
// and closing them when they are due.
type AuctionService struct {
	tx       ports.Transactor
	auctions ports.AuctionRepository
	clock    ports.Clock
	cfg      Config
	idem     *idempotencyGuard
}

func newAuctionService(tx ports.Transactor, auctions ports.AuctionRepository, clock ports.Clock, cfg Config) *AuctionService {
	return &AuctionService{tx: tx, auctions: auctions, clock: clock, cfg: cfg, idem: newIdempotencyGuard(tx, clock)}
}

// auctionEvent is an event about auction a; kv adds data pairs.
func auctionEvent(name event.Name, by user.Actor, a *auction.Auction, kv ...string) event.Event {
	return event.New(name, by, event.SubjectAuction, a.ID(), append([]string{"productId", a.ProductID(), "sellerId", a.SellerID()}, kv...)...)
}

// NewAuction is what a seller sends to open an auction.
type NewAuction struct {
	ProductID    string
	StartPrice   int64
	MinIncrement *int64
	EndsAt       time.Time
}

// Create opens an auction of one item of the caller's product. It returns
// a validation error for bad values (before anything else is checked),
// product.ErrNotFound when the product does not exist or the caller may not
// see it, auction.ErrForbidden when it is someone else's,
// auction.ErrProductNotEligible unless it is ACTIVE with stock, and
// auction.ErrAlreadyOpen when it already has an open auction.
func (s *AuctionService) Create(ctx context.Context, p user.Actor, in NewAuction) (*auction.Auction, error) {
	now := s.clock.Now()
	params := auction.NewParams{ID: newID(), ProductID: in.ProductID, SellerID: p.UserID, StartPrice: in.StartPrice,
		MinIncrement: in.MinIncrement, EndsAt: in.EndsAt}
	if _, err := auction.New(params, now, s.cfg.AuctionMinDuration); err != nil {
		return nil, err
	}
	var a *auction.Auction
	err := s.tx.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		// The product's row lock orders this against orders and edits of
		// the product, which check for an open auction under the same lock.
		_, err := r.Products.Update(ctx, in.ProductID, func(pr *product.Product) error {
			switch {
			case !pr.VisibleTo(p):
				return product.ErrNotFound
			case pr.SellerID() != p.UserID:
				return auction.ErrForbidden
			case pr.Status() != product.StatusActive || pr.Quantity() < 1:
				return auction.ErrProductNotEligible
			}
			params.Currency = pr.Currency()
			return nil
		})
		if err != nil {
			return err
		}
		if a, err = auction.New(params, now, s.cfg.AuctionMinDuration); err != nil {
			return err
		}
		if err := r.Auctions.Create(ctx, a); err != nil {
			return err
		}
		r.Events.Record(auctionEvent(event.AuctionOpened, p, a))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Get returns the auction with id, or auction.ErrNotFound.
func (s *AuctionService) Get(ctx context.Context, id string) (*auction.Auction, error) {
	return s.auctions.Get(ctx, id)
}

// AuctionList is one page of auctions and the number of all matches.
type AuctionList struct {
	Items []*auction.Auction
	ports.Listed
}

// List returns one page of auctions matching f sorted by sort (endsAt
// unless given).
func (s *AuctionService) List(ctx context.Context, f ports.AuctionFilter, sort ports.Sort, page ports.Page) (AuctionList, error) {
	if sort.Field == "" {
		sort.Field = "endsAt"
	}
	items, total, err := s.auctions.List(ctx, f, sort, page)
	return AuctionList{Items: items, Listed: total}, err
}

// PlaceBid bids amount on the auction for the caller, on the server's clock
// read under the auction's lock. It returns a validation error for an
// amount out of range, auction.ErrNotFound, auction.ErrNotActive,
// auction.ErrSellerCannotBid, or auction.ErrBidTooLow with minNextBid in
// its details; nothing is stored then.
func (s *AuctionService) PlaceBid(ctx context.Context, p user.Actor, auctionID string, amount int64) (auction.Bid, error) {
	if err := validateBidAmount(amount); err != nil {
		return auction.Bid{}, err
	}
	var bid auction.Bid
	err := s.tx.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		var refused, err error
		bid, refused, err = s.placeBid(ctx, r, p, auctionID, amount)
		if err != nil {
			return err
		}
		return refused
	})
	if err != nil {
		return auction.Bid{}, err
	}
	return bid, nil
}

// BidRoute names the bid route in idempotency scopes.
const BidRoute = "POST /api/v1/auctions/{id}/bids"

// PlaceBidIdempotent is PlaceBid under an Idempotency-Key, scoped to the
// caller and BidRoute; the auction id is part of the request, so one key
// used on two auctions is a reused key. render turns the outcome (the bid,
// or the refusal PlaceBid would return) into the response, which is stored
// with the key in the bid's transaction; a retry gets it back with Replayed
// set and changes nothing. It returns the validation errors of PlaceBid
// (never stored), idempotency.ErrInvalidKey, idempotency.ErrKeyInUse while
// a request with the key runs, and idempotency.ErrKeyReused when the key
// was used with another request.
func (s *AuctionService) PlaceBidIdempotent(ctx context.Context, p user.Actor, auctionID string, amount int64, key string,
	render func(b auction.Bid, refused error) (Response, error),
) (Response, error) {
	if err := validateBidAmount(amount); err != nil {
		return Response{}, err
	}
	fp, _ := json.Marshal([]any{auctionID, amount})
	sum := sha256.Sum256(fp)
	var bid auction.Bid
	resp, _, err := s.idem.run(ctx, p.UserID, Idempotency{Key: key, Route: BidRoute}, sum[:],
		func(ctx context.Context, r ports.Repos) (refused, err error) {
			bid, refused, err = s.placeBid(ctx, r, p, auctionID, amount)
			return refused, err
		},
		func(refused error) (Response, error) { return render(bid, refused) },
	)
	if err != nil {
		return Response{}, err
	}
	return resp, nil
}

func validateBidAmount(amount int64) error {
	if amount < 1 || amount > money.MaxAmount {
		return domain.Invalid("amount", "must be an integer from 1 to 10^15 minor units")
	}
	return nil
}

// placeBid does the work of PlaceBid in r's transaction. refused is a
// business refusal reached before anything was written; err is anything
// else and must roll the transaction back.
func (s *AuctionService) placeBid(ctx context.Context, r ports.Repos, bidder user.Actor, auctionID string, amount int64) (bid auction.Bid, refused, err error) {
	bidderID := bidder.UserID
	// A bid that the last committed state already refuses is refused
	// without queueing for the auction's lock: below the minimum next bid
	// (which only grows), by the seller, or after the end. On a hot auction
	// most bids are such, and after endsAt this keeps late bids from
	// holding the lock the closer needs (it skips locked auctions). A bid
	// refused as late here could only have been saved by another bid,
	// running at the same moment, moving endsAt: a tie either outcome of
	// which is fair.
	if cur, err := r.Auctions.Get(ctx, auctionID); err == nil {
		probe := auction.Rehydrate(cur.Fields()) // trying a bid changes the auction
		_, err := probe.PlaceBid("", bidderID, amount, s.clock.Now(), s.cfg.AuctionAntiSnipeWindow)
		if errors.Is(err, auction.ErrBidTooLow) || errors.Is(err, auction.ErrSellerCannotBid) || errors.Is(err, auction.ErrNotActive) {
			return auction.Bid{}, err, nil
		}
	}
	var previousLeader string
	a, err := r.Auctions.Update(ctx, auctionID, func(a *auction.Auction) error {
		previousLeader = a.LeaderID()
		bid, refused = a.PlaceBid(newID(), bidderID, amount, s.clock.Now(), s.cfg.AuctionAntiSnipeWindow)
		return refused
	})
	switch {
	case refused != nil:
		return auction.Bid{}, refused, nil
	case errors.Is(err, auction.ErrNotFound):
		return auction.Bid{}, err, nil
	case err != nil:
		return auction.Bid{}, nil, err
	}
	if err := r.Auctions.AddBid(ctx, bid); err != nil {
		return auction.Bid{}, nil, err
	}
	r.Events.Record(auctionEvent(event.BidAccepted, bidder, a, "bidId", bid.ID, "bidderId", bidderID,
		"amount", strconv.FormatInt(amount, 10), "previousLeaderId", previousLeader,
		"endsAt", a.EndsAt().UTC().Format(time.RFC3339Nano)))
	return bid, nil, nil
}

// BidList is one page of an auction's bids, highest first, and their
// number.
type BidList struct {
	Items []auction.Bid
	ports.Listed
}

// Bids returns one page of the auction's bids, highest first. It returns
// auction.ErrNotFound for an unknown auction.
func (s *AuctionService) Bids(ctx context.Context, auctionID string, page ports.Page) (BidList, error) {
	if _, err := s.auctions.Get(ctx, auctionID); err != nil {
		return BidList{}, err
	}
	items, total, err := s.auctions.ListBids(ctx, auctionID, page)
	return BidList{Items: items, Listed: total}, err
}

// Cancel cancels an auction without bids for its seller or an ADMIN. It
// returns auction.ErrNotFound, auction.ErrForbidden, auction.ErrHasBids or
// auction.ErrInvalidState.
func (s *AuctionService) Cancel(ctx context.Context, p user.Actor, id string) (*auction.Auction, error) {
	var out *auction.Auction
	err := s.tx.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		a, err := r.Auctions.Update(ctx, id, func(a *auction.Auction) error {
			return a.Cancel(p, s.clock.Now())
		})
		if err != nil {
			return err
		}
		out = a
		e := auctionEvent(event.AuctionCancelled, p, a)
		if !p.Is(a.SellerID()) {
			e = audited(e, "auction.cancel", map[string]any{"status": auction.StatusActive}, map[string]any{"status": a.Status()})
		}
		r.Events.Record(e)
		return nil
	})
	return out, err
}

// CloseDue closes every auction whose endsAt has passed, one per
// transaction, and returns how many it closed. Several instances may run it
// at once: each auction is claimed by exactly one of them. It stops at the
// first error, leaving the auction it was closing ACTIVE for the next run.
func (s *AuctionService) CloseDue(ctx context.Context) (int, error) {
	closed := 0
	for ctx.Err() == nil {
		err := s.closeNext(ctx)
		if errors.Is(err, auction.ErrNotFound) {
			return closed, nil
		}
		if err != nil {
			return closed, err
		}
		closed++
	}
	return closed, nil
}

// closeNext closes one due auction. With bids, the winner's order is
// created and the item taken from stock in the same transaction. It
// returns auction.ErrNotFound when nothing is due.
func (s *AuctionService) closeNext(ctx context.Context) error {
	now := s.clock.Now()
	var closed *auction.Auction
	err := s.tx.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		var orderID string
		a, err := r.Auctions.UpdateNextDue(ctx, now, func(a *auction.Auction) error {
			if a.BidCount() > 0 {
				orderID = newID()
			}
			return a.Close(now, orderID)
		})
		if err != nil {
			return err
		}
		closed = a
		closer := user.SystemActor(CloserActor)
		if orderID != "" {
			o, err := s.createWinnerOrder(ctx, r, a, now)
			if err != nil {
				return err
			}
			r.Events.Record(orderPlaced(closer, o))
		}
		r.Events.Record(auctionEvent(event.AuctionClosed, closer, a, "winnerId", a.WinnerID(), "orderId", a.OrderID(),
			"amount", strconv.FormatInt(a.CurrentPrice(), 10)))
		return nil
	})
	if errors.Is(err, auction.ErrNotFound) && closed == nil {
		return err
	}
	if err != nil {
		return fmt.Errorf("close auction: %w", err)
	}
	return nil
}

// CloserActor names the auction closer as the actor of what it records.
const CloserActor = "auction-closer"

// CloseInterval is how often RunCloser looks for due auctions, which
// bounds the delay between an auction's endsAt and its close to about
// one interval plus the time the close takes.
const CloseInterval = time.Second

// RunCloser closes due auctions every interval until ctx ends, and returns
// then; a close in progress finishes or rolls back with ctx. Failures are
// passed to onError (never nil) and retried at the next tick. Several
// server instances may run it at once.
func (s *AuctionService) RunCloser(ctx context.Context, interval time.Duration, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.CloseDue(ctx); err != nil && ctx.Err() == nil {
			onError(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
