package porttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/domain/idempotency"
	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// NewNumber returns a fresh order number for t0's date.
func NewNumber() string {
	b := make([]byte, order.NumberRandomBytes)
	_, _ = rand.Read(b)
	return order.FormatNumber(t0, b)
}

// NewOrder builds (but does not store) a PENDING order of qty items of p
// for buyer, at p's price.
func NewOrder(t *testing.T, p *product.Product, buyer *user.User, qty int, at time.Time) *order.Order {
	t.Helper()
	o, err := order.New(order.NewParams{ID: newID(), Number: NewNumber(), ProductID: p.ID(), SellerID: p.SellerID(),
		BuyerID: buyer.ID(), Quantity: qty, UnitPrice: p.Price(), Currency: p.Currency(),
		ShippingAddress: "Tashkent, Chilonzor 5", Notes: "ring twice"}, at)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func testOrders(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t)
	r := st.Repos()
	seller := NewUser(t, r, 20, user.RoleUser)
	buyer := NewUser(t, r, 21, user.RoleUser)
	other := NewUser(t, r, 22, user.RoleUser)
	cat := NewCategory(t, r, "tulips")
	p := NewProduct(t, r, cat, seller, "Yellow tulips", 50, 30000)

	o := NewOrder(t, p, buyer, 2, t0)
	if err := r.Orders.Create(ctx, o); err != nil {
		t.Fatalf("Orders.Create: %v", err)
	}
	t.Run("an order reads back whole", func(t *testing.T) {
		got, err := r.Orders.Get(ctx, o.ID())
		if err != nil {
			t.Fatalf("Orders.Get: %v", err)
		}
		if got.Fields() != o.Fields() {
			t.Errorf("Orders.Get = %+v, want %+v", got.Fields(), o.Fields())
		}
	})
	t.Run("unknown and malformed ids are not found", func(t *testing.T) {
		for _, id := range []string{newID(), "nope"} {
			if _, err := r.Orders.Get(ctx, id); !errors.Is(err, order.ErrNotFound) {
				t.Errorf("Orders.Get(%q) = %v, want order.ErrNotFound", id, err)
			}
			if _, err := r.Orders.Update(ctx, id, func(*order.Order) error { return nil }); !errors.Is(err, order.ErrNotFound) {
				t.Errorf("Orders.Update(%q) = %v, want order.ErrNotFound", id, err)
			}
		}
	})
	t.Run("a taken number is reported and the transaction goes on", func(t *testing.T) {
		clash, _ := order.New(order.NewParams{ID: newID(), Number: o.Number(), ProductID: p.ID(), SellerID: seller.ID(),
			BuyerID: other.ID(), Quantity: 1, UnitPrice: 1}, t0)
		var retried *order.Order
		err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			if err := r.Orders.Create(ctx, clash); !errors.Is(err, order.ErrNumberTaken) {
				t.Errorf("Create(taken number) = %v, want order.ErrNumberTaken", err)
			}
			retried = NewOrder(t, p, other, 1, t0)
			return r.Orders.Create(ctx, retried)
		})
		if err != nil {
			t.Fatalf("retry after a number clash: %v", err)
		}
		if _, err := r.Orders.Get(ctx, retried.ID()); err != nil {
			t.Errorf("the retried order was not stored: %v", err)
		}
	})
	t.Run("an auction has at most one order", func(t *testing.T) {
		auctionID := newID()
		mk := func() *order.Order {
			a, err := order.NewFromAuction(order.AuctionParams{ID: newID(), Number: NewNumber(), AuctionID: auctionID,
				ProductID: p.ID(), SellerID: seller.ID(), WinnerID: buyer.ID(), Amount: 99000}, t0)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		first := mk()
		if err := r.Orders.Create(ctx, first); err != nil {
			t.Fatalf("Create(auction order): %v", err)
		}
		if got, _ := r.Orders.Get(ctx, first.ID()); got.AuctionID() != auctionID || got.Quantity() != 1 || got.UnitPrice() != 99000 {
			t.Errorf("auction order = %+v, want auction %s, quantity 1, unit price 99000", got.Fields(), auctionID)
		}
		if err := r.Orders.Create(ctx, mk()); !errors.Is(err, order.ErrAuctionOrdered) {
			t.Errorf("Create(second order of an auction) = %v, want order.ErrAuctionOrdered", err)
		}
	})
	t.Run("a failed update stores nothing", func(t *testing.T) {
		if _, err := r.Orders.Update(ctx, o.ID(), func(o *order.Order) error {
			_ = o.Confirm(seller.ID(), t0)
			return errBoom
		}); !errors.Is(err, errBoom) {
			t.Fatalf("Update = %v, want fn's error", err)
		}
		if got, _ := r.Orders.Get(ctx, o.ID()); got.Status() != order.StatusPending {
			t.Errorf("status after a failed update = %s, want PENDING", got.Status())
		}
	})
	t.Run("an update is stored", func(t *testing.T) {
		later := t0.Add(time.Minute)
		if _, err := r.Orders.Update(ctx, o.ID(), func(o *order.Order) error { return o.Confirm(seller.ID(), later) }); err != nil {
			t.Fatalf("Update: %v", err)
		}
		got, _ := r.Orders.Get(ctx, o.ID())
		if got.Status() != order.StatusConfirmed || !got.UpdatedAt().Equal(later) {
			t.Errorf("after Confirm: status %s, updatedAt %v; want CONFIRMED, %v", got.Status(), got.UpdatedAt(), later)
		}
	})
	t.Run("lists filter, sort and page", func(t *testing.T) {
		st := newStore(t)
		r := st.Repos()
		seller := NewUser(t, r, 30, user.RoleUser)
		b1 := NewUser(t, r, 31, user.RoleUser)
		b2 := NewUser(t, r, 32, user.RoleUser)
		cat := NewCategory(t, r, "lilies")
		p := NewProduct(t, r, cat, seller, "Lilies", 100, 10000)
		var mine []*order.Order
		for i := 0; i < 5; i++ {
			o := NewOrder(t, p, b1, i+1, t0.Add(time.Duration(i)*time.Second))
			if err := r.Orders.Create(ctx, o); err != nil {
				t.Fatal(err)
			}
			mine = append(mine, o)
		}
		if err := r.Orders.Create(ctx, NewOrder(t, p, b2, 1, t0)); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Orders.Update(ctx, mine[0].ID(), func(o *order.Order) error { _, err := o.Cancel(user.Actor{UserID: b1.ID()}, "", t0); return err }); err != nil {
			t.Fatal(err)
		}
		got, total, err := r.Orders.List(ctx, ports.OrderFilter{BuyerID: b1.ID()}, ports.Page{Number: 1, Limit: 2}, ports.Sort{Field: ports.OrderSortCreatedAt, Desc: true})
		if err != nil || total.Total != 5 || len(got) != 2 || got[0].ID() != mine[4].ID() || got[1].ID() != mine[3].ID() {
			t.Errorf("List(buyer b1, page 1 of 2, -createdAt) = %d orders, total %d, %v; want orders 5 and 4 of 5", len(got), total.Total, err)
		}
		got, total, _ = r.Orders.List(ctx, ports.OrderFilter{BuyerID: b1.ID()}, ports.Page{Number: 3, Limit: 2}, ports.Sort{Field: ports.OrderSortTotalPrice})
		if total.Total != 5 || len(got) != 1 || got[0].ID() != mine[4].ID() {
			t.Errorf("List(page 3, totalPrice) = %d orders, total %d; want the most expensive one of 5", len(got), total.Total)
		}
		if _, total, _ = r.Orders.List(ctx, ports.OrderFilter{SellerID: seller.ID()}, ports.Page{Number: 1, Limit: 20}, ports.Sort{}); total.Total != 6 {
			t.Errorf("List(seller) total = %d, want 6", total.Total)
		}
		got, total, _ = r.Orders.List(ctx, ports.OrderFilter{BuyerID: b1.ID(), Status: order.StatusCancelled}, ports.Page{Number: 1, Limit: 20}, ports.Sort{})
		if total.Total != 1 || len(got) != 1 || got[0].ID() != mine[0].ID() {
			t.Errorf("List(b1, CANCELLED) = %d orders, total %d; want the one cancelled", len(got), total.Total)
		}
		if got, total, err := r.Orders.List(ctx, ports.OrderFilter{BuyerID: newID()}, ports.Page{Number: 1, Limit: 20}, ports.Sort{}); err != nil || total.Total != 0 || got == nil || len(got) != 0 {
			t.Errorf("List(unknown buyer) = %v, %d, %v; want an empty non-nil page", got, total.Total, err)
		}
	})
	t.Run("ten racing cancels give the stock back once", func(t *testing.T) {
		p := NewProduct(t, r, cat, seller, "Peonies", 10, 50000)
		o := NewOrder(t, p, buyer, 3, t0)
		err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			if _, err := r.Products.Update(ctx, p.ID(), func(p *product.Product) error { return p.Reserve(3, t0) }); err != nil {
				return err
			}
			return r.Orders.Create(ctx, o)
		})
		if err != nil {
			t.Fatal(err)
		}
		var (
			wg          sync.WaitGroup
			mu          sync.Mutex
			ok, invalid int
			failures    []error
			start       = make(chan struct{})
		)
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
					var qty int
					if _, err := r.Orders.Update(ctx, o.ID(), func(o *order.Order) (err error) {
						qty, err = o.Cancel(user.Actor{UserID: buyer.ID()}, "", t0)
						return err
					}); err != nil {
						return err
					}
					_, err := r.Products.Update(ctx, p.ID(), func(p *product.Product) error { return p.Release(qty, t0) })
					return err
				})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, order.ErrInvalidState):
					invalid++
				default:
					failures = append(failures, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if len(failures) > 0 {
			t.Fatalf("unexpected errors: %v", failures)
		}
		if ok != 1 || invalid != 9 {
			t.Errorf("cancels: %d succeeded, %d INVALID_STATE; want 1 and 9", ok, invalid)
		}
		if got, _ := r.Products.Get(ctx, p.ID()); got.Quantity() != 10 {
			t.Errorf("stock after ten cancels = %d, want 10", got.Quantity())
		}
	})
}

func testIdempotency(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t)
	u := NewUser(t, st.Repos(), 40, user.RoleUser)
	scope := idempotency.Scope{UserID: u.ID(), Route: "POST /api/v1/orders", Key: "key-1"}
	rec := idempotency.Record{Scope: scope, Fingerprint: []byte{1, 2, 3}, Status: 201, Body: []byte(`{"success":true}`), CreatedAt: t0}

	t.Run("a missing record is not found", func(t *testing.T) {
		err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			if err := r.Idempotency.Lock(ctx, scope); err != nil {
				t.Errorf("Lock(free key) = %v, want nil", err)
			}
			_, err := r.Idempotency.Get(ctx, scope)
			if !errors.Is(err, idempotency.ErrNotFound) {
				t.Errorf("Get(unused key) = %v, want idempotency.ErrNotFound", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a rolled-back save leaves nothing", func(t *testing.T) {
		_ = st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			if err := r.Idempotency.Save(ctx, rec); err != nil {
				t.Errorf("Save: %v", err)
			}
			return errBoom
		})
		_ = st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			if _, err := r.Idempotency.Get(ctx, scope); !errors.Is(err, idempotency.ErrNotFound) {
				t.Errorf("Get after rollback = %v, want idempotency.ErrNotFound", err)
			}
			return nil
		})
	})
	t.Run("a saved record reads back, and only for its scope", func(t *testing.T) {
		err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			if err := r.Idempotency.Lock(ctx, scope); err != nil {
				return err
			}
			return r.Idempotency.Save(ctx, rec)
		})
		if err != nil {
			t.Fatalf("Save: %v", err)
		}
		_ = st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			if err := r.Idempotency.Lock(ctx, scope); err != nil {
				t.Errorf("Lock after the first transaction ended = %v, want nil", err)
			}
			got, err := r.Idempotency.Get(ctx, scope)
			if err != nil || got.Status != 201 || !bytes.Equal(got.Body, rec.Body) || !got.Matches(rec.Fingerprint) || !got.CreatedAt.Equal(t0) {
				t.Errorf("Get = %+v, %v; want %+v", got, err, rec)
			}
			for _, s := range []idempotency.Scope{
				{UserID: scope.UserID, Route: "POST /api/v1/auctions/:id/bids", Key: scope.Key},
				{UserID: newID(), Route: scope.Route, Key: scope.Key},
			} {
				if _, err := r.Idempotency.Get(ctx, s); !errors.Is(err, idempotency.ErrNotFound) {
					t.Errorf("Get(%+v) = %v, want idempotency.ErrNotFound", s, err)
				}
			}
			return nil
		})
		err = st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error { return r.Idempotency.Save(ctx, rec) })
		if !errors.Is(err, idempotency.ErrKeyInUse) {
			t.Errorf("Save(existing scope) = %v, want idempotency.ErrKeyInUse", err)
		}
	})
	t.Run("old records are purged, recent ones kept", func(t *testing.T) {
		newer := rec
		newer.Scope.Key = "key-2"
		newer.CreatedAt = t0.Add(time.Hour)
		if err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error { return r.Idempotency.Save(ctx, newer) }); err != nil {
			t.Fatal(err)
		}
		n, err := st.Repos().Idempotency.DeleteBefore(ctx, t0.Add(time.Minute))
		if err != nil || n != 1 {
			t.Errorf("DeleteBefore = %d, %v; want 1 record removed", n, err)
		}
		_ = st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			if _, err := r.Idempotency.Get(ctx, scope); !errors.Is(err, idempotency.ErrNotFound) {
				t.Errorf("Get(purged) = %v, want idempotency.ErrNotFound", err)
			}
			if _, err := r.Idempotency.Get(ctx, newer.Scope); err != nil {
				t.Errorf("Get(recent) = %v, want the record", err)
			}
			return nil
		})
	})
}
