package acceptance

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/secondbloom/marketplace/acceptance/testenv"
	"github.com/secondbloom/marketplace/ports"
)

// auctionedStore stands in for a store that keeps auctions: it reports the
// products in open marks as being in an open auction through the
// ports.OpenAuctionChecker hook, inside and outside transactions.
type auctionedStore struct {
	testenv.Store
	mu   sync.Mutex
	open map[string]bool
}

func (s *auctionedStore) HasOpenAuction(_ context.Context, productID string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open[productID], nil
}

func (s *auctionedStore) Repos() ports.Repos {
	r := s.Store.Repos()
	r.OpenAuctions = s
	return r
}

func (s *auctionedStore) WithinTx(ctx context.Context, fn func(context.Context, ports.Repos) error) error {
	return s.Store.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		r.OpenAuctions = s
		return fn(ctx, r)
	})
}

func TestAProductInAnOpenAuctionCannotBeOrdered(t *testing.T) {
	for _, b := range []testenv.Backend{testenv.Memory, testenv.Postgres} {
		t.Run(string(b), func(t *testing.T) {
			base := testenv.New(t, b, testenv.Options{}).Store
			st := &auctionedStore{Store: base, open: map[string]bool{}}
			e := testenv.NewOnStore(t, b, st, testenv.Options{})
			m := newMarket(t, e)
			buyer := m.buyer(t)
			pid := m.product(t, 3, 1000)
			st.mu.Lock()
			st.open[pid] = true
			st.mu.Unlock()
			if r := m.order(t, buyer.AccessToken, pid, 1); r.Status != http.StatusConflict || r.ErrorCode() != "INVALID_STATE" {
				t.Errorf("ordering an auctioned product = %s, want 409 INVALID_STATE", r)
			}
			if got := m.stock(t, pid); got != 3 {
				t.Errorf("stock = %d, want 3", got)
			}
			st.mu.Lock()
			st.open[pid] = false
			st.mu.Unlock()
			if r := m.order(t, buyer.AccessToken, pid, 1); r.Status != http.StatusCreated {
				t.Errorf("ordering after the auction ended = %s, want 201", r)
			}
		})
	}
}
