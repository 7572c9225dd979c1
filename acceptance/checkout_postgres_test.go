package acceptance

import (
	"context"
	"net/http"
	"strings"
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
	orderStatements           = 10
	idempotentOrderStatements = 13
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
