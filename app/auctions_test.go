package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/auction"
	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/mocks"
	"github.com/secondbloom/marketplace/ports"
)

// auctionNow is the mocked clock's time in the auction tests.
var auctionNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// auctionFixture is the core built on mocks; Tx runs its closure with the
// same mock repositories, so the test sees every call made in it.
type auctionFixture struct {
	core     *app.App
	auctions *mocks.MockAuctionRepository
	products *mocks.MockProductRepository
	orders   *mocks.MockOrderRepository
	metrics  *mocks.MockMetrics
	tx       *mocks.MockTransactor
}

// newAuctionFixture is newAuctionFixtureAt with the clock at auctionNow.
func newAuctionFixture(t *testing.T) *auctionFixture { return newAuctionFixtureAt(t, auctionNow) }

const (
	auctionSellerID = "01936f8e-0000-7000-8000-000000000001"
	aliceID         = "01936f8e-0000-7000-8000-000000000002"
	bobID           = "01936f8e-0000-7000-8000-000000000003"
	prodID          = "01936f8e-0000-7000-8000-0000000000aa"
)

func openAuction(t *testing.T, bids ...int64) *auction.Auction {
	t.Helper()
	inc := int64(10)
	a, err := auction.New(auction.NewParams{ID: "01936f8e-0000-7000-8000-0000000000bb", ProductID: prodID, SellerID: auctionSellerID,
		StartPrice: 1000, MinIncrement: &inc, EndsAt: auctionNow.Add(2 * time.Hour)}, auctionNow.Add(-time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for i, amount := range bids {
		who := aliceID
		if i%2 == 1 {
			who = bobID
		}
		if _, err := a.PlaceBid("b", who, amount, auctionNow.Add(-time.Minute*30), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

// updating makes a mock update-function method apply fn to a copy of a.
func updating(a *auction.Auction) func(context.Context, string, func(*auction.Auction) error) (*auction.Auction, error) {
	return func(_ context.Context, _ string, fn func(*auction.Auction) error) (*auction.Auction, error) {
		c := auction.Rehydrate(a.Fields())
		if err := fn(c); err != nil {
			return nil, err
		}
		return c, nil
	}
}

func TestPlaceBidStoresTheBidAndCountsIt(t *testing.T) {
	f := newAuctionFixture(t)
	a := openAuction(t)
	f.auctions.EXPECT().Get(gomock.Any(), a.ID()).Return(a, nil)
	f.auctions.EXPECT().Update(gomock.Any(), a.ID(), gomock.Any()).DoAndReturn(updating(a))
	f.auctions.EXPECT().AddBid(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, b auction.Bid) error {
		if b.AuctionID != a.ID() || b.BidderID != aliceID || b.Amount != 1000 || !b.CreatedAt.Equal(auctionNow) || b.ID == "" {
			t.Errorf("AddBid(%+v), want alice's bid of 1000 at auctionNow", b)
		}
		return nil
	})
	f.metrics.EXPECT().BidPlaced().Times(1)
	b, err := f.core.Auctions.PlaceBid(context.Background(), user.Actor{UserID: aliceID}, a.ID(), 1000)
	if err != nil || b.Amount != 1000 {
		t.Fatalf("PlaceBid = %+v, %v, want the bid", b, err)
	}
}

func TestPlaceBidRefusedStoresNothing(t *testing.T) {
	tests := []struct {
		name    string
		bidder  string
		amount  int64
		wantErr error
	}{
		{"below the minimum next bid", aliceID, 1005, auction.ErrBidTooLow},
		{"by the seller", auctionSellerID, 5000, auction.ErrSellerCannotBid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAuctionFixture(t)
			a := openAuction(t, 1000)
			f.auctions.EXPECT().Get(gomock.Any(), a.ID()).Return(a, nil)
			// Refused from the committed state: no lock (Update), no AddBid
			// and no BidPlaced; gomock fails on unexpected calls.
			_, err := f.core.Auctions.PlaceBid(context.Background(), user.Actor{UserID: tc.bidder}, a.ID(), tc.amount)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("PlaceBid(%d) = %v, want %v", tc.amount, err, tc.wantErr)
			}
		})
	}
}

func TestPlaceBidAfterTheEndTakesNoLock(t *testing.T) {
	f := newAuctionFixture(t)
	fields := openAuction(t, 1000).Fields()
	fields.EndsAt = auctionNow // the clock reads exactly endsAt
	ended := auction.Rehydrate(fields)
	f.auctions.EXPECT().Get(gomock.Any(), ended.ID()).Return(ended, nil)
	// No Update: a late bid must not hold the lock the closer skips.
	if _, err := f.core.Auctions.PlaceBid(context.Background(), user.Actor{UserID: bobID}, ended.ID(), 5000); !errors.Is(err, auction.ErrNotActive) {
		t.Fatalf("PlaceBid at endsAt = %v, want auction.ErrNotActive", err)
	}
}

func TestPlaceBidOvertakenUnderTheLockIsTooLow(t *testing.T) {
	f := newAuctionFixture(t)
	seen := openAuction(t, 1000)         // the committed state read first
	locked := openAuction(t, 1000, 1500) // a faster bidder committed meanwhile
	f.auctions.EXPECT().Get(gomock.Any(), seen.ID()).Return(seen, nil)
	f.auctions.EXPECT().Update(gomock.Any(), seen.ID(), gomock.Any()).DoAndReturn(updating(locked))
	_, err := f.core.Auctions.PlaceBid(context.Background(), user.Actor{UserID: aliceID}, seen.ID(), 1200)
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeBidTooLow || de.Details[0].Data["minNextBid"] != int64(1510) {
		t.Fatalf("PlaceBid(1200) = %#v, want BID_TOO_LOW with minNextBid 1510", err)
	}
}

func TestPlaceBidOutOfRangeNeverReachesTheStore(t *testing.T) {
	f := newAuctionFixture(t)
	for _, amount := range []int64{0, -1, 1_000_000_000_000_001} {
		_, err := f.core.Auctions.PlaceBid(context.Background(), user.Actor{UserID: aliceID}, "01936f8e-0000-7000-8000-0000000000bb", amount)
		if domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("PlaceBid(%d) = %v, want a validation error", amount, err)
		}
	}
}

func TestCreateAuctionRefusals(t *testing.T) {
	listing := func(seller string, status product.Status, qty int) *product.Product {
		return product.Rehydrate(product.Fields{ID: prodID, SellerID: seller, Status: status, Quantity: qty, Price: 1, Currency: "UZS"})
	}
	tests := []struct {
		name    string
		p       *product.Product
		caller  user.Actor
		wantErr error
	}{
		{"someone else's product", listing(auctionSellerID, "ACTIVE", 1), user.Actor{UserID: aliceID, Role: user.RoleUser}, auction.ErrForbidden},
		{"someone else's pending product is invisible", listing(auctionSellerID, "PENDING", 1), user.Actor{UserID: aliceID, Role: user.RoleUser}, product.ErrNotFound},
		{"own pending product", listing(auctionSellerID, "PENDING", 1), user.Actor{UserID: auctionSellerID, Role: user.RoleUser}, auction.ErrProductNotEligible},
		{"own product out of stock", listing(auctionSellerID, "ACTIVE", 0), user.Actor{UserID: auctionSellerID, Role: user.RoleUser}, auction.ErrProductNotEligible},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAuctionFixture(t)
			f.products.EXPECT().Update(gomock.Any(), prodID, gomock.Any()).DoAndReturn(
				func(_ context.Context, _ string, fn func(*product.Product) error) (*product.Product, error) {
					return nil, fn(tc.p)
				})
			// No Auctions.Create: gomock fails on unexpected calls.
			_, err := f.core.Auctions.Create(context.Background(), tc.caller, app.NewAuction{ProductID: prodID, StartPrice: 100, EndsAt: auctionNow.Add(2 * time.Hour)})
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("Create = %v, want %v", err, tc.wantErr)
			}
		})
	}
	t.Run("bad values never reach the store", func(t *testing.T) {
		f := newAuctionFixture(t)
		_, err := f.core.Auctions.Create(context.Background(), user.Actor{UserID: auctionSellerID}, app.NewAuction{ProductID: prodID, StartPrice: 100, EndsAt: auctionNow.Add(time.Minute)})
		if domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("Create(endsAt too soon) = %v, want a validation error", err)
		}
	})
}

func TestCloseDueCreatesTheWinnersOrderInTheSameTransaction(t *testing.T) {
	a := openAuction(t, 1000, 1200)
	closeNow := auctionNow.Add(3 * time.Hour)
	f := newAuctionFixtureAt(t, closeNow)
	gomock.InOrder(
		f.auctions.EXPECT().UpdateNextDue(gomock.Any(), closeNow, gomock.Any()).DoAndReturn(
			func(ctx context.Context, _ time.Time, fn func(*auction.Auction) error) (*auction.Auction, error) {
				return updating(a)(ctx, a.ID(), fn)
			}),
		f.products.EXPECT().Update(gomock.Any(), prodID, gomock.Any()).DoAndReturn(
			func(_ context.Context, _ string, fn func(*product.Product) error) (*product.Product, error) {
				p := product.Rehydrate(product.Fields{ID: prodID, SellerID: auctionSellerID, Status: product.StatusActive, Quantity: 2, Price: 1, Currency: "UZS"})
				if err := fn(p); err != nil {
					t.Fatalf("Reserve in close = %v", err)
				}
				if p.Quantity() != 1 {
					t.Errorf("stock after close = %d, want 1", p.Quantity())
				}
				return p, nil
			}),
		f.orders.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, o *order.Order) error {
			if o.BuyerID() != bobID || o.UnitPrice() != 1200 || o.Quantity() != 1 || o.AuctionID() != a.ID() || o.Status() != order.StatusPending {
				t.Errorf("winner's order = %+v, want bob's PENDING order of 1 at 1200 for the auction", o.Fields())
			}
			return nil
		}),
		f.auctions.EXPECT().UpdateNextDue(gomock.Any(), closeNow, gomock.Any()).Return(nil, auction.ErrNotFound),
	)
	f.metrics.EXPECT().AuctionClosed(true).Times(1)
	f.metrics.EXPECT().OrderCreated().Times(1)
	n, err := f.core.Auctions.CloseDue(context.Background())
	if n != 1 || err != nil {
		t.Fatalf("CloseDue = %d, %v, want 1, nil", n, err)
	}
}

func TestCloseDueWithoutBidsCreatesNoOrder(t *testing.T) {
	f := newAuctionFixtureAt(t, auctionNow.Add(3*time.Hour))
	a := openAuction(t)
	f.auctions.EXPECT().UpdateNextDue(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ time.Time, fn func(*auction.Auction) error) (*auction.Auction, error) {
			return updating(a)(ctx, a.ID(), fn)
		})
	f.auctions.EXPECT().UpdateNextDue(gomock.Any(), gomock.Any(), gomock.Any()).Return(nil, auction.ErrNotFound)
	f.metrics.EXPECT().AuctionClosed(false).Times(1)
	if n, err := f.core.Auctions.CloseDue(context.Background()); n != 1 || err != nil {
		t.Fatalf("CloseDue = %d, %v, want 1, nil", n, err)
	}
}

func TestCloseDueStopsAndCountsNothingWhenTheOrderFails(t *testing.T) {
	f := newAuctionFixtureAt(t, auctionNow.Add(3*time.Hour))
	a := openAuction(t, 1000)
	boom := errors.New("database gone")
	f.auctions.EXPECT().UpdateNextDue(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ time.Time, fn func(*auction.Auction) error) (*auction.Auction, error) {
			return updating(a)(ctx, a.ID(), fn)
		})
	f.products.EXPECT().Update(gomock.Any(), prodID, gomock.Any()).Return(nil, boom)
	// No metrics and no second UpdateNextDue: the transaction rolled back
	// and the auction stays due for the next run.
	n, err := f.core.Auctions.CloseDue(context.Background())
	if n != 0 || !errors.Is(err, boom) {
		t.Fatalf("CloseDue = %d, %v, want 0 and the failure", n, err)
	}
}

// newAuctionFixtureAt is newAuctionFixture with the clock at t.
func newAuctionFixtureAt(t *testing.T, at time.Time) *auctionFixture {
	ctrl := gomock.NewController(t)
	f := &auctionFixture{
		auctions: mocks.NewMockAuctionRepository(ctrl),
		products: mocks.NewMockProductRepository(ctrl),
		orders:   mocks.NewMockOrderRepository(ctrl),
		metrics:  mocks.NewMockMetrics(ctrl),
		tx:       mocks.NewMockTransactor(ctrl),
	}
	repos := ports.Repos{Users: mocks.NewMockUserRepository(ctrl), Challenges: mocks.NewMockChallengeRepository(ctrl),
		Sessions: mocks.NewMockSessionRepository(ctrl), Products: f.products, Auctions: f.auctions, Orders: f.orders,
		Idempotency: mocks.NewMockIdempotencyRepository(ctrl), OpenAuctions: f.auctions}
	clk := mocks.NewMockClock(ctrl)
	clk.EXPECT().Now().Return(at).AnyTimes()
	repos = fullRepos(ctrl, repos)
	f.tx.EXPECT().WithinTx(gomock.Any(), gomock.Any()).DoAndReturn(committing(repos, &f.core)).AnyTimes()
	core, err := app.New(app.Deps{Tx: f.tx, Repos: repos, Clock: clk, Pinger: mocks.NewMockPinger(ctrl),
		SMS: mocks.NewMockSMSSender(ctrl), Tokens: mocks.NewMockTokenIssuer(ctrl), Metrics: f.metrics,
		Config: app.Config{CodeHashKey: make([]byte, 32), AuctionMinDuration: time.Hour, AuctionAntiSnipeWindow: 2 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	f.core = core
	return f
}
