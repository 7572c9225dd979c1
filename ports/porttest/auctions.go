package porttest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/domain/auction"
	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// NewAuction stores an ACTIVE auction of p starting at t0 and ending after
// d, with start price start and increment 10.
func NewAuction(t *testing.T, r ports.Repos, p *product.Product, start int64, d time.Duration) *auction.Auction {
	t.Helper()
	inc := int64(10)
	a, err := auction.New(auction.NewParams{ID: newID(), ProductID: p.ID(), SellerID: p.SellerID(), Currency: p.Currency(),
		StartPrice: start, MinIncrement: &inc, EndsAt: t0.Add(d)}, t0, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Auctions.Create(context.Background(), a); err != nil {
		t.Fatalf("Auctions.Create: %v", err)
	}
	return a
}

// placeBid accepts a bid the way the core does: under the auction's lock,
// storing the bid in the same transaction.
func placeBid(ctx context.Context, st Store, auctionID, bidder string, amount int64, now time.Time) error {
	return st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		var b auction.Bid
		if _, err := r.Auctions.Update(ctx, auctionID, func(a *auction.Auction) error {
			var err error
			b, err = a.PlaceBid(newID(), bidder, amount, now, time.Minute)
			return err
		}); err != nil {
			return err
		}
		return r.Auctions.AddBid(ctx, b)
	})
}

func testAuctions(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t)
	r := st.Repos()
	seller := NewUser(t, r, 20, user.RoleUser)
	alice := NewUser(t, r, 21, user.RoleUser)
	bob := NewUser(t, r, 22, user.RoleUser)
	cat := NewCategory(t, r, "auctioned")
	p := NewProduct(t, r, cat, seller, "Antique vase of peonies", 2, 100000)

	a := NewAuction(t, r, p, 1000, time.Hour)
	if got, err := r.Auctions.Get(ctx, a.ID()); err != nil || got.Fields() != a.Fields() {
		t.Fatalf("Get = %+v, %v, want %+v", got, err, a.Fields())
	}
	for _, id := range []string{newID(), "not-a-uuid"} {
		if _, err := r.Auctions.Get(ctx, id); !errors.Is(err, auction.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want auction.ErrNotFound", id, err)
		}
	}
	if open, err := r.Auctions.HasOpenAuction(ctx, p.ID()); err != nil || !open {
		t.Errorf("HasOpenAuction = %v, %v, want true", open, err)
	}
	if open, err := r.Auctions.HasOpenAuction(ctx, newID()); err != nil || open {
		t.Errorf("HasOpenAuction(other product) = %v, %v, want false", open, err)
	}

	t.Run("a second open auction for the product is refused", func(t *testing.T) {
		b, _ := auction.New(auction.NewParams{ID: newID(), ProductID: p.ID(), SellerID: seller.ID(), StartPrice: 5,
			EndsAt: t0.Add(time.Hour)}, t0, time.Second)
		if err := r.Auctions.Create(ctx, b); !errors.Is(err, auction.ErrAlreadyOpen) {
			t.Errorf("Create(second open) = %v, want auction.ErrAlreadyOpen", err)
		}
	})

	t.Run("the product of an open auction cannot be archived or emptied", func(t *testing.T) {
		// The suite cannot call the catalog's use cases, so archiving is
		// simulated by replacing the product with an archived copy.
		for name, fn := range map[string]func(*product.Product) error{
			"archive": func(pp *product.Product) error { *pp = *product.Rehydrate(archived(pp)); return nil },
			"empty":   func(pp *product.Product) error { return pp.Reserve(pp.Quantity(), t0) },
		} {
			if _, err := r.Products.Update(ctx, p.ID(), fn); !errors.Is(err, product.ErrInvalidState) {
				t.Errorf("Products.Update(%s) during the auction = %v, want product.ErrInvalidState", name, err)
			}
		}
		if got, _ := r.Products.Get(ctx, p.ID()); got.Status() != product.StatusActive || got.Quantity() != 2 {
			t.Errorf("product = %s with %d, want ACTIVE with 2, unchanged", got.Status(), got.Quantity())
		}
		if _, err := r.Products.Update(ctx, p.ID(), func(p *product.Product) error { return p.Reserve(1, t0) }); err != nil {
			t.Errorf("Products.Update(take 1 of 2) during the auction = %v, want nil", err)
		}
	})

	t.Run("bids are stored with the auction and listed highest first", func(t *testing.T) {
		for i, bid := range []struct {
			who    *user.User
			amount int64
		}{{alice, 1000}, {bob, 1010}, {alice, 1500}} {
			if err := placeBid(ctx, st, a.ID(), bid.who.ID(), bid.amount, t0.Add(time.Duration(i)*time.Second)); err != nil {
				t.Fatalf("bid %d: %v", bid.amount, err)
			}
		}
		err := placeBid(ctx, st, a.ID(), bob.ID(), 1500, t0.Add(5*time.Second))
		if !errors.Is(err, auction.ErrBidTooLow) {
			t.Fatalf("equal bid = %v, want auction.ErrBidTooLow", err)
		}
		got, _ := r.Auctions.Get(ctx, a.ID())
		if got.CurrentPrice() != 1500 || got.BidCount() != 3 || got.LeaderID() != alice.ID() {
			t.Errorf("after bids: price %d, count %d, leader %s; want 1500, 3, alice", got.CurrentPrice(), got.BidCount(), got.LeaderID())
		}
		bids, total, err := r.Auctions.ListBids(ctx, a.ID(), ports.Page{Number: 1, Limit: 2})
		if err != nil || total.Total != 3 || len(bids) != 2 || bids[0].Amount != 1500 || bids[1].Amount != 1010 || bids[1].BidderID != bob.ID() {
			t.Fatalf("ListBids page 1 = %+v, %d, %v, want 1500 then 1010 of 3", bids, total.Total, err)
		}
		bids, _, _ = r.Auctions.ListBids(ctx, a.ID(), ports.Page{Number: 2, Limit: 2})
		if len(bids) != 1 || bids[0].Amount != 1000 || !bids[0].CreatedAt.Equal(t0) {
			t.Errorf("ListBids page 2 = %+v, want the first bid of 1000 at t0", bids)
		}
		if err := r.Auctions.AddBid(ctx, auction.Bid{ID: newID(), AuctionID: newID(), BidderID: bob.ID(), Amount: 5, CreatedAt: t0}); !errors.Is(err, auction.ErrNotFound) {
			t.Errorf("AddBid(unknown auction) = %v, want auction.ErrNotFound", err)
		}
	})

	t.Run("a failed update stores nothing", func(t *testing.T) {
		before, _ := r.Auctions.Get(ctx, a.ID())
		boom := errors.New("boom")
		err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			if _, err := r.Auctions.Update(ctx, a.ID(), func(a *auction.Auction) error {
				_, err := a.PlaceBid(newID(), bob.ID(), 9000, t0, time.Minute)
				return err
			}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("WithinTx = %v, want boom", err)
		}
		if after, _ := r.Auctions.Get(ctx, a.ID()); after.Fields() != before.Fields() {
			t.Errorf("after rollback = %+v, want %+v", after.Fields(), before.Fields())
		}
	})

	t.Run("lists filter, sort and page", func(t *testing.T) {
		other := NewProduct(t, r, cat, seller, "Tulip bouquet", 1, 1000)
		b := NewAuction(t, r, other, 10, 30*time.Minute)
		all, total, err := r.Auctions.List(ctx, ports.AuctionFilter{}, ports.Sort{Field: "endsAt"}, ports.Page{Number: 1, Limit: 10})
		if err != nil || total.Total != 2 || len(all) != 2 || all[0].ID() != b.ID() || all[1].ID() != a.ID() {
			t.Errorf("List(sort endsAt) = %d items of %d, %v; want b then a", len(all), total.Total, err)
		}
		desc, _, _ := r.Auctions.List(ctx, ports.AuctionFilter{}, ports.Sort{Field: "endsAt", Desc: true}, ports.Page{Number: 1, Limit: 1})
		if len(desc) != 1 || desc[0].ID() != a.ID() {
			t.Errorf("List(sort -endsAt, limit 1) = %v, want a", desc)
		}
		byProduct, total, _ := r.Auctions.List(ctx, ports.AuctionFilter{ProductID: other.ID()}, ports.Sort{Field: "endsAt"}, ports.Page{Number: 1, Limit: 10})
		if total.Total != 1 || byProduct[0].ID() != b.ID() {
			t.Errorf("List(productId) = %d, want only b", total.Total)
		}
		if _, total, _ := r.Auctions.List(ctx, ports.AuctionFilter{Status: auction.StatusEnded}, ports.Sort{Field: "endsAt"}, ports.Page{Number: 1, Limit: 10}); total.Total != 0 {
			t.Errorf("List(status ENDED) total = %d, want 0", total.Total)
		}
		if _, total, _ := r.Auctions.List(ctx, ports.AuctionFilter{ProductID: newID()}, ports.Sort{Field: "endsAt"}, ports.Page{Number: 1, Limit: 10}); total.Total != 0 {
			t.Errorf("List(unknown productId) total = %d, want 0", total.Total)
		}
	})

	t.Run("UpdateNextDue takes only due auctions, earliest first", func(t *testing.T) {
		noop := func(*auction.Auction) error { return nil }
		if _, err := r.Auctions.UpdateNextDue(ctx, t0.Add(29*time.Minute), noop); !errors.Is(err, auction.ErrNotFound) {
			t.Fatalf("UpdateNextDue before any end = %v, want auction.ErrNotFound", err)
		}
		// A close that fails mid-way (here: after the auction was marked
		// ENDED, before the commit) leaves the auction ACTIVE and due.
		boom := errors.New("crash mid-close")
		err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			if _, err := r.Auctions.UpdateNextDue(ctx, t0.Add(2*time.Hour), func(a *auction.Auction) error {
				return a.Close(t0.Add(2*time.Hour), newID())
			}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("failed close = %v, want boom", err)
		}
		if got, _ := r.Auctions.Get(ctx, a.ID()); got.Status() != auction.StatusActive || got.OrderID() != "" {
			t.Fatalf("after a failed close: %s with order %q, want ACTIVE without order", got.Status(), got.OrderID())
		}
		var closed []string
		for {
			a, err := closeNextDue(ctx, st, t0.Add(2*time.Hour))
			if errors.Is(err, auction.ErrNotFound) {
				break
			}
			if err != nil {
				t.Fatalf("closing = %v", err)
			}
			closed = append(closed, a.ID())
			if len(closed) > 5 {
				t.Fatal("UpdateNextDue keeps returning closed auctions")
			}
		}
		if len(closed) != 2 || closed[1] != a.ID() {
			t.Fatalf("closed %v, want the tulip auction then %s", closed, a.ID())
		}
		got, _ := r.Auctions.Get(ctx, a.ID())
		if got.Status() != auction.StatusEnded || got.WinnerID() != alice.ID() || got.OrderID() == "" {
			t.Fatalf("closed auction = %+v, want ENDED won by alice with an order", got.Fields())
		}
		if o, err := r.Orders.Get(ctx, got.OrderID()); err != nil || o.AuctionID() != a.ID() || o.UnitPrice() != 1500 || o.BuyerID() != alice.ID() {
			t.Errorf("winner's order = %+v, %v, want alice's at 1500 for the auction", o, err)
		}
		if open, err := r.Auctions.HasOpenAuction(ctx, p.ID()); err != nil || open {
			t.Errorf("HasOpenAuction after close = %v, %v, want false", open, err)
		}
		// Once ended, a new auction of the product may open.
		NewAuction(t, r, p, 1000, time.Hour)
	})

	t.Run("20 goroutines bid the same amount, exactly one is accepted", func(t *testing.T) {
		q := NewProduct(t, r, cat, seller, "Race lilies", 1, 1000)
		race := NewAuction(t, r, q, 500, time.Hour)
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			accepted int
			tooLow   int
		)
		for i := range 20 {
			bidder := NewUser(t, r, 100+i, user.RoleUser)
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := placeBid(ctx, st, race.ID(), bidder.ID(), 700, t0.Add(time.Second))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					accepted++
				case errors.Is(err, auction.ErrBidTooLow):
					tooLow++
				default:
					t.Errorf("bid = %v", err)
				}
			}()
		}
		wg.Wait()
		if accepted != 1 || tooLow != 19 {
			t.Errorf("accepted %d, too low %d; want 1 and 19", accepted, tooLow)
		}
		got, _ := r.Auctions.Get(ctx, race.ID())
		if _, total, _ := r.Auctions.ListBids(ctx, race.ID(), ports.Page{Number: 1, Limit: 100}); total.Total != 1 || got.BidCount() != 1 || got.CurrentPrice() != 700 {
			t.Errorf("stored bids %d, count %d, price %d; want 1, 1, 700", total.Total, got.BidCount(), got.CurrentPrice())
		}
	})
}

// closeNextDue closes the next due auction the way the core does: with
// bids, the winner's order is stored in the same transaction.
func closeNextDue(ctx context.Context, st Store, now time.Time) (*auction.Auction, error) {
	var closed *auction.Auction
	err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		var err error
		closed, err = r.Auctions.UpdateNextDue(ctx, now, func(a *auction.Auction) error {
			orderID := ""
			if a.BidCount() > 0 {
				orderID = newID()
			}
			return a.Close(now, orderID)
		})
		if err != nil || closed.OrderID() == "" {
			return err
		}
		o, err := order.NewFromAuction(order.AuctionParams{ID: closed.OrderID(), Number: order.FormatNumber(now, []byte(newID()[30:])),
			AuctionID: closed.ID(), ProductID: closed.ProductID(), SellerID: closed.SellerID(), WinnerID: closed.WinnerID(),
			Amount: closed.CurrentPrice(), Currency: closed.Currency()}, now)
		if err != nil {
			return err
		}
		return r.Orders.Create(ctx, o)
	})
	return closed, err
}

// archived returns p's fields with status ARCHIVED.
func archived(p *product.Product) product.Fields {
	f := p.Fields()
	f.Status = product.StatusArchived
	return f
}
