package acceptance

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/acceptance/testenv"
	"github.com/secondbloom/marketplace/adapters/clock"
	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain/auction"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
	"github.com/secondbloom/marketplace/ports/porttest"
)

// raceSetup stores a seller, an ACTIVE product of theirs with stock qty,
// and n bidders, on e's store, and opens an auction of the product through
// the core.
func raceSetup(t *testing.T, e *testenv.Env, n, qty int, start int64, endsAt time.Time, userBase int) (*product.Product, *auction.Auction, []user.Actor) {
	t.Helper()
	r := e.Store.Repos()
	seller := porttest.NewUser(t, r, userBase, user.RoleUser)
	p := porttest.NewProduct(t, r, porttest.NewCategory(t, r, "race"), seller, "Contested bouquet", qty, start)
	a, err := e.Core.Auctions.Create(context.Background(), user.Actor{UserID: seller.ID(), Role: user.RoleUser},
		app.NewAuction{ProductID: p.ID(), StartPrice: start, EndsAt: endsAt})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	bidders := make([]user.Actor, n)
	for i := range bidders {
		u := porttest.NewUser(t, r, userBase+1+i, user.RoleUser)
		bidders[i] = user.Actor{UserID: u.ID(), Role: user.RoleUser}
	}
	return p, a, bidders
}

func TestFiftyBiddersOfferTheSameAmountAndExactlyOneIsAccepted(t *testing.T) {
	e := testenv.New(t, testenv.Postgres, testenv.Options{})
	_, a, bidders := raceSetup(t, e, 50, 1, 10000, time.Now().Add(2*time.Hour), 1000)
	var (
		wg              sync.WaitGroup
		mu              sync.Mutex
		accepted, lower int
		start           = make(chan struct{})
	)
	for _, b := range bidders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := e.Core.Auctions.PlaceBid(context.Background(), b, a.ID(), 12000)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				accepted++
			case errors.Is(err, auction.ErrBidTooLow):
				lower++
			default:
				t.Errorf("PlaceBid = %v, want nil or BID_TOO_LOW", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if accepted != 1 || lower != 49 {
		t.Errorf("accepted %d, too low %d; want 1 and 49", accepted, lower)
	}
	got, _ := e.Core.Auctions.Get(context.Background(), a.ID())
	bids, _ := e.Core.Auctions.Bids(context.Background(), a.ID(), ports.Page{Number: 1, Limit: 100})
	if got.BidCount() != 1 || got.CurrentPrice() != 12000 || bids.Total != 1 {
		t.Errorf("bidCount %d, currentPrice %d, stored bids %d; want 1, 12000, 1", got.BidCount(), got.CurrentPrice(), bids.Total)
	}
}

func TestHundredRandomBidsLeaveAStrictlyIncreasingSequence(t *testing.T) {
	e := testenv.New(t, testenv.Postgres, testenv.Options{})
	_, a, bidders := raceSetup(t, e, 20, 1, 10000, time.Now().Add(2*time.Hour), 2000)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted []auction.Bid
		start    = make(chan struct{})
	)
	for i := range 100 {
		b := bidders[i%len(bidders)]
		amount := 10000 + rand.Int64N(5000)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			bid, err := e.Core.Auctions.PlaceBid(context.Background(), b, a.ID(), amount)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				accepted = append(accepted, bid)
			case errors.Is(err, auction.ErrBidTooLow):
			default:
				t.Errorf("PlaceBid(%d) = %v, want nil or BID_TOO_LOW", amount, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(accepted) == 0 {
		t.Fatal("no bid was accepted")
	}
	// In the order the auction accepted them (its clock, read under the
	// lock), amounts strictly increase by at least the increment.
	slices.SortFunc(accepted, func(x, y auction.Bid) int { return x.CreatedAt.Compare(y.CreatedAt) })
	got, _ := e.Core.Auctions.Get(context.Background(), a.ID())
	for i := 1; i < len(accepted); i++ {
		if accepted[i].Amount < accepted[i-1].Amount+got.MinIncrement() || !accepted[i].CreatedAt.After(accepted[i-1].CreatedAt) {
			t.Errorf("accepted bid %d: %d at %s after %d at %s, want strictly increasing by >= %d",
				i, accepted[i].Amount, accepted[i].CreatedAt, accepted[i-1].Amount, accepted[i-1].CreatedAt, got.MinIncrement())
		}
	}
	last := accepted[len(accepted)-1]
	if got.CurrentPrice() != last.Amount || got.BidCount() != len(accepted) || got.LeaderID() != last.BidderID {
		t.Errorf("auction: price %d, count %d, leader %s; want the last accepted %d, %d, %s",
			got.CurrentPrice(), got.BidCount(), got.LeaderID(), last.Amount, len(accepted), last.BidderID)
	}
	stored, _ := e.Core.Auctions.Bids(context.Background(), a.ID(), ports.Page{Number: 1, Limit: 100})
	if stored.Total != len(accepted) || stored.Items[0].ID != last.ID {
		t.Errorf("stored %d bids, highest %s; want %d and %s", stored.Total, stored.Items[0].ID, len(accepted), last.ID)
	}
	t.Logf("%d of 100 random bids accepted, final price %d", len(accepted), last.Amount)
}

func TestFiveClosersRacingProduceExactlyOneOrderPerAuction(t *testing.T) {
	clk := clock.NewFake(time.Now().UTC().Truncate(time.Second))
	first := testenv.New(t, testenv.Postgres, testenv.Options{ManualCloser: true, Clock: clk})
	instances := []*testenv.Env{first}
	for range 4 {
		instances = append(instances, testenv.NewOnStore(t, testenv.Postgres, first.Store, testenv.Options{ManualCloser: true, Clock: clk}))
	}
	ctx := context.Background()
	const withBids, withoutBids = 12, 6
	type lot struct {
		product *product.Product
		auction *auction.Auction
		winner  user.Actor
		price   int64
	}
	var lots []lot
	for i := range withBids + withoutBids {
		p, a, bidders := raceSetup(t, first, 2, 3, 1000, clk.Now().Add(time.Hour+time.Duration(i)*time.Second), 3000+10*i)
		l := lot{product: p, auction: a}
		if i < withBids {
			for k, b := range bidders {
				price := int64(1000 + 100*k)
				if _, err := first.Core.Auctions.PlaceBid(ctx, b, a.ID(), price); err != nil {
					t.Fatal(err)
				}
				l.winner, l.price = b, price
			}
		}
		lots = append(lots, l)
	}
	clk.Advance(2 * time.Hour)

	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		closed int
		start  = make(chan struct{})
	)
	for _, inst := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			n, err := inst.Core.Auctions.CloseDue(ctx)
			if err != nil {
				t.Errorf("CloseDue: %v", err)
			}
			mu.Lock()
			closed += n
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if closed != withBids+withoutBids {
		t.Errorf("the closers closed %d auctions in all, want %d", closed, withBids+withoutBids)
	}

	db := first.Store.(*postgres.Store).DB()
	for i, l := range lots {
		a, _ := first.Core.Auctions.Get(ctx, l.auction.ID())
		var orders int
		if err := db.NewSelect().Table("orders").Where("auction_id = ?", a.ID()).ColumnExpr("count(*)").Scan(ctx, &orders); err != nil {
			t.Fatal(err)
		}
		p, _ := first.Store.Repos().Products.Get(ctx, l.product.ID())
		if i >= withBids {
			if a.Status() != auction.StatusEnded || a.WinnerID() != "" || orders != 0 || p.Quantity() != 3 {
				t.Errorf("auction %d without bids: %s, winner %q, %d orders, stock %d; want ENDED, none, 0, 3", i, a.Status(), a.WinnerID(), orders, p.Quantity())
			}
			continue
		}
		if a.Status() != auction.StatusEnded || a.WinnerID() != l.winner.UserID || orders != 1 || p.Quantity() != 2 {
			t.Errorf("auction %d: %s, winner %q, %d orders, stock %d; want ENDED, the top bidder, 1, 2", i, a.Status(), a.WinnerID(), orders, p.Quantity())
			continue
		}
		o, err := first.Core.Orders.Get(ctx, l.winner, a.OrderID())
		if err != nil || o.UnitPrice() != l.price || o.Quantity() != 1 || o.AuctionID() != a.ID() {
			t.Errorf("auction %d order = %+v, %v; want 1 at %d", i, o, err, l.price)
		}
	}
}

// TestBidsRacingTheCloseAreAllInTheWinnersOrder races bidders (whose
// server clock still reads just before endsAt) against closers (whose clock
// reads endsAt): whichever order the row lock gives them, every accepted bid
// is stored, none is accepted after the close, and the winner's order is at
// the highest accepted amount.
func TestBidsRacingTheCloseAreAllInTheWinnersOrder(t *testing.T) {
	// Round r's auction ends at endsAt + r*3h. The bidders' clock opens it
	// 2 h before, then stands 1 ms before its end; the closers' clock
	// stands at its end.
	endsAt := time.Now().UTC().Truncate(time.Second).Add(2 * time.Hour)
	beforeEnd := clock.NewFake(endsAt.Add(-2 * time.Hour))
	atEnd := clock.NewFake(endsAt)
	noSnipe := func(c *app.Config) { c.AuctionAntiSnipeWindow = 0 }
	bidEnv := testenv.New(t, testenv.Postgres, testenv.Options{ManualCloser: true, Clock: beforeEnd, Configure: noSnipe})
	var closers []*testenv.Env
	for range 3 {
		closers = append(closers, testenv.NewOnStore(t, testenv.Postgres, bidEnv.Store, testenv.Options{ManualCloser: true, Clock: atEnd, Configure: noSnipe}))
	}
	ctx := context.Background()
	for round := range 5 {
		_, a, bidders := raceSetup(t, bidEnv, 10, 1, 1000, endsAt, 5000+100*round)
		beforeEnd.Advance(2*time.Hour - time.Millisecond)
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			accepted []auction.Bid
			start    = make(chan struct{})
		)
		for i, b := range bidders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				bid, err := bidEnv.Core.Auctions.PlaceBid(ctx, b, a.ID(), 1000+int64(i)*10)
				switch {
				case err == nil:
					mu.Lock()
					accepted = append(accepted, bid)
					mu.Unlock()
				case errors.Is(err, auction.ErrBidTooLow), errors.Is(err, auction.ErrNotActive):
				default:
					t.Errorf("PlaceBid = %v", err)
				}
			}()
		}
		for _, c := range closers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if _, err := c.Core.Auctions.CloseDue(ctx); err != nil {
					t.Errorf("CloseDue: %v", err)
				}
			}()
		}
		close(start)
		wg.Wait()
		// A closer that found the auction locked by a bid skipped it; the
		// next tick closes it.
		if _, err := closers[0].Core.Auctions.CloseDue(ctx); err != nil {
			t.Fatalf("next tick: %v", err)
		}
		endsAt = endsAt.Add(3 * time.Hour)
		beforeEnd.Advance(time.Hour + time.Millisecond)
		atEnd.Advance(3 * time.Hour)

		got, _ := bidEnv.Core.Auctions.Get(ctx, a.ID())
		stored, _ := bidEnv.Core.Auctions.Bids(ctx, a.ID(), ports.Page{Number: 1, Limit: 100})
		if got.Status() != auction.StatusEnded || got.BidCount() != len(accepted) || stored.Total != len(accepted) {
			t.Fatalf("round %d: %s with bidCount %d, %d stored, %d accepted; want ENDED and all equal", round, got.Status(), got.BidCount(), stored.Total, len(accepted))
		}
		if len(accepted) == 0 {
			if got.WinnerID() != "" || got.OrderID() != "" {
				t.Errorf("round %d: no bids but winner %q, order %q", round, got.WinnerID(), got.OrderID())
			}
			continue
		}
		top := stored.Items[0]
		o, err := bidEnv.Core.Orders.Get(ctx, user.Actor{UserID: top.BidderID, Role: user.RoleUser}, got.OrderID())
		if err != nil || got.WinnerID() != top.BidderID || o.UnitPrice() != top.Amount || got.CurrentPrice() != top.Amount {
			t.Errorf("round %d: winner %s at %d, order %+v (%v); want the top bid %s at %d", round, got.WinnerID(), got.CurrentPrice(), o, err, top.BidderID, top.Amount)
		}
		t.Logf("round %d: %d bids accepted before the close", round, len(accepted))
	}
}
