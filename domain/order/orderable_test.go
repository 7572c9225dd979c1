package order_test

import (
	"errors"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/domain/product"
)

func TestOrderable(t *testing.T) {
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	p := func(st product.Status, qty int, blocked bool) *product.Product {
		return product.Rehydrate(product.Fields{ID: "p", SellerID: "s", Status: st, Quantity: qty, SellerBlocked: blocked,
			Price: 1, Currency: "UZS", CreatedAt: at, UpdatedAt: at})
	}
	tests := []struct {
		name      string
		p         *product.Product
		buyer     string
		inAuction bool
		qty       int
		want      error
	}{
		{"enough stock", p(product.StatusActive, 3, false), "b", false, 3, nil},
		{"too few", p(product.StatusActive, 3, false), "b", false, 4, product.ErrOutOfStock},
		{"not active", p(product.StatusPending, 3, false), "b", false, 1, product.ErrNotAvailable},
		{"seller blocked", p(product.StatusActive, 3, true), "b", false, 1, product.ErrNotAvailable},
		{"own product", p(product.StatusActive, 3, false), "s", false, 1, order.ErrOwnProduct},
		{"in an auction", p(product.StatusActive, 3, false), "b", true, 1, order.ErrProductInAuction},
		// The order of the checks decides the answer when several fail.
		{"own product out of stock", p(product.StatusActive, 0, false), "s", false, 1, order.ErrOwnProduct},
		{"auctioned and out of stock", p(product.StatusActive, 0, false), "b", true, 1, order.ErrProductInAuction},
	}
	for _, tc := range tests {
		if err := order.Orderable(tc.p, tc.buyer, tc.inAuction, tc.qty); !errors.Is(err, tc.want) {
			t.Errorf("%s: Orderable = %v, want %v", tc.name, err, tc.want)
		}
	}
}
