package acceptance

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/secondbloom/marketplace/acceptance/testenv"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/ports/porttest"
)

// market is a signed-in seller with a category to list in, and helpers to
// stock products directly in the store (the catalog routes belong to
// another area).
type market struct {
	e      *testenv.Env
	seller testenv.Session
	phones int
}

func newMarket(t *testing.T, e *testenv.Env) *market {
	return &market{e: e, seller: e.SignIn(t, "+998935550000")}
}

// buyer signs in a new user.
func (m *market) buyer(t *testing.T) testenv.Session {
	t.Helper()
	m.phones++
	return m.e.SignIn(t, fmt.Sprintf("+99893%07d", 1000+m.phones))
}

// product stores an ACTIVE product of the seller and returns its id.
func (m *market) product(t *testing.T, qty int, price int64) string {
	t.Helper()
	r := m.e.Store.Repos()
	u, err := r.Users.Get(context.Background(), m.seller.UserID)
	if err != nil {
		t.Fatal(err)
	}
	cat := porttest.NewCategory(t, r, "roses")
	m.phones++
	return porttest.NewProduct(t, r, cat, u, fmt.Sprintf("Bouquet %d", m.phones), qty, price).ID()
}

func (m *market) stock(t *testing.T, productID string) int {
	t.Helper()
	p, err := m.e.Store.Repos().Products.Get(context.Background(), productID)
	if err != nil {
		t.Fatal(err)
	}
	return p.Quantity()
}

func (m *market) order(t *testing.T, token, productID string, qty int) *testenv.Response {
	t.Helper()
	return m.e.Post(t, "/api/v1/orders", token, map[string]any{"productId": productID, "quantity": qty})
}

var orderNumber = regexp.MustCompile(`^SB-\d{8}-[A-Z2-7]{8}$`)

func TestPlacingOrders(t *testing.T) {
	testenv.ForEachBackend(t, testenv.Options{}, func(t *testing.T, e *testenv.Env) {
		m := newMarket(t, e)
		buyer := m.buyer(t)

		t.Run("a signed-in buyer orders a bouquet", func(t *testing.T) {
			pid := m.product(t, 5, 150000)
			r := e.Post(t, "/api/v1/orders", buyer.AccessToken, map[string]any{"productId": pid, "quantity": 2,
				"shippingAddress": "Tashkent, Yunusabad 4", "notes": "call first"})
			if r.Status != http.StatusCreated {
				t.Fatalf("POST /orders = %s, want 201", r)
			}
			d := r.Data()
			if d["id"] == nil || d["id"] == "" || d["status"] != "PENDING" || d["paymentStatus"] != "PENDING" {
				t.Errorf("order = %v, want an id, status PENDING and paymentStatus PENDING", d)
			}
			if d["productId"] != pid || d["buyerId"] != buyer.UserID || d["sellerId"] != m.seller.UserID ||
				d["quantity"] != 2.0 || d["unitPrice"] != 150000.0 || d["totalPrice"] != 300000.0 || d["currency"] != "UZS" ||
				d["shippingAddress"] != "Tashkent, Yunusabad 4" || d["notes"] != "call first" || d["auctionId"] != nil {
				t.Errorf("order = %v, want 2 x 150000 UZS of the product, with the address and notes", d)
			}
			if n, _ := d["number"].(string); !orderNumber.MatchString(n) {
				t.Errorf("number = %q, want SB-yyyymmdd-XXXXXXXX", n)
			}
			for _, k := range []string{"createdAt", "updatedAt"} {
				if s, _ := d[k].(string); !strings.HasSuffix(s, "Z") {
					t.Errorf("%s = %q, want RFC 3339 UTC", k, s)
				}
			}
			if len(d) != 18 || d["cancelReason"] != nil || d["cancelledBy"] != nil {
				t.Errorf("order has %d fields, want the 18 of API.md section 5 (cancelReason and cancelledBy null): %v", len(d), d)
			}
			if got := m.stock(t, pid); got != 3 {
				t.Errorf("stock after ordering 2 of 5 = %d, want 3", got)
			}
			got := e.Get(t, "/api/v1/orders/"+d["id"].(string), buyer.AccessToken)
			if got.Status != http.StatusOK || got.Data()["number"] != d["number"] {
				t.Errorf("GET the new order = %s, want 200 with the same order", got)
			}
		})

		t.Run("ordering without signing in is refused", func(t *testing.T) {
			pid := m.product(t, 5, 1000)
			if r := m.order(t, "", pid, 1); r.Status != http.StatusUnauthorized || r.ErrorCode() != "UNAUTHORIZED" {
				t.Errorf("POST /orders without a token = %s, want 401 UNAUTHORIZED", r)
			}
			if r := m.order(t, "not-a-token", pid, 1); r.Status != http.StatusUnauthorized {
				t.Errorf("POST /orders with a bad token = %s, want 401", r)
			}
			if got := m.stock(t, pid); got != 5 {
				t.Errorf("stock = %d, want 5", got)
			}
		})

		t.Run("the quantity defaults to one", func(t *testing.T) {
			pid := m.product(t, 5, 1000)
			r := e.Post(t, "/api/v1/orders", buyer.AccessToken, map[string]any{"productId": pid})
			if r.Status != http.StatusCreated || r.Data()["quantity"] != 1.0 || r.Data()["shippingAddress"] != nil {
				t.Errorf("POST /orders without quantity = %s, want 201 with quantity 1 and no address", r)
			}
		})

		t.Run("a buyer cannot order more than the stock", func(t *testing.T) {
			pid := m.product(t, 2, 1000)
			if r := m.order(t, buyer.AccessToken, pid, 3); r.Status != http.StatusConflict || r.ErrorCode() != "OUT_OF_STOCK" {
				t.Errorf("ordering 3 of 2 = %s, want 409 OUT_OF_STOCK", r)
			}
			if got := m.stock(t, pid); got != 2 {
				t.Errorf("stock after a refused order = %d, want 2", got)
			}
		})

		t.Run("a seller cannot buy their own product", func(t *testing.T) {
			pid := m.product(t, 2, 1000)
			if r := m.order(t, m.seller.AccessToken, pid, 1); r.Status != http.StatusForbidden || r.ErrorCode() != "FORBIDDEN" {
				t.Errorf("ordering one's own product = %s, want 403 FORBIDDEN", r)
			}
		})

		t.Run("a missing or unpublished product cannot be ordered", func(t *testing.T) {
			if r := m.order(t, buyer.AccessToken, "0193a1b2-0000-7000-8000-000000000099", 1); r.Status != http.StatusNotFound {
				t.Errorf("ordering a missing product = %s, want 404", r)
			}
			pid := m.product(t, 2, 1000)
			if _, err := e.Store.Repos().Products.Update(context.Background(), pid, func(p *product.Product) error {
				f := p.Fields()
				f.Status = product.StatusPending
				*p = *product.Rehydrate(f)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if r := m.order(t, buyer.AccessToken, pid, 1); r.Status != http.StatusNotFound || r.ErrorCode() != "NOT_FOUND" {
				t.Errorf("ordering a PENDING product = %s, want 404 NOT_FOUND", r)
			}
		})

		t.Run("bad order requests are refused and change nothing", func(t *testing.T) {
			pid := m.product(t, 5, 1000)
			for _, body := range []string{
				`{"productId":"nope"}`,
				`{"productId":"` + pid + `","quantity":"1"}`,
				`{"productId":"` + pid + `","quantity":0}`,
				`{"productId":"` + pid + `","quantity":101}`,
				`{"productId":"` + pid + `","quantity":1.5}`,
				`{"productId":"` + pid + `","unitPrice":1}`,
				`{"productId":"` + pid + `","totalPrice":1}`,
				`{"productId":"` + pid + `","status":"DELIVERED"}`,
				`{"productId":"` + pid + `","buyerId":"` + buyer.UserID + `"}`,
				`{"productId":"` + pid + `","notes":"` + strings.Repeat("n", 1001) + `"}`,
				`{"productId":"` + pid + `","shippingAddress":7}`,
				`{"productId":"` + pid + `","productId":"` + pid + `"}`,
				`{"quantity":1}`,
				`{"productId":`,
				`[]`,
			} {
				r := e.Do(t, testenv.Request{Method: http.MethodPost, Path: "/api/v1/orders", Body: body, ContentType: "application/json", Token: buyer.AccessToken})
				if r.Status != http.StatusBadRequest || r.ErrorCode() != "VALIDATION_FAILED" {
					t.Errorf("POST /orders %.80s = %s, want 400 VALIDATION_FAILED", body, r)
				}
			}
			r := e.Do(t, testenv.Request{Method: http.MethodPost, Path: "/api/v1/orders", Body: `productId=` + pid, ContentType: "text/plain", Token: buyer.AccessToken})
			if r.Status != http.StatusUnsupportedMediaType {
				t.Errorf("POST /orders as text = %s, want 415", r)
			}
			if got := m.stock(t, pid); got != 5 {
				t.Errorf("stock after bad requests = %d, want 5", got)
			}
		})
	})
}

func TestOrderLifecycle(t *testing.T) {
	testenv.ForEachBackend(t, testenv.Options{AdminPhones: []string{"+998939999999"}}, func(t *testing.T, e *testenv.Env) {
		m := newMarket(t, e)
		buyer := m.buyer(t)
		stranger := m.buyer(t)
		admin := e.SignIn(t, "+998939999999")
		act := func(t *testing.T, s testenv.Session, id, action string) *testenv.Response {
			t.Helper()
			return e.Post(t, "/api/v1/orders/"+id+"/"+action, s.AccessToken, nil)
		}

		t.Run("a seller confirms and ships, the buyer receives", func(t *testing.T) {
			pid := m.product(t, 3, 5000)
			id := m.order(t, buyer.AccessToken, pid, 1).Data()["id"].(string)
			steps := []struct {
				who    testenv.Session
				action string
				status int
				want   string // status field, or error code
			}{
				{buyer, "confirm", 403, "FORBIDDEN"},
				{stranger, "confirm", 404, "NOT_FOUND"},
				{admin, "confirm", 403, "FORBIDDEN"},
				{m.seller, "ship", 409, "INVALID_STATE"},
				{m.seller, "confirm", 200, "CONFIRMED"},
				{m.seller, "confirm", 409, "INVALID_STATE"},
				{buyer, "ship", 403, "FORBIDDEN"},
				{m.seller, "ship", 200, "SHIPPED"},
				{buyer, "cancel", 409, "INVALID_STATE"},
				{m.seller, "deliver", 403, "FORBIDDEN"},
				{buyer, "deliver", 200, "DELIVERED"},
				{buyer, "deliver", 409, "INVALID_STATE"},
			}
			for _, s := range steps {
				r := act(t, s.who, id, s.action)
				got := r.ErrorCode()
				if r.Status == 200 {
					got, _ = r.Data()["status"].(string)
				}
				if r.Status != s.status || got != s.want {
					t.Errorf("%s by %s = %s, want %d %s", s.action, s.who.Phone, r, s.status, s.want)
				}
			}
		})

		t.Run("the seller or an admin marks an order paid", func(t *testing.T) {
			pid := m.product(t, 3, 5000)
			id1 := m.order(t, buyer.AccessToken, pid, 1).Data()["id"].(string)
			id2 := m.order(t, buyer.AccessToken, pid, 1).Data()["id"].(string)
			if r := act(t, buyer, id1, "mark-paid"); r.Status != 403 {
				t.Errorf("mark-paid by the buyer = %s, want 403", r)
			}
			if r := act(t, m.seller, id1, "mark-paid"); r.Status != 200 || r.Data()["paymentStatus"] != "PAID" {
				t.Errorf("mark-paid by the seller = %s, want 200 PAID", r)
			}
			if r := act(t, admin, id2, "mark-paid"); r.Status != 200 || r.Data()["paymentStatus"] != "PAID" {
				t.Errorf("mark-paid by an admin = %s, want 200 PAID", r)
			}
			if r := act(t, admin, id2, "mark-paid"); r.Status != 409 || r.ErrorCode() != "INVALID_STATE" {
				t.Errorf("mark-paid twice = %s, want 409 INVALID_STATE", r)
			}
			r := e.Post(t, "/api/v1/orders/"+id1+"/cancel", buyer.AccessToken, map[string]string{"reason": "found cheaper"})
			if r.Status != 200 || r.Data()["status"] != "CANCELLED" || r.Data()["paymentStatus"] != "REFUNDED" {
				t.Errorf("cancelling a paid order = %s, want 200 CANCELLED REFUNDED", r)
			}
		})

		t.Run("a cancelled order gives its stock back once", func(t *testing.T) {
			pid := m.product(t, 4, 5000)
			id := m.order(t, buyer.AccessToken, pid, 3).Data()["id"].(string)
			if r := act(t, stranger, id, "cancel"); r.Status != 404 {
				t.Errorf("cancel by a stranger = %s, want 404", r)
			}
			if r := act(t, m.seller, id, "cancel"); r.Status != 200 || r.Data()["status"] != "CANCELLED" {
				t.Errorf("cancel by the seller = %s, want 200 CANCELLED", r)
			}
			if r := act(t, buyer, id, "cancel"); r.Status != 409 || r.ErrorCode() != "INVALID_STATE" {
				t.Errorf("second cancel = %s, want 409 INVALID_STATE", r)
			}
			if got := m.stock(t, pid); got != 4 {
				t.Errorf("stock after cancelling = %d, want 4", got)
			}
			if r := e.Post(t, "/api/v1/orders/"+id+"/cancel", buyer.AccessToken, map[string]any{"reason": 5}); r.Status != 400 {
				t.Errorf("cancel with a numeric reason = %s, want 400", r)
			}
		})

		t.Run("only the buyer, the seller and admins see an order", func(t *testing.T) {
			pid := m.product(t, 3, 5000)
			id := m.order(t, buyer.AccessToken, pid, 1).Data()["id"].(string)
			for _, s := range []testenv.Session{buyer, m.seller, admin} {
				if r := e.Get(t, "/api/v1/orders/"+id, s.AccessToken); r.Status != 200 {
					t.Errorf("GET by %s = %s, want 200", s.Phone, r)
				}
			}
			if r := e.Get(t, "/api/v1/orders/"+id, stranger.AccessToken); r.Status != 404 || r.ErrorCode() != "NOT_FOUND" {
				t.Errorf("GET by a stranger = %s, want 404", r)
			}
			for _, path := range []string{"/api/v1/orders/not-a-uuid", "/api/v1/orders/0193a1b2-0000-7000-8000-000000000099"} {
				if r := e.Get(t, path, buyer.AccessToken); r.Status != 404 {
					t.Errorf("GET %s = %s, want 404", path, r)
				}
				if r := e.Post(t, path+"/confirm", m.seller.AccessToken, nil); r.Status != 404 {
					t.Errorf("POST %s/confirm = %s, want 404", path, r)
				}
			}
		})
	})
}

func TestListingOrders(t *testing.T) {
	testenv.ForEachBackend(t, testenv.Options{}, func(t *testing.T, e *testenv.Env) {
		m := newMarket(t, e)
		buyer, other := m.buyer(t), m.buyer(t)
		pid := m.product(t, 50, 1000)
		var ids []string
		for i := 1; i <= 3; i++ {
			ids = append(ids, m.order(t, buyer.AccessToken, pid, i).Data()["id"].(string))
		}
		m.order(t, other.AccessToken, pid, 1)
		e.Post(t, "/api/v1/orders/"+ids[0]+"/cancel", buyer.AccessToken, nil)

		t.Run("a buyer sees only their own orders, newest first", func(t *testing.T) {
			r := e.Get(t, "/api/v1/orders", buyer.AccessToken)
			list := r.List()
			if r.Status != 200 || len(list) != 3 || list[0]["id"] != ids[2] || list[2]["id"] != ids[0] {
				t.Fatalf("GET /orders = %s, want the buyer's 3 orders newest first", r)
			}
			pg := r.Body["meta"].(map[string]any)["pagination"].(map[string]any)
			if pg["total"] != 3.0 || pg["page"] != 1.0 || pg["limit"] != 20.0 || pg["totalPages"] != 1.0 {
				t.Errorf("pagination = %v, want total 3 on one page of 20", pg)
			}
		})
		t.Run("a seller lists the orders of their products", func(t *testing.T) {
			if r := e.Get(t, "/api/v1/orders?role=seller", m.seller.AccessToken); len(r.List()) != 4 {
				t.Errorf("GET /orders?role=seller = %s, want 4 orders", r)
			}
			if r := e.Get(t, "/api/v1/orders?role=buyer", m.seller.AccessToken); r.Status != 200 || len(r.List()) != 0 {
				t.Errorf("the seller's purchases = %s, want an empty list", r)
			}
		})
		t.Run("filters, sorting and pages", func(t *testing.T) {
			if r := e.Get(t, "/api/v1/orders?status=CANCELLED", buyer.AccessToken); len(r.List()) != 1 || r.List()[0]["id"] != ids[0] {
				t.Errorf("status=CANCELLED = %s, want the cancelled order", r)
			}
			r := e.Get(t, "/api/v1/orders?sort=-totalPrice&limit=2&page=2", buyer.AccessToken)
			pg := r.Body["meta"].(map[string]any)["pagination"].(map[string]any)
			if len(r.List()) != 1 || r.List()[0]["id"] != ids[0] || pg["hasPreviousPage"] != true || pg["hasNextPage"] != false {
				t.Errorf("sort=-totalPrice page 2 of 2 = %s, want the cheapest order", r)
			}
		})
		t.Run("bad list parameters are refused", func(t *testing.T) {
			for _, q := range []string{"role=admin", "status=LOST", "page=0", "page=x", "limit=0", "limit=101", "sort=price", "sort=-"} {
				if r := e.Get(t, "/api/v1/orders?"+q, buyer.AccessToken); r.Status != 400 || r.ErrorCode() != "VALIDATION_FAILED" {
					t.Errorf("GET /orders?%s = %s, want 400", q, r)
				}
			}
			if r := e.Get(t, "/api/v1/orders", ""); r.Status != 401 {
				t.Errorf("GET /orders without a token = %s, want 401", r)
			}
		})
	})
}

func TestIdempotentOrders(t *testing.T) {
	testenv.ForEachBackend(t, testenv.Options{}, func(t *testing.T, e *testenv.Env) {
		m := newMarket(t, e)
		buyer := m.buyer(t)
		post := func(t *testing.T, s testenv.Session, key, body string) *testenv.Response {
			t.Helper()
			return e.Do(t, testenv.Request{Method: http.MethodPost, Path: "/api/v1/orders", Body: body, ContentType: "application/json",
				Token: s.AccessToken, Header: map[string]string{"Idempotency-Key": key}})
		}

		t.Run("a retried order is replayed, not repeated", func(t *testing.T) {
			pid := m.product(t, 5, 1000)
			body := `{"productId":"` + pid + `","quantity":2}`
			first := post(t, buyer, "retry-1", body)
			if first.Status != 201 || first.Header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("first request = %s, want 201 without Idempotent-Replayed", first)
			}
			again := post(t, buyer, "retry-1", `{ "quantity": 2, "productId": "`+pid+`" }`)
			if again.Status != 201 || string(again.Raw) != string(first.Raw) || again.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("retry = %s (replayed %q), want the first response byte for byte with Idempotent-Replayed: true", again, again.Header.Get("Idempotent-Replayed"))
			}
			if got := m.stock(t, pid); got != 3 {
				t.Errorf("stock after an order and its retry = %d, want 3", got)
			}
			if r := e.Get(t, "/api/v1/orders", buyer.AccessToken); r.Body["meta"].(map[string]any)["pagination"].(map[string]any)["total"] != 1.0 {
				t.Errorf("orders after an order and its retry = %s, want 1", r)
			}
			other := m.buyer(t)
			if r := post(t, other, "retry-1", body); r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "" || r.Data()["buyerId"] != other.UserID {
				t.Errorf("the same key by another user = %s, want a new order of their own", r)
			}
		})
		t.Run("a key reused with another body is refused", func(t *testing.T) {
			pid := m.product(t, 5, 1000)
			post(t, buyer, "reuse-1", `{"productId":"`+pid+`","quantity":1}`)
			r := post(t, buyer, "reuse-1", `{"productId":"`+pid+`","quantity":2}`)
			if r.Status != 422 || r.ErrorCode() != "IDEMPOTENCY_KEY_REUSED" {
				t.Errorf("same key, other body = %s, want 422 IDEMPOTENCY_KEY_REUSED", r)
			}
			if got := m.stock(t, pid); got != 4 {
				t.Errorf("stock = %d, want 4", got)
			}
		})
		t.Run("a refusal is replayed too", func(t *testing.T) {
			pid := m.product(t, 1, 1000)
			first := post(t, buyer, "oos-1", `{"productId":"`+pid+`","quantity":2}`)
			again := post(t, buyer, "oos-1", `{"productId":"`+pid+`","quantity":2}`)
			if first.Status != 409 || first.ErrorCode() != "OUT_OF_STOCK" || string(again.Raw) != string(first.Raw) || again.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("out-of-stock and its retry = %s / %s, want the same 409 replayed", first, again)
			}
		})
		t.Run("requests rejected by validation are not stored", func(t *testing.T) {
			pid := m.product(t, 5, 1000)
			if r := post(t, buyer, "valid-1", `{"productId":"`+pid+`","quantity":0}`); r.Status != 400 {
				t.Fatalf("invalid request = %s, want 400", r)
			}
			if r := post(t, buyer, "valid-1", `{"productId":"`+pid+`","quantity":1}`); r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "" {
				t.Errorf("valid request with the key of a rejected one = %s, want a fresh 201", r)
			}
		})
		t.Run("malformed keys are refused", func(t *testing.T) {
			pid := m.product(t, 5, 1000)
			for _, key := range []string{strings.Repeat("k", 256), "ключ", "tab\tkey"} {
				if r := post(t, buyer, key, `{"productId":"`+pid+`"}`); r.Status != 400 || r.ErrorCode() != "VALIDATION_FAILED" {
					t.Errorf("key %.20q = %s, want 400", key, r)
				}
			}
			if got := m.stock(t, pid); got != 5 {
				t.Errorf("stock = %d, want 5", got)
			}
		})
		t.Run("identical requests racing with one key place one order", func(t *testing.T) {
			pid := m.product(t, 50, 1000)
			body := `{"productId":"` + pid + `","quantity":1}`
			const n = 12
			res := make([]*testenv.Response, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					res[i] = post(t, buyer, "race-1", body)
				}()
			}
			close(start)
			wg.Wait()
			fresh, replays, inUse := 0, 0, 0
			for _, r := range res {
				switch {
				case r.Status == 201 && r.Header.Get("Idempotent-Replayed") == "true":
					replays++
				case r.Status == 201:
					fresh++
				case r.Status == 409 && r.ErrorCode() == "IDEMPOTENCY_KEY_IN_USE":
					inUse++
				default:
					t.Errorf("racing request = %s, want 201 or 409 IDEMPOTENCY_KEY_IN_USE", r)
				}
			}
			if fresh != 1 || fresh+replays+inUse != n {
				t.Errorf("%d fresh, %d replayed, %d in use; want exactly 1 fresh", fresh, replays, inUse)
			}
			if got := m.stock(t, pid); got != 49 {
				t.Errorf("stock after the race = %d, want 49", got)
			}
		})
	})
}

func TestRacingForTheLastBouquets(t *testing.T) {
	testenv.ForEachBackend(t, testenv.Options{}, func(t *testing.T, e *testenv.Env) {
		m := newMarket(t, e)
		const buyers, stock = 100, 10
		sessions := make([]testenv.Session, buyers)
		for i := range sessions {
			sessions[i] = m.buyer(t)
		}
		pid := m.product(t, stock, 120000)

		t.Run("a hundred buyers race for ten bouquets", func(t *testing.T) {
			res := make([]*testenv.Response, buyers)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range buyers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					res[i] = m.order(t, sessions[i].AccessToken, pid, 1)
				}()
			}
			close(start)
			wg.Wait()
			created, outOfStock := 0, 0
			for _, r := range res {
				switch {
				case r.Status == 201:
					created++
				case r.Status == 409 && r.ErrorCode() == "OUT_OF_STOCK":
					outOfStock++
				default:
					t.Errorf("racing order = %s, want 201 or 409 OUT_OF_STOCK", r)
				}
			}
			if created != stock || outOfStock != buyers-stock {
				t.Errorf("%d orders placed, %d OUT_OF_STOCK; want %d and %d", created, outOfStock, stock, buyers-stock)
			}
			if got := m.stock(t, pid); got != 0 {
				t.Errorf("stock after the race = %d, want 0", got)
			}
			if r := e.Get(t, "/api/v1/orders?role=seller&limit=100", m.seller.AccessToken); r.Body["meta"].(map[string]any)["pagination"].(map[string]any)["total"] != float64(stock) {
				t.Errorf("orders stored = %s, want %d", r, stock)
			}
		})

		t.Run("ten racing cancels give the stock back once", func(t *testing.T) {
			pid := m.product(t, 5, 1000)
			buyer := sessions[0]
			id := m.order(t, buyer.AccessToken, pid, 3).Data()["id"].(string)
			res := make([]*testenv.Response, 10)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range res {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					res[i] = e.Post(t, "/api/v1/orders/"+id+"/cancel", buyer.AccessToken, nil)
				}()
			}
			close(start)
			wg.Wait()
			ok, invalid := 0, 0
			for _, r := range res {
				switch {
				case r.Status == 200:
					ok++
				case r.Status == 409 && r.ErrorCode() == "INVALID_STATE":
					invalid++
				default:
					t.Errorf("racing cancel = %s, want 200 or 409 INVALID_STATE", r)
				}
			}
			if ok != 1 || invalid != 9 {
				t.Errorf("%d cancels succeeded, %d INVALID_STATE; want 1 and 9", ok, invalid)
			}
			if got := m.stock(t, pid); got != 5 {
				t.Errorf("stock after ten cancels = %d, want 5", got)
			}
		})
	})
}

func TestOpenAPIDescribesTheOrderRoutes(t *testing.T) {
	e := testenv.New(t, testenv.Memory, testenv.Options{})
	r := e.Get(t, "/api/v1/openapi.json", "")
	paths, _ := r.Body["paths"].(map[string]any)
	for path, method := range map[string]string{
		"/api/v1/orders": "post", "/api/v1/orders/{id}": "get", "/api/v1/orders/{id}/confirm": "post",
		"/api/v1/orders/{id}/ship": "post", "/api/v1/orders/{id}/deliver": "post", "/api/v1/orders/{id}/cancel": "post",
		"/api/v1/orders/{id}/mark-paid": "post",
	} {
		ops, _ := paths[path].(map[string]any)
		if ops[method] == nil {
			t.Errorf("openapi.json has no %s %s", method, path)
		}
	}
	if ops, _ := paths["/api/v1/orders"].(map[string]any); ops["get"] == nil {
		t.Errorf("openapi.json has no get /api/v1/orders")
	}
}
