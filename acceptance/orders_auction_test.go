package acceptance

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/acceptance/testenv"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain/user"
)

// A product in an open auction is refused to direct orders by the store's
// own auctions (the reservation checks them atomically), and can be
// ordered again once the auction is cancelled.
func TestAProductInAnOpenAuctionCannotBeOrdered(t *testing.T) {
	testenv.ForEachBackend(t, testenv.Options{}, func(t *testing.T, e *testenv.Env) {
		ctx := context.Background()
		m := newMarket(t, e)
		buyer := m.buyer(t)
		pid := m.product(t, 3, 1000)
		seller := user.Actor{UserID: m.seller.UserID, Role: user.RoleUser}
		a, err := e.Core.Auctions.Create(ctx, seller, app.NewAuction{ProductID: pid, StartPrice: 500,
			EndsAt: time.Now().Add(2 * time.Hour)})
		if err != nil {
			t.Fatalf("open an auction: %v", err)
		}
		if r := m.order(t, buyer.AccessToken, pid, 1); r.Status != http.StatusConflict || r.ErrorCode() != "INVALID_STATE" {
			t.Errorf("ordering an auctioned product = %s, want 409 INVALID_STATE", r)
		}
		if got := m.stock(t, pid); got != 3 {
			t.Errorf("stock = %d, want 3", got)
		}
		if _, err := e.Core.Auctions.Cancel(ctx, seller, a.ID()); err != nil {
			t.Fatalf("cancel the auction: %v", err)
		}
		if r := m.order(t, buyer.AccessToken, pid, 1); r.Status != http.StatusCreated {
			t.Errorf("ordering after the auction was cancelled = %s, want 201", r)
		}
	})
}
