package porttest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// testReserve holds both stores to ProductRepository.Reserve: the rules
// of order.Orderable, nothing changed on a refusal, and no oversell
// however many reservations race.
func testReserve(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t)
	r := st.Repos()
	seller := NewUser(t, r, 60, user.RoleUser)
	buyer := NewUser(t, r, 61, user.RoleUser)
	cat := NewCategory(t, r, "peonies")
	later := t0.Add(time.Hour)

	stock := func(t *testing.T, id string) int {
		t.Helper()
		p, err := r.Products.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return p.Quantity()
	}

	t.Run("takes the stock and returns the product after", func(t *testing.T) {
		p := NewProduct(t, r, cat, seller, "Pink peonies", 5, 40000)
		got, err := r.Products.Reserve(ctx, p.ID(), 2, buyer.ID(), later)
		if err != nil {
			t.Fatalf("Reserve = %v", err)
		}
		if got.Quantity() != 3 || !got.UpdatedAt().Equal(later) || got.Price() != 40000 || got.SellerID() != seller.ID() {
			t.Errorf("Reserve returned quantity %d, updatedAt %v, price %d, seller %s; want 3, %v, 40000, %s",
				got.Quantity(), got.UpdatedAt(), got.Price(), got.SellerID(), later, seller.ID())
		}
		if n := stock(t, p.ID()); n != 3 {
			t.Errorf("stock after Reserve(2) of 5 = %d, want 3", n)
		}
		if _, err := r.Products.Reserve(ctx, p.ID(), 3, buyer.ID(), later); err != nil {
			t.Errorf("Reserve of the last 3 = %v", err)
		}
		if n := stock(t, p.ID()); n != 0 {
			t.Errorf("stock after taking the rest = %d, want 0", n)
		}
	})

	refusals := []struct {
		name  string
		setup func(t *testing.T) (id, buyerID string, qty int)
		want  error
	}{
		{"an unknown id is not available", func(t *testing.T) (string, string, int) {
			return newID(), buyer.ID(), 1
		}, product.ErrNotAvailable},
		{"a malformed id is not available", func(t *testing.T) (string, string, int) {
			return "nope", buyer.ID(), 1
		}, product.ErrNotAvailable},
		{"more than the stock is out of stock", func(t *testing.T) (string, string, int) {
			return NewProduct(t, r, cat, seller, "Few peonies", 2, 100).ID(), buyer.ID(), 3
		}, product.ErrOutOfStock},
		{"the seller cannot take their own", func(t *testing.T) (string, string, int) {
			return NewProduct(t, r, cat, seller, "Own peonies", 2, 100).ID(), seller.ID(), 1
		}, order.ErrOwnProduct},
		{"an archived product is not available", func(t *testing.T) (string, string, int) {
			p := NewProduct(t, r, cat, seller, "Old peonies", 2, 100)
			if _, err := r.Products.Update(ctx, p.ID(), func(p *product.Product) error {
				return p.Archive(user.Actor{UserID: seller.ID(), Role: user.RoleUser}, t0)
			}); err != nil {
				t.Fatal(err)
			}
			return p.ID(), buyer.ID(), 1
		}, product.ErrNotAvailable},
		{"a blocked seller's product is not available", func(t *testing.T) (string, string, int) {
			other := NewUser(t, r, 62, user.RoleUser)
			p := NewProduct(t, r, cat, other, "Hidden peonies", 2, 100)
			if _, err := r.Products.SetSellerBlocked(ctx, other.ID(), true); err != nil {
				t.Fatal(err)
			}
			return p.ID(), buyer.ID(), 1
		}, product.ErrNotAvailable},
		{"a product in an open auction is refused", func(t *testing.T) (string, string, int) {
			p := NewProduct(t, r, cat, seller, "Auctioned peonies", 2, 100)
			NewAuction(t, r, p, 1000, time.Hour)
			return p.ID(), buyer.ID(), 1
		}, order.ErrProductInAuction},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			id, by, qty := tc.setup(t)
			before, _ := r.Products.Get(ctx, id)
			if _, err := r.Products.Reserve(ctx, id, qty, by, later); !errors.Is(err, tc.want) {
				t.Fatalf("Reserve = %v, want %v", err, tc.want)
			}
			if before != nil {
				after, err := r.Products.Get(ctx, id)
				if err != nil || after.Quantity() != before.Quantity() || !after.UpdatedAt().Equal(before.UpdatedAt()) {
					t.Errorf("product after a refused Reserve = %v, %v; want it unchanged", after, err)
				}
			}
		})
	}

	t.Run("rolls back with its transaction", func(t *testing.T) {
		p := NewProduct(t, r, cat, seller, "Rolled peonies", 4, 100)
		boom := errors.New("boom")
		err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			if _, err := r.Products.Reserve(ctx, p.ID(), 3, buyer.ID(), later); err != nil {
				t.Errorf("Reserve in a transaction = %v", err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("WithinTx = %v, want boom", err)
		}
		if n := stock(t, p.ID()); n != 4 {
			t.Errorf("stock after a rolled-back Reserve = %d, want 4", n)
		}
	})

	t.Run("racing reservations never oversell", func(t *testing.T) {
		const racers, k = 40, 7
		p := NewProduct(t, r, cat, seller, "Hot peonies", k, 100)
		errs := make([]error, racers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range racers {
			wg.Go(func() {
				<-start
				errs[i] = st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
					_, err := r.Products.Reserve(ctx, p.ID(), 1, buyer.ID(), later)
					return err
				})
			})
		}
		close(start)
		wg.Wait()
		taken := 0
		for _, err := range errs {
			switch {
			case err == nil:
				taken++
			case errors.Is(err, product.ErrOutOfStock):
			default:
				t.Errorf("racing Reserve = %v, want nil or product.ErrOutOfStock", err)
			}
		}
		if taken != k {
			t.Errorf("%d racing reservations succeeded, want %d", taken, k)
		}
		if n := stock(t, p.ID()); n != 0 {
			t.Errorf("stock after the race = %d, want 0", n)
		}
	})
}
