package acceptance

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/secondbloom/marketplace/acceptance/testenv"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/domain/user"
)

// The statements one order sends to Postgres, BEGIN and COMMIT included
// (the HTTP layer's session and user lookups come on top).
const (
	orderStatements           = 5
	idempotentOrderStatements = 8
)

// TestPlacingAnOrderCountsItsRoundTrips logs every statement one order
// sends to Postgres (with and without an Idempotency-Key) and holds the
// count to the number the checkout path was cut to, so a change that adds
// a round trip is noticed.
func TestPlacingAnOrderCountsItsRoundTrips(t *testing.T) {
	st := pgtest.New(t)
	e := testenv.NewOnStore(t, testenv.Postgres, st, testenv.Options{})
	m := newMarket(t, e)
	buyer := m.buyer(t)
	pid := m.product(t, 50, 1000)
	counter := pgtest.CountQueries(st.DB())
	by := user.Actor{UserID: buyer.UserID, Role: user.RoleUser}
	in := app.PlaceOrder{ProductID: pid}

	check := func(t *testing.T, qs []string, want int) {
		t.Helper()
		t.Logf("%d statements:\n  %s", len(qs), strings.Join(qs, "\n  "))
		if len(qs) > want {
			t.Errorf("one order sent %d statements, want at most %d", len(qs), want)
		}
	}
	t.Run("plain", func(t *testing.T) {
		if _, err := e.Core.Orders.Place(counter.Counted(context.Background()), by, in); err != nil {
			t.Fatal(err)
		}
		check(t, counter.Queries(), orderStatements)
	})
	t.Run("with an Idempotency-Key", func(t *testing.T) {
		resp, err := e.Core.Orders.PlaceIdempotent(counter.Counted(context.Background()), by, in,
			app.Idempotency{Key: "count-1", Route: "POST /api/v1/orders"},
			func(o *order.Order, refused error) (app.Response, error) {
				if refused != nil {
					return app.Response{}, refused
				}
				return app.Response{Status: http.StatusCreated, Body: []byte(o.ID())}, nil
			})
		if err != nil || resp.Status != http.StatusCreated {
			t.Fatalf("PlaceIdempotent = %+v, %v", resp, err)
		}
		check(t, counter.Queries(), idempotentOrderStatements)
	})
}

// TestHotProductRaceThroughTheConditionalUpdate has 60 buyers race, with
// and without Idempotency-Keys, for one product of 13 through the
// one-statement reservation on Postgres: exactly 13 orders, stock 0, and
// every other answer a 409 OUT_OF_STOCK (no 5xx, no other refusal).
func TestHotProductRaceThroughTheConditionalUpdate(t *testing.T) {
	st := pgtest.New(t)
	e := testenv.NewOnStore(t, testenv.Postgres, st, testenv.Options{})
	m := newMarket(t, e)
	const buyers, stock = 60, 13
	sessions := make([]testenv.Session, buyers)
	for i := range sessions {
		sessions[i] = m.buyer(t)
	}
	pid := m.product(t, stock, 5000)

	res := make([]*testenv.Response, buyers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range buyers {
		wg.Go(func() {
			<-start
			h := map[string]string{}
			if i%2 == 1 {
				h["Idempotency-Key"] = fmt.Sprintf("hot-%d", i)
			}
			res[i] = e.Do(t, testenv.Request{Method: http.MethodPost, Path: "/api/v1/orders", Token: sessions[i].AccessToken,
				Body: map[string]any{"productId": pid, "quantity": 1}, Header: h})
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for _, r := range res {
		switch {
		case r.Status == http.StatusCreated:
			created++
		case r.Status == http.StatusConflict && r.ErrorCode() == "OUT_OF_STOCK":
		default:
			t.Errorf("racing order = %s, want 201 or 409 OUT_OF_STOCK", r)
		}
	}
	if created != stock {
		t.Errorf("%d orders placed, want %d", created, stock)
	}
	if got := m.stock(t, pid); got != 0 {
		t.Errorf("stock after the race = %d, want 0", got)
	}
	var stored int
	if err := st.DB().QueryRowContext(context.Background(), "SELECT count(*) FROM orders WHERE product_id = ?", pid).Scan(&stored); err != nil || stored != stock {
		t.Errorf("orders stored = %d, %v; want %d", stored, err, stock)
	}
}
