package memory

import (
	"context"
	"slices"
	"time"

	"github.com/secondbloom/marketplace/domain/auction"
	"github.com/secondbloom/marketplace/ports"
)

var _ ports.AuctionRepository = (*auctionRepo)(nil)

type auctionRepo struct{ se *session }

// index keeps activeAuctions (product id -> ACTIVE auction id) in step with
// a write of f that replaces old (zero for a new auction). It returns
// auction.ErrAlreadyOpen when another auction of the product is ACTIVE,
// as the partial unique index does in Postgres.
func (r *auctionRepo) index(db *data, log *session, old, f auction.Fields) error {
	if old.Status == auction.StatusActive && f.Status != auction.StatusActive {
		db.activeAuctions.del(log, old.ProductID)
	}
	if f.Status == auction.StatusActive && old.Status != auction.StatusActive {
		if _, open := db.activeAuctions[f.ProductID]; open {
			return auction.ErrAlreadyOpen
		}
		db.activeAuctions.put(log, f.ProductID, f.ID)
	}
	return nil
}

func (r *auctionRepo) Create(ctx context.Context, a *auction.Auction) error {
	f := a.Fields()
	return r.se.do(func(db *data, log *session) error {
		if _, ok := db.products[f.ProductID]; !ok {
			return auction.ErrNotFound
		}
		if err := r.index(db, log, auction.Fields{}, f); err != nil {
			return err
		}
		db.auctions.put(log, f.ID, f)
		return nil
	})
}

func (r *auctionRepo) Get(ctx context.Context, id string) (*auction.Auction, error) {
	var out *auction.Auction
	err := r.se.do(func(db *data, _ *session) error {
		f, ok := db.auctions[id]
		if !ok {
			return auction.ErrNotFound
		}
		out = auction.Rehydrate(f)
		return nil
	})
	return out, err
}

func (r *auctionRepo) HasOpenAuction(ctx context.Context, productID string) (bool, error) {
	var open bool
	err := r.se.do(func(db *data, _ *session) error {
		_, open = db.activeAuctions[productID]
		return nil
	})
	return open, err
}

func (r *auctionRepo) List(ctx context.Context, f ports.AuctionFilter, s ports.Sort, p ports.Page) ([]*auction.Auction, ports.Listed, error) {
	var (
		out []*auction.Auction
		l   ports.Listed
	)
	err := r.se.do(func(db *data, _ *session) error {
		var match []auction.Fields
		for _, a := range db.auctions {
			if (f.Status == "" || a.Status == f.Status) && (f.ProductID == "" || a.ProductID == f.ProductID) {
				match = append(match, a)
			}
		}
		var page []auction.Fields
		page, l = ports.PageOf(match, p, s.Desc, func(a auction.Fields) ports.Position {
			if s.Field == "createdAt" {
				return ports.Position{Time: a.CreatedAt, ID: a.ID}
			}
			return ports.Position{Time: a.EndsAt, ID: a.ID}
		})
		out = make([]*auction.Auction, 0, len(page))
		for _, a := range page {
			out = append(out, auction.Rehydrate(a))
		}
		return nil
	})
	return out, l, err
}

// update runs fn on the stored auction old and stores the result.
func (r *auctionRepo) update(db *data, log *session, old auction.Fields, fn func(*auction.Auction) error) (*auction.Auction, error) {
	a := auction.Rehydrate(old)
	if err := fn(a); err != nil {
		return nil, err
	}
	f := a.Fields()
	if err := r.index(db, log, old, f); err != nil {
		return nil, err
	}
	db.auctions.put(log, f.ID, f)
	return a, nil
}

func (r *auctionRepo) Update(ctx context.Context, id string, fn func(*auction.Auction) error) (*auction.Auction, error) {
	var out *auction.Auction
	err := r.se.do(func(db *data, log *session) error {
		old, ok := db.auctions[id]
		if !ok {
			return auction.ErrNotFound
		}
		var err error
		out, err = r.update(db, log, old, fn)
		return err
	})
	return out, err
}

// UpdateNextDue picks the due auction that ended first. Transactions run
// one at a time here, so there is nothing to skip.
func (r *auctionRepo) UpdateNextDue(ctx context.Context, now time.Time, fn func(*auction.Auction) error) (*auction.Auction, error) {
	var out *auction.Auction
	err := r.se.do(func(db *data, log *session) error {
		var (
			next  auction.Fields
			found bool
		)
		for _, id := range db.activeAuctions {
			a := db.auctions[id]
			if a.EndsAt.After(now) {
				continue
			}
			if !found || a.EndsAt.Before(next.EndsAt) || a.EndsAt.Equal(next.EndsAt) && a.ID < next.ID {
				next, found = a, true
			}
		}
		if !found {
			return auction.ErrNotFound
		}
		var err error
		out, err = r.update(db, log, next, fn)
		return err
	})
	return out, err
}

func (r *auctionRepo) AddBid(ctx context.Context, b auction.Bid) error {
	return r.se.do(func(db *data, log *session) error {
		if _, ok := db.auctions[b.AuctionID]; !ok {
			return auction.ErrNotFound
		}
		db.bids.put(log, b.AuctionID, append(slices.Clip(db.bids[b.AuctionID]), b))
		return nil
	})
}

func (r *auctionRepo) ListBids(ctx context.Context, auctionID string, p ports.Page) ([]auction.Bid, ports.Listed, error) {
	var (
		out []auction.Bid
		l   ports.Listed
	)
	err := r.se.do(func(db *data, _ *session) error {
		out, l = ports.PageOf(db.bids[auctionID], p, true, func(b auction.Bid) ports.Position {
			return ports.Position{Int: b.Amount, ID: b.ID}
		})
		return nil
	})
	return out, l, err
}
