package acceptance

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/acceptance/testenv"
	"github.com/secondbloom/marketplace/adapters/clock"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/ports/porttest"
)

// auctionStart is where the fake clock of the auction scenarios starts.
var auctionStart = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

const (
	auctionSellerPhone = "+998907000001"
	auctionAlicePhone  = "+998907000002"
	auctionAdminPhone  = "+998907009999"
)

// cast is the people of one scenario. Each scenario signs in people of its
// own, because moving the fake clock past an auction's end also expires
// access tokens (15 min), and phones have resend limits.
type cast struct{ seller, alice, bob testenv.Session }

// newCast signs in a fresh seller and two buyers.
func newCast(t *testing.T, e *testenv.Env, n *int) cast {
	t.Helper()
	*n++
	phone := func(k int) string { return fmt.Sprintf("+9989071%03d%02d", *n, k) }
	return cast{seller: e.SignIn(t, phone(1)), alice: e.SignIn(t, phone(2)), bob: e.SignIn(t, phone(3))}
}

// again signs s in anew (after the clock moved past its token's life).
func again(t *testing.T, e *testenv.Env, s testenv.Session) testenv.Session {
	t.Helper()
	return e.SignIn(t, s.Phone)
}

// auctionEnvs runs fn on each backend with a server on a fake clock and
// the contract's default auction settings (1 h minimum, 2 min anti-snipe
// window).
func auctionEnvs(t *testing.T, fn func(t *testing.T, e *testenv.Env, clk *clock.Fake)) {
	for _, b := range []testenv.Backend{testenv.Memory, testenv.Postgres} {
		t.Run(string(b), func(t *testing.T) {
			clk := clock.NewFake(auctionStart)
			fn(t, testenv.New(t, b, testenv.Options{ManualCloser: true, Clock: clk, AdminPhones: []string{auctionAdminPhone},
				Configure: func(c *app.Config) { c.AuctionAntiSnipeWindow = 2 * time.Minute }}), clk)
		})
	}
}

// listProduct stores an ACTIVE product of the signed-in seller, as the
// catalog would after moderation.
func listProduct(t *testing.T, e *testenv.Env, seller testenv.Session, title string, qty int, price int64) *product.Product {
	t.Helper()
	r := e.Store.Repos()
	u, err := r.Users.Get(context.Background(), seller.UserID)
	if err != nil {
		t.Fatal(err)
	}
	return porttest.NewProduct(t, r, porttest.NewCategory(t, r, "auction"), u, title, qty, price)
}

func openAuction(t *testing.T, e *testenv.Env, seller testenv.Session, body map[string]any) map[string]any {
	t.Helper()
	r := e.Post(t, "/api/v1/auctions", seller.AccessToken, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /auctions %v = %s, want 201", body, r)
	}
	return r.Data()
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func bid(t *testing.T, e *testenv.Env, who testenv.Session, auctionID string, amount int64) *testenv.Response {
	t.Helper()
	return e.Post(t, "/api/v1/auctions/"+auctionID+"/bids", who.AccessToken, map[string]any{"amount": amount})
}

func closeDue(t *testing.T, e *testenv.Env) int {
	t.Helper()
	n, err := e.Core.Auctions.CloseDue(context.Background())
	if err != nil {
		t.Fatalf("CloseDue: %v", err)
	}
	return n
}

func TestAuctions(t *testing.T) {
	auctionEnvs(t, func(t *testing.T, e *testenv.Env, clk *clock.Fake) {
		var n int

		t.Run("the highest bidder wins the flowers and gets an order at the winning price", func(t *testing.T) {
			c := newCast(t, e, &n)
			seller, alice, bob := c.seller, c.alice, c.bob
			_, _, _ = seller, alice, bob
			p := listProduct(t, e, seller, "Vintage peony bouquet", 3, 200000)
			endsAt := clk.Now().Add(2 * time.Hour)
			a := openAuction(t, e, seller, map[string]any{"productId": p.ID(), "startPrice": 150000, "endsAt": rfc3339(endsAt)})
			want := map[string]any{"productId": p.ID(), "sellerId": seller.UserID, "status": "ACTIVE", "startPrice": 150000.0,
				"currentPrice": 150000.0, "minIncrement": 1500.0, "minNextBid": 150000.0, "bidCount": 0.0, "currency": "UZS",
				"winnerId": nil, "orderId": nil}
			for k, v := range want {
				if a[k] != v {
					t.Errorf("auction.%s = %v, want %v", k, a[k], v)
				}
			}
			for _, k := range []string{"id", "startsAt", "endsAt", "createdAt", "updatedAt"} {
				if _, ok := a[k].(string); !ok {
					t.Errorf("auction.%s = %v, want a string", k, a[k])
				}
			}
			if len(a) != 16 {
				t.Errorf("auction has %d fields, want the 16 of API.md: %v", len(a), a)
			}
			if got, _ := time.Parse(time.RFC3339, a["endsAt"].(string)); !got.Equal(endsAt) {
				t.Errorf("endsAt = %v, want %v", a["endsAt"], rfc3339(endsAt))
			}
			id := a["id"].(string)

			if r := bid(t, e, alice, id, 150000); r.Status != http.StatusCreated || r.Data()["amount"] != 150000.0 || r.Data()["auctionId"] != id {
				t.Fatalf("alice bids the start price = %s, want 201", r)
			}
			r := bid(t, e, bob, id, 151000)
			if r.Status != http.StatusConflict || r.ErrorCode() != "BID_TOO_LOW" || !strings.Contains(string(r.Raw), `"minNextBid":151500`) ||
				!strings.Contains(string(r.Raw), `"field":"amount"`) {
				t.Fatalf("bob bids under the increment = %s, want 409 BID_TOO_LOW with minNextBid 151500", r)
			}
			if r := bid(t, e, bob, id, 160000); r.Status != http.StatusCreated {
				t.Fatalf("bob outbids = %s, want 201", r)
			}
			got := e.Get(t, "/api/v1/auctions/"+id, "").Data()
			if got["currentPrice"] != 160000.0 || got["minNextBid"] != 161500.0 || got["bidCount"] != 2.0 || got["winnerId"] != nil {
				t.Errorf("after bids: %v, want currentPrice 160000, minNextBid 161500, bidCount 2, no winner yet", got)
			}

			bids := e.Get(t, "/api/v1/auctions/"+id+"/bids", bob.AccessToken)
			items := bids.List()
			if bids.Status != http.StatusOK || len(items) != 2 || items[0]["amount"] != 160000.0 || items[0]["isMine"] != true || items[1]["isMine"] != false {
				t.Fatalf("bob lists bids = %s, want 160000 (his) then 150000", bids)
			}
			if strings.Contains(string(bids.Raw), alice.UserID) || strings.Contains(string(bids.Raw), bob.UserID) {
				t.Errorf("bid list reveals a bidder: %s", bids.Raw)
			}
			if anon := e.Get(t, "/api/v1/auctions/"+id+"/bids", "").List(); len(anon) != 2 || anon[0]["isMine"] != false {
				t.Errorf("anonymous bid list = %v, want two bids, none mine", anon)
			}

			if closeDue(t, e) != 0 {
				t.Fatal("an auction was closed before its end")
			}
			clk.Advance(2 * time.Hour)
			alice, bob = again(t, e, alice), again(t, e, bob)
			if r := bid(t, e, alice, id, 500000); r.Status != http.StatusConflict || r.ErrorCode() != "AUCTION_NOT_ACTIVE" {
				t.Errorf("bid at endsAt = %s, want 409 AUCTION_NOT_ACTIVE", r)
			}
			if n := closeDue(t, e); n != 1 {
				t.Fatalf("CloseDue closed %d, want 1", n)
			}
			ended := e.Get(t, "/api/v1/auctions/"+id, "").Data()
			if ended["status"] != "ENDED" || ended["winnerId"] != bob.UserID || ended["orderId"] == nil {
				t.Fatalf("closed auction = %v, want ENDED won by bob with an order", ended)
			}
			o := e.Get(t, fmt.Sprintf("/api/v1/orders/%s", ended["orderId"]), bob.AccessToken)
			od := o.Data()
			if o.Status != http.StatusOK || od["status"] != "PENDING" || od["quantity"] != 1.0 || od["unitPrice"] != 160000.0 ||
				od["auctionId"] != id || od["buyerId"] != bob.UserID || od["sellerId"] != seller.UserID {
				t.Errorf("winner's order = %s, want bob's PENDING order of 1 at 160000 for the auction", o)
			}
			if pr, _ := e.Store.Repos().Products.Get(context.Background(), p.ID()); pr.Quantity() != 2 {
				t.Errorf("stock after the close = %d, want 2", pr.Quantity())
			}
			if closeDue(t, e) != 0 {
				t.Error("a second CloseDue closed the auction again")
			}
			if r := bid(t, e, alice, id, 900000); r.ErrorCode() != "AUCTION_NOT_ACTIVE" {
				t.Errorf("bid after the close = %s, want 409 AUCTION_NOT_ACTIVE", r)
			}
		})

		t.Run("an auction without bids ends with no winner and no order", func(t *testing.T) {
			c := newCast(t, e, &n)
			seller, alice, bob := c.seller, c.alice, c.bob
			_, _, _ = seller, alice, bob
			p := listProduct(t, e, seller, "Lonely cactus", 1, 5000)
			a := openAuction(t, e, seller, map[string]any{"productId": p.ID(), "startPrice": 5000, "minIncrement": 100, "endsAt": rfc3339(clk.Now().Add(time.Hour))})
			clk.Advance(time.Hour)
			closeDue(t, e)
			got := e.Get(t, "/api/v1/auctions/"+a["id"].(string), "").Data()
			if got["status"] != "ENDED" || got["winnerId"] != nil || got["orderId"] != nil || got["minIncrement"] != 100.0 {
				t.Errorf("auction = %v, want ENDED without winner or order", got)
			}
			if pr, _ := e.Store.Repos().Products.Get(context.Background(), p.ID()); pr.Quantity() != 1 {
				t.Errorf("stock = %d, want 1 (untouched)", pr.Quantity())
			}
		})

		t.Run("a bid in the last minutes extends the auction", func(t *testing.T) {
			c := newCast(t, e, &n)
			seller, alice, bob := c.seller, c.alice, c.bob
			_, _, _ = seller, alice, bob
			p := listProduct(t, e, seller, "Orchid in a pot", 1, 90000)
			endsAt := clk.Now().Add(time.Hour)
			id := openAuction(t, e, seller, map[string]any{"productId": p.ID(), "startPrice": 90000, "endsAt": rfc3339(endsAt)})["id"].(string)
			clk.Advance(time.Hour - 30*time.Second)
			alice = again(t, e, alice)
			if r := bid(t, e, alice, id, 90000); r.Status != http.StatusCreated {
				t.Fatalf("late bid = %s, want 201", r)
			}
			wantEnd := clk.Now().Add(2 * time.Minute)
			got, _ := time.Parse(time.RFC3339, e.Get(t, "/api/v1/auctions/"+id, "").Data()["endsAt"].(string))
			if !got.Equal(wantEnd) {
				t.Errorf("endsAt after a late bid = %s, want now + 2 min = %s", got, wantEnd)
			}
			clk.Advance(time.Minute)
			if closeDue(t, e) != 0 {
				t.Error("the auction closed at its original end despite the late bid")
			}
			bob = again(t, e, bob)
			if r := bid(t, e, bob, id, 99000); r.Status != http.StatusCreated {
				t.Errorf("bid after the original end = %s, want 201 (extended)", r)
			}
		})

		t.Run("the seller cannot bid on their own auction", func(t *testing.T) {
			c := newCast(t, e, &n)
			seller, alice, bob := c.seller, c.alice, c.bob
			_, _, _ = seller, alice, bob
			p := listProduct(t, e, seller, "Sunflowers", 1, 1000)
			id := openAuction(t, e, seller, map[string]any{"productId": p.ID(), "startPrice": 1000, "endsAt": rfc3339(clk.Now().Add(3 * time.Hour))})["id"].(string)
			if r := bid(t, e, seller, id, 5000); r.Status != http.StatusForbidden || r.ErrorCode() != "FORBIDDEN" {
				t.Errorf("seller bids = %s, want 403 FORBIDDEN", r)
			}
		})

		t.Run("a product in an open auction cannot be ordered directly", func(t *testing.T) {
			c := newCast(t, e, &n)
			seller, alice, bob := c.seller, c.alice, c.bob
			_, _, _ = seller, alice, bob
			p := listProduct(t, e, seller, "Tulip crate", 5, 3000)
			openAuction(t, e, seller, map[string]any{"productId": p.ID(), "startPrice": 1000, "endsAt": rfc3339(clk.Now().Add(3 * time.Hour))})
			r := e.Post(t, "/api/v1/orders", alice.AccessToken, map[string]any{"productId": p.ID()})
			if r.Status != http.StatusConflict || r.ErrorCode() != "INVALID_STATE" {
				t.Errorf("order during the auction = %s, want 409 INVALID_STATE", r)
			}
			if pr, _ := e.Store.Repos().Products.Get(context.Background(), p.ID()); pr.Quantity() != 5 {
				t.Errorf("stock = %d, want 5", pr.Quantity())
			}
		})

		t.Run("opening an auction is refused when the product does not allow it", func(t *testing.T) {
			c := newCast(t, e, &n)
			seller, alice, bob := c.seller, c.alice, c.bob
			_, _, _ = seller, alice, bob
			own := listProduct(t, e, seller, "Dahlias", 1, 1000)
			empty := listProduct(t, e, seller, "Sold-out lilies", 0, 1000)
			ends := rfc3339(clk.Now().Add(2 * time.Hour))
			cases := []struct {
				name   string
				who    testenv.Session
				body   map[string]any
				status int
				code   string
			}{
				{"someone else's product", alice, map[string]any{"productId": own.ID(), "startPrice": 100, "endsAt": ends}, 403, "FORBIDDEN"},
				{"a missing product", seller, map[string]any{"productId": "01936f8e-0000-7000-8000-000000000000", "startPrice": 100, "endsAt": ends}, 404, "NOT_FOUND"},
				{"an out-of-stock product", seller, map[string]any{"productId": empty.ID(), "startPrice": 100, "endsAt": ends}, 409, "INVALID_STATE"},
			}
			for _, tc := range cases {
				if r := e.Post(t, "/api/v1/auctions", tc.who.AccessToken, tc.body); r.Status != tc.status || r.ErrorCode() != tc.code {
					t.Errorf("%s: %s, want %d %s", tc.name, r, tc.status, tc.code)
				}
			}
			openAuction(t, e, seller, map[string]any{"productId": own.ID(), "startPrice": 100, "endsAt": ends})
			if r := e.Post(t, "/api/v1/auctions", seller.AccessToken, map[string]any{"productId": own.ID(), "startPrice": 100, "endsAt": ends}); r.Status != 409 || r.ErrorCode() != "CONFLICT" {
				t.Errorf("second open auction: %s, want 409 CONFLICT", r)
			}
			if r := e.Post(t, "/api/v1/auctions", "", map[string]any{"productId": own.ID(), "startPrice": 100, "endsAt": ends}); r.Status != 401 {
				t.Errorf("anonymous: %s, want 401", r)
			}
		})

		t.Run("bad auction input is a 400 naming the field", func(t *testing.T) {
			c := newCast(t, e, &n)
			seller, alice, bob := c.seller, c.alice, c.bob
			_, _, _ = seller, alice, bob
			p := listProduct(t, e, seller, "Ranunculus", 1, 1000)
			ok := func() map[string]any {
				return map[string]any{"productId": p.ID(), "startPrice": 100, "endsAt": rfc3339(clk.Now().Add(2 * time.Hour))}
			}
			with := func(k string, v any) map[string]any { m := ok(); m[k] = v; return m }
			without := func(k string) map[string]any { m := ok(); delete(m, k); return m }
			cases := []struct {
				body  map[string]any
				field string
			}{
				{with("endsAt", rfc3339(clk.Now().Add(59*time.Minute))), "endsAt"},
				{with("endsAt", rfc3339(clk.Now().Add(31*24*time.Hour))), "endsAt"},
				{with("endsAt", "tomorrow"), "endsAt"},
				{with("startPrice", 0), "startPrice"},
				{with("startPrice", "100"), "startPrice"},
				{with("startPrice", 10.5), "startPrice"},
				{with("minIncrement", 0), "minIncrement"},
				{with("productId", "not-a-uuid"), "productId"},
				{with("currentPrice", 500), "currentPrice"},
				{with("status", "ENDED"), "status"},
				{without("endsAt"), "endsAt"},
				{without("productId"), "productId"},
			}
			for _, tc := range cases {
				r := e.Post(t, "/api/v1/auctions", seller.AccessToken, tc.body)
				if r.Status != 400 || r.ErrorCode() != "VALIDATION_FAILED" || !strings.Contains(string(r.Raw), `"field":"`+tc.field+`"`) {
					t.Errorf("POST /auctions %v = %s, want 400 naming %s", tc.body, r, tc.field)
				}
			}
			if r := e.Do(t, testenv.Request{Method: "POST", Path: "/api/v1/auctions", Token: seller.AccessToken, Body: "amount=1", ContentType: "text/plain"}); r.Status != 415 {
				t.Errorf("text body = %s, want 415", r)
			}
			if open, _ := e.Store.Repos().Auctions.HasOpenAuction(context.Background(), p.ID()); open {
				t.Error("a refused request opened an auction")
			}
		})

		t.Run("bad bids are a 400 and change nothing", func(t *testing.T) {
			c := newCast(t, e, &n)
			seller, alice, bob := c.seller, c.alice, c.bob
			_, _, _ = seller, alice, bob
			p := listProduct(t, e, seller, "Freesia", 1, 1000)
			id := openAuction(t, e, seller, map[string]any{"productId": p.ID(), "startPrice": 1000, "endsAt": rfc3339(clk.Now().Add(2 * time.Hour))})["id"].(string)
			for _, body := range []any{map[string]any{"amount": 0}, map[string]any{"amount": -5}, map[string]any{"amount": "2000"},
				map[string]any{"amount": 2000.5}, map[string]any{}, map[string]any{"amount": 2000, "bidderId": alice.UserID}} {
				r := e.Post(t, "/api/v1/auctions/"+id+"/bids", alice.AccessToken, body)
				if r.Status != 400 || r.ErrorCode() != "VALIDATION_FAILED" {
					t.Errorf("bid %v = %s, want 400", body, r)
				}
			}
			if r := e.Do(t, testenv.Request{Method: "POST", Path: "/api/v1/auctions/" + id + "/bids", Token: alice.AccessToken, Body: `{"amount":`, ContentType: "application/json"}); r.Status != 400 {
				t.Errorf("malformed JSON bid = %s, want 400", r)
			}
			if got := e.Get(t, "/api/v1/auctions/"+id, "").Data(); got["bidCount"] != 0.0 {
				t.Errorf("bidCount = %v, want 0", got["bidCount"])
			}
			if r := e.Post(t, "/api/v1/auctions/not-a-uuid/bids", alice.AccessToken, map[string]any{"amount": 5000}); r.Status != 404 {
				t.Errorf("bid on a non-UUID id = %s, want 404", r)
			}
			if r := e.Post(t, "/api/v1/auctions/01936f8e-0000-7000-8000-000000000000/bids", alice.AccessToken, map[string]any{"amount": 5000}); r.Status != 404 {
				t.Errorf("bid on a missing auction = %s, want 404", r)
			}
			if r := e.Post(t, "/api/v1/auctions/"+id+"/bids", "", map[string]any{"amount": 5000}); r.Status != 401 {
				t.Errorf("anonymous bid = %s, want 401", r)
			}
		})

		t.Run("a bid retried with the same Idempotency-Key is placed once", func(t *testing.T) {
			c := newCast(t, e, &n)
			seller, alice, bob := c.seller, c.alice, c.bob
			_, _, _ = seller, alice, bob
			p := listProduct(t, e, seller, "Hydrangea", 1, 1000)
			id := openAuction(t, e, seller, map[string]any{"productId": p.ID(), "startPrice": 1000, "endsAt": rfc3339(clk.Now().Add(2 * time.Hour))})["id"].(string)
			send := func(key string, amount int64) *testenv.Response {
				return e.Do(t, testenv.Request{Method: "POST", Path: "/api/v1/auctions/" + id + "/bids", Token: alice.AccessToken,
					Body: map[string]any{"amount": amount}, Header: map[string]string{"Idempotency-Key": key}})
			}
			first := send("bid-key-1", 1000)
			again := send("bid-key-1", 1000)
			if first.Status != 201 || again.Status != 201 || string(first.Raw) != string(again.Raw) || again.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("first = %s, retry = %s (replayed %q), want the same 201 replayed", first, again, again.Header.Get("Idempotent-Replayed"))
			}
			if r := send("bid-key-1", 5000); r.Status != 422 || r.ErrorCode() != "IDEMPOTENCY_KEY_REUSED" {
				t.Errorf("same key, other amount = %s, want 422", r)
			}
			tooLow := send("bid-key-2", 1000)
			if tooLow.Status != 409 || tooLow.ErrorCode() != "BID_TOO_LOW" {
				t.Fatalf("equal bid = %s, want 409 BID_TOO_LOW", tooLow)
			}
			if r := send("bid-key-2", 1000); r.Status != 409 || r.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("retried refusal = %s, want the stored 409 replayed", r)
			}
			if got := e.Get(t, "/api/v1/auctions/"+id, "").Data(); got["bidCount"] != 1.0 {
				t.Errorf("bidCount = %v, want 1", got["bidCount"])
			}
			if r := send("", 2000); r.Status != 400 {
				t.Errorf("empty key = %s, want 400", r)
			}
		})

		t.Run("the seller or an admin cancels an auction without bids", func(t *testing.T) {
			c := newCast(t, e, &n)
			seller, alice, bob := c.seller, c.alice, c.bob
			_, _, _ = seller, alice, bob
			admin := e.SignIn(t, auctionAdminPhone)
			p1 := listProduct(t, e, seller, "Gerberas", 1, 1000)
			p2 := listProduct(t, e, seller, "Carnations", 1, 1000)
			p3 := listProduct(t, e, seller, "Anemones", 1, 1000)
			ends := rfc3339(clk.Now().Add(2 * time.Hour))
			a1 := openAuction(t, e, seller, map[string]any{"productId": p1.ID(), "startPrice": 1000, "endsAt": ends})["id"].(string)
			a2 := openAuction(t, e, seller, map[string]any{"productId": p2.ID(), "startPrice": 1000, "endsAt": ends})["id"].(string)
			a3 := openAuction(t, e, seller, map[string]any{"productId": p3.ID(), "startPrice": 1000, "endsAt": ends})["id"].(string)
			if r := e.Post(t, "/api/v1/auctions/"+a1+"/cancel", alice.AccessToken, nil); r.Status != 403 {
				t.Errorf("another user cancels = %s, want 403", r)
			}
			if r := e.Post(t, "/api/v1/auctions/"+a1+"/cancel", seller.AccessToken, nil); r.Status != 200 || r.Data()["status"] != "CANCELLED" {
				t.Errorf("seller cancels = %s, want 200 CANCELLED", r)
			}
			if r := e.Post(t, "/api/v1/auctions/"+a1+"/cancel", seller.AccessToken, nil); r.Status != 409 || r.ErrorCode() != "INVALID_STATE" {
				t.Errorf("cancel twice = %s, want 409 INVALID_STATE", r)
			}
			if r := bid(t, e, alice, a1, 5000); r.ErrorCode() != "AUCTION_NOT_ACTIVE" {
				t.Errorf("bid on a cancelled auction = %s, want 409 AUCTION_NOT_ACTIVE", r)
			}
			if r := e.Post(t, "/api/v1/auctions/"+a2+"/cancel", admin.AccessToken, nil); r.Status != 200 {
				t.Errorf("admin cancels = %s, want 200", r)
			}
			bid(t, e, alice, a3, 1000)
			if r := e.Post(t, "/api/v1/auctions/"+a3+"/cancel", seller.AccessToken, nil); r.Status != 409 || r.ErrorCode() != "INVALID_STATE" {
				t.Errorf("cancel with bids = %s, want 409 INVALID_STATE", r)
			}
			// The product is free again: a new auction may open.
			openAuction(t, e, seller, map[string]any{"productId": p1.ID(), "startPrice": 1000, "endsAt": ends})
		})

		t.Run("anyone lists auctions by status and product, sorted by end", func(t *testing.T) {
			c := newCast(t, e, &n)
			seller, alice, bob := c.seller, c.alice, c.bob
			_, _, _ = seller, alice, bob
			r := e.Get(t, "/api/v1/auctions?status=ACTIVE&sort=endsAt&limit=100", "")
			items := r.List()
			if r.Status != 200 || len(items) == 0 {
				t.Fatalf("list = %s", r)
			}
			for i, it := range items {
				if it["status"] != "ACTIVE" {
					t.Errorf("item %d status %v, want ACTIVE", i, it["status"])
				}
				if i > 0 && it["endsAt"].(string) < items[i-1]["endsAt"].(string) {
					t.Errorf("items not sorted by endsAt at %d", i)
				}
			}
			pag := r.Body["meta"].(map[string]any)["pagination"].(map[string]any)
			if pag["total"] != float64(len(items)) || pag["limit"] != 100.0 {
				t.Errorf("pagination = %v, want total %d", pag, len(items))
			}
			desc := e.Get(t, "/api/v1/auctions?sort=-endsAt&limit=1", "")
			if len(desc.List()) != 1 || desc.Body["meta"].(map[string]any)["pagination"].(map[string]any)["hasNextPage"] != true {
				t.Errorf("sort=-endsAt&limit=1 = %s, want one item and a next page", desc)
			}
			p := listProduct(t, e, seller, "Mimosa", 1, 1000)
			a := openAuction(t, e, seller, map[string]any{"productId": p.ID(), "startPrice": 1000, "endsAt": rfc3339(clk.Now().Add(5 * time.Hour))})
			byProduct := e.Get(t, "/api/v1/auctions?productId="+p.ID(), "").List()
			if len(byProduct) != 1 || byProduct[0]["id"] != a["id"] {
				t.Errorf("?productId = %v, want only the mimosa auction", byProduct)
			}
			if none := e.Get(t, "/api/v1/auctions?productId=01936f8e-0000-7000-8000-000000000000", ""); none.Status != 200 || len(none.List()) != 0 {
				t.Errorf("unknown productId = %s, want an empty list", none)
			}
			for _, q := range []string{"status=OPEN", "productId=abc", "sort=price", "sort=", "page=0", "limit=101", "limit=x"} {
				if r := e.Get(t, "/api/v1/auctions?"+q, ""); r.Status != 400 || r.ErrorCode() != "VALIDATION_FAILED" {
					t.Errorf("GET /auctions?%s = %s, want 400", q, r)
				}
			}
			if r := e.Get(t, "/api/v1/auctions/"+strings.ToUpper(a["id"].(string)), ""); r.Status != 200 || r.Data()["id"] != a["id"] {
				t.Errorf("GET /auctions/{upper-case id} = %s, want the auction", r)
			}
			if up := e.Get(t, "/api/v1/auctions?productId="+strings.ToUpper(p.ID()), "").List(); len(up) != 1 {
				t.Errorf("?productId in upper case = %v, want the mimosa auction", up)
			}
			if r := e.Get(t, "/api/v1/auctions/not-a-uuid", ""); r.Status != 404 {
				t.Errorf("GET /auctions/not-a-uuid = %s, want 404", r)
			}
			if r := e.Get(t, "/api/v1/auctions/not-a-uuid/bids", ""); r.Status != 404 {
				t.Errorf("GET /auctions/not-a-uuid/bids = %s, want 404", r)
			}
		})
	})
}

// TestAuctionClosesSoonAfterItsEnd runs the real closer loop on the system
// clock with one-second auctions and checks the contract's "closed within
// 5 s after endsAt", with a generous polling deadline.
func TestAuctionClosesSoonAfterItsEnd(t *testing.T) {
	testenv.ForEachBackend(t, testenv.Options{Configure: func(c *app.Config) {
		c.AuctionMinDuration = time.Second
		c.AuctionAntiSnipeWindow = 0 // the bid must not move endsAt
	}},
		func(t *testing.T, e *testenv.Env) {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				e.Core.Auctions.RunCloser(ctx, app.CloseInterval, func(err error) { t.Errorf("closer: %v", err) })
			}()
			defer func() { cancel(); <-done }()

			seller := e.SignIn(t, auctionSellerPhone)
			buyer := e.SignIn(t, auctionAlicePhone)
			p := listProduct(t, e, seller, "Quick bouquet", 1, 1000)
			endsAt := time.Now().Add(1500 * time.Millisecond).Truncate(time.Millisecond)
			id := openAuction(t, e, seller, map[string]any{"productId": p.ID(), "startPrice": 1000, "endsAt": endsAt.Format(time.RFC3339Nano)})["id"].(string)
			if r := bid(t, e, buyer, id, 1000); r.Status != 201 {
				t.Fatalf("bid = %s", r)
			}
			deadline := time.Now().Add(15 * time.Second)
			for {
				a := e.Get(t, "/api/v1/auctions/"+id, "").Data()
				if a["status"] == "ENDED" {
					updated, _ := time.Parse(time.RFC3339, a["updatedAt"].(string))
					t.Logf("closed %s after endsAt", updated.Sub(endsAt))
					if a["winnerId"] != buyer.UserID || a["orderId"] == nil {
						t.Errorf("closed auction = %v, want the buyer's win with an order", a)
					}
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("auction not closed 15 s after endsAt: %v", a)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
}
