package acceptance

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/acceptance/testenv"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain/user"
)

const (
	adminPhone     = "+998900000009"
	sellerPhone    = "+998901000001"
	rivalPhone     = "+998901000002"
	moderatorPhone = "+998901000003"
	shopperPhone   = "+998901000004"
)

// catalogEnv is a server with moderation on and one admin.
func catalogOptions() testenv.Options {
	return testenv.Options{AdminPhones: []string{adminPhone}, Configure: func(c *app.Config) { c.ProductModeration = true }}
}

// makeModerator signs a user in and gives them the MODERATOR role through
// the store (there is no API for roles).
func makeModerator(t *testing.T, e *testenv.Env, phone string) testenv.Session {
	t.Helper()
	s := e.SignIn(t, phone)
	if _, err := e.Store.Repos().Users.Update(context.Background(), s.UserID, func(u *user.User) error {
		return u.SetRole(user.RoleModerator, time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

func mustCreate(t *testing.T, r *testenv.Response, what string) map[string]any {
	t.Helper()
	if r.Status != http.StatusCreated {
		t.Fatalf("create %s = %s, want 201", what, r)
	}
	return r.Data()
}

func TestCatalog(t *testing.T) {
	testenv.ForEachBackend(t, catalogOptions(), func(t *testing.T, e *testenv.Env) {
		admin := e.SignIn(t, adminPhone)
		seller := e.SignIn(t, sellerPhone)
		rival := e.SignIn(t, rivalPhone)
		mod := makeModerator(t, e, moderatorPhone)
		shopper := e.SignIn(t, shopperPhone)

		flowers := mustCreate(t, e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Flowers"}), "category")
		roses := mustCreate(t, e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Roses", "parentId": flowers["id"], "position": 1}), "category")
		pots := mustCreate(t, e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Pots", "position": 2}), "category")

		t.Run("an admin builds the category tree; others may not", func(t *testing.T) {
			if roses["parentId"] != flowers["id"] || roses["slug"] != "roses" || roses["isActive"] != true {
				t.Errorf("roses = %v, want a child of flowers with slug roses, active", roses)
			}
			if r := e.Post(t, "/api/v1/categories", seller.AccessToken, map[string]any{"name": "Mine"}); r.Status != http.StatusForbidden {
				t.Errorf("create category as a user = %s, want 403", r)
			}
			if r := e.Post(t, "/api/v1/categories", "", map[string]any{"name": "Mine"}); r.Status != http.StatusUnauthorized {
				t.Errorf("create category anonymously = %s, want 401", r)
			}
			r := e.Get(t, "/api/v1/categories?limit=2", "")
			if r.Status != http.StatusOK || len(r.List()) != 2 {
				t.Fatalf("list categories = %s, want 2 items", r)
			}
			pg := r.Body["meta"].(map[string]any)["pagination"].(map[string]any)
			if pg["total"] != 3.0 || pg["hasNextPage"] != true {
				t.Errorf("pagination = %v, want total 3 with a next page", pg)
			}
			if r := e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "X", "parentId": "not-a-uuid"}); r.Status != http.StatusBadRequest {
				t.Errorf("create with a bad parentId = %s, want 400", r)
			}
			if r := e.Patch(t, "/api/v1/categories/"+flowers["id"].(string), admin.AccessToken, map[string]any{"parentId": roses["id"]}); r.Status != http.StatusBadRequest {
				t.Errorf("moving flowers below its own child = %s, want 400", r)
			}
		})

		var pending map[string]any
		t.Run("a seller lists a product that waits for moderation, hidden from others", func(t *testing.T) {
			pending = mustCreate(t, e.Post(t, "/api/v1/products", seller.AccessToken, map[string]any{
				"title": "Qizil atirgul o‘zbek", "description": "Fresh", "price": 150000, "quantity": 3,
				"categoryId": roses["id"], "conditionId": freshestID, "sizeId": smallID, "images": []map[string]any{},
			}), "product")
			if pending["status"] != "PENDING" || pending["slug"] != "qizil-atirgul-o-zbek" || pending["sellerId"] != seller.UserID ||
				pending["currency"] != "UZS" || pending["rejectionReason"] != nil {
				t.Errorf("created = %v, want PENDING, slug qizil-atirgul-o-zbek, UZS, by the seller", pending)
			}
			if imgs := pending["images"].([]any); len(imgs) != 0 {
				t.Errorf("images = %v, want none (photos are tested in media_test.go)", imgs)
			}
			id := pending["id"].(string)
			for _, who := range []struct {
				name, token string
				want        int
			}{{"anonymous", "", 404}, {"another user", shopper.AccessToken, 404}, {"its seller", seller.AccessToken, 200}, {"a moderator", mod.AccessToken, 200}} {
				if r := e.Get(t, "/api/v1/products/"+id, who.token); r.Status != who.want {
					t.Errorf("GET pending product as %s = %s, want %d", who.name, r, who.want)
				}
			}
			if r := e.Get(t, "/api/v1/products/slug/"+url.PathEscape("qizil-atirgul-o-zbek"), ""); r.Status != http.StatusNotFound {
				t.Errorf("GET pending by slug anonymously = %s, want 404", r)
			}
			if r := e.Get(t, "/api/v1/products", ""); len(r.List()) != 0 {
				t.Errorf("public list = %s, want no pending products", r)
			}
		})

		t.Run("a moderator approves it and everyone sees it", func(t *testing.T) {
			id := pending["id"].(string)
			if r := e.Post(t, "/api/v1/products/"+id+"/approve", seller.AccessToken, nil); r.Status != http.StatusForbidden {
				t.Errorf("approve by the seller = %s, want 403", r)
			}
			r := e.Post(t, "/api/v1/products/"+id+"/approve", mod.AccessToken, nil)
			if r.Status != http.StatusOK || r.Data()["status"] != "ACTIVE" {
				t.Fatalf("approve = %s, want 200 ACTIVE", r)
			}
			if r := e.Post(t, "/api/v1/products/"+id+"/approve", mod.AccessToken, nil); r.Status != http.StatusConflict || r.ErrorCode() != "INVALID_STATE" {
				t.Errorf("approving twice = %s, want 409 INVALID_STATE", r)
			}
			if r := e.Get(t, "/api/v1/products/"+id, ""); r.Status != http.StatusOK || r.Data()["status"] != "ACTIVE" {
				t.Errorf("GET after approval = %s, want 200 ACTIVE (no stale cache)", r)
			}
			if r := e.Get(t, "/api/v1/products/slug/qizil-atirgul-o-zbek", ""); r.Status != http.StatusOK || r.Data()["id"] != id {
				t.Errorf("GET by slug = %s, want the product", r)
			}
		})

		t.Run("the seller's edit sends it back to moderation; the moderator rejects it", func(t *testing.T) {
			id := pending["id"].(string)
			if r := e.Patch(t, "/api/v1/products/"+id, rival.AccessToken, map[string]any{"price": 1}); r.Status != http.StatusForbidden {
				t.Errorf("edit by another user = %s, want 403", r)
			}
			r := e.Patch(t, "/api/v1/products/"+id, seller.AccessToken, map[string]any{"price": 140000})
			if r.Status != http.StatusOK || r.Data()["status"] != "PENDING" || r.Data()["price"] != 140000.0 || r.Data()["slug"] != "qizil-atirgul-o-zbek" {
				t.Fatalf("seller edit = %s, want 200 PENDING price 140000, slug kept", r)
			}
			if r := e.Post(t, "/api/v1/products/"+id+"/reject", mod.AccessToken, map[string]any{"reason": ""}); r.Status != http.StatusBadRequest {
				t.Errorf("reject without a reason = %s, want 400", r)
			}
			if r := e.Post(t, "/api/v1/products/"+id+"/reject", mod.AccessToken, map[string]any{"reason": strings.Repeat("я", 501)}); r.Status != http.StatusBadRequest {
				t.Errorf("reject with 501 characters = %s, want 400", r)
			}
			r = e.Post(t, "/api/v1/products/"+id+"/reject", mod.AccessToken, map[string]any{"reason": "Photos are blurry"})
			if r.Status != http.StatusOK || r.Data()["status"] != "REJECTED" || r.Data()["rejectionReason"] != "Photos are blurry" {
				t.Fatalf("reject = %s, want 200 REJECTED with the reason", r)
			}
			if r := e.Post(t, "/api/v1/products/"+id+"/reject", mod.AccessToken, map[string]any{"reason": "again"}); r.Status != http.StatusConflict || r.ErrorCode() != "INVALID_STATE" {
				t.Errorf("rejecting twice = %s, want 409 INVALID_STATE", r)
			}
			if r := e.Get(t, "/api/v1/products/"+id, ""); r.Status != http.StatusNotFound {
				t.Errorf("anonymous GET of a rejected product = %s, want 404", r)
			}
		})

		t.Run("same title: the same seller gets a conflict, another seller a suffixed slug", func(t *testing.T) {
			body := map[string]any{"title": "QIZIL atirgul o‘zbek", "price": 1000, "categoryId": roses["id"], "conditionId": freshestID, "sizeId": smallID}
			if r := e.Post(t, "/api/v1/products", seller.AccessToken, body); r.Status != http.StatusConflict || r.ErrorCode() != "CONFLICT" {
				t.Errorf("same seller, same title = %s, want 409 CONFLICT", r)
			}
			other := mustCreate(t, e.Post(t, "/api/v1/products", rival.AccessToken, body), "rival product")
			if other["slug"] != "qizil-atirgul-o-zbek-2" {
				t.Errorf("rival slug = %v, want qizil-atirgul-o-zbek-2", other["slug"])
			}
		})

		t.Run("staff listings are published at once and found by search, filters and sorts", func(t *testing.T) {
			for i, p := range []struct {
				title string
				price int
				qty   int
				cat   any
			}{{"Красные розы", 90000, 2, roses["id"]}, {"White tulips", 50000, 0, flowers["id"]}, {"Clay pot", 20000, 5, pots["id"]}} {
				r := mustCreate(t, e.Post(t, "/api/v1/products", admin.AccessToken, map[string]any{"title": p.title, "price": p.price, "quantity": p.qty, "categoryId": p.cat, "conditionId": freshestID, "sizeId": smallID}), "staff product")
				if r["status"] != "ACTIVE" {
					t.Errorf("staff product %d status = %v, want ACTIVE", i, r["status"])
				}
			}
			titles := func(r *testenv.Response) string {
				var out []string
				for _, it := range r.List() {
					out = append(out, fmt.Sprint(it["title"]))
				}
				return strings.Join(out, ",")
			}
			tests := []struct{ query, want string }{
				{"", "Clay pot,White tulips,Красные розы"},
				{"?categoryId=" + flowers["id"].(string), "White tulips,Красные розы"},
				{"?categoryId=" + roses["id"].(string), "Красные розы"},
				{"?q=" + url.QueryEscape("РОЗЫ"), "Красные розы"},
				{"?minPrice=20000&maxPrice=50000", "Clay pot,White tulips"},
				{"?inStock=true&sort=price", "Clay pot,Красные розы"},
				{"?sort=-price", "Красные розы,White tulips,Clay pot"},
				{"?sellerId=" + admin.UserID + "&sort=createdAt", "Красные розы,White tulips,Clay pot"},
				{"?sellerId=" + seller.UserID, ""},
				{"?categoryId=01939f6e-0000-7000-8000-000000000000", ""},
			}
			if r := e.Get(t, "/api/v1/products/slug/"+url.PathEscape("красные-розы"), ""); r.Status != http.StatusOK || r.Data()["title"] != "Красные розы" {
				t.Errorf("GET by Cyrillic slug = %s, want the product", r)
			}
			for _, tc := range tests {
				r := e.Get(t, "/api/v1/products"+tc.query, "")
				if r.Status != http.StatusOK || titles(r) != tc.want {
					t.Errorf("GET /products%s = %d %q, want %q", tc.query, r.Status, titles(r), tc.want)
				}
			}
		})

		t.Run("hostile list queries are 400, never 500", func(t *testing.T) {
			for _, q := range []string{"page=0", "page=-1", "page=abc", "page=1.5", "limit=0", "limit=101", "limit=99999999999999999999",
				"sort=title", "sort=--price", "minPrice=-1", "maxPrice=1e3", "minPrice=10&maxPrice=5", "categoryId=nope", "sellerId=1",
				"inStock=yes", "q=" + strings.Repeat("x", 201), "page=1&page=2"} {
				if r := e.Get(t, "/api/v1/products?"+q, ""); r.Status != http.StatusBadRequest || r.ErrorCode() != "VALIDATION_FAILED" {
					t.Errorf("GET /products?%.40s = %s, want 400", q, r)
				}
			}
		})

		t.Run("hostile product bodies are 400 and store nothing", func(t *testing.T) {
			base := func() map[string]any {
				return map[string]any{"title": "Peonies", "price": 1000, "categoryId": roses["id"], "conditionId": freshestID, "sizeId": smallID}
			}
			with := func(k string, v any) map[string]any { b := base(); b[k] = v; return b }
			for name, body := range map[string]any{
				"empty title":         with("title", "   "),
				"huge title":          with("title", strings.Repeat("🌹", 201)),
				"negative price":      with("price", -1),
				"zero price":          with("price", 0),
				"enormous price":      with("price", 1e16),
				"float price":         with("price", 10.5),
				"string price":        with("price", "1000"),
				"negative quantity":   with("quantity", -1),
				"bad currency":        with("currency", "uzs"),
				"server-owned id":     with("id", "0193a000-0000-7000-8000-000000000001"),
				"server-owned status": with("status", "ACTIVE"),
				"server-owned seller": with("sellerId", seller.UserID),
				"server-owned slug":   with("slug", "mine"),
				"bad category id":     with("categoryId", "roses"),
				"image by url":        with("images", []map[string]any{{"url": "ftp://x.uz/a.jpg", "position": 0}}),
				"11 images": with("images", func() []map[string]any {
					var out []map[string]any
					for i := 0; i < 11; i++ {
						out = append(out, map[string]any{"url": fmt.Sprintf("https://x.uz/%d.jpg", i), "position": i})
					}
					return out
				}()),
				"image with an unknown field": with("images", []map[string]any{{"url": "https://x.uz/a.jpg", "alt": "x"}}),
				"not an object":               []int{1},
			} {
				if r := e.Post(t, "/api/v1/products", seller.AccessToken, body); r.Status != http.StatusBadRequest {
					t.Errorf("%s: POST /products = %s, want 400", name, r)
				}
			}
			if r := e.Post(t, "/api/v1/products", seller.AccessToken, with("title", "🌹🌹🌹")); r.Status != http.StatusCreated || r.Data()["slug"] != "product" {
				t.Errorf("emoji-only title = %s, want 201 with slug product", r)
			}
			if r := e.Post(t, "/api/v1/products", seller.AccessToken, with("categoryId", "01939f6e-0000-7000-8000-000000000000")); r.Status != http.StatusNotFound {
				t.Errorf("unknown category = %s, want 404", r)
			}
			if r := e.Get(t, "/api/v1/products/not-a-uuid", ""); r.Status != http.StatusNotFound {
				t.Errorf("GET /products/not-a-uuid = %s, want 404", r)
			}
			if r := e.Patch(t, "/api/v1/products/"+pending["id"].(string), seller.AccessToken, map[string]any{}); r.Status != http.StatusBadRequest {
				t.Errorf("empty PATCH = %s, want 400", r)
			}
		})

		t.Run("an inactive category takes no new products and leaves the list", func(t *testing.T) {
			r := e.Patch(t, "/api/v1/categories/"+pots["id"].(string), admin.AccessToken, map[string]any{"isActive": false})
			if r.Status != http.StatusOK || r.Data()["isActive"] != false {
				t.Fatalf("deactivate = %s", r)
			}
			if r := e.Post(t, "/api/v1/products", seller.AccessToken, map[string]any{"title": "Pot", "price": 1, "categoryId": pots["id"], "conditionId": freshestID, "sizeId": smallID}); r.Status != http.StatusNotFound {
				t.Errorf("product in an inactive category = %s, want 404", r)
			}
			if r := e.Get(t, "/api/v1/categories/"+pots["id"].(string), ""); r.Status != http.StatusNotFound {
				t.Errorf("GET inactive category anonymously = %s, want 404", r)
			}
		})

		t.Run("categories in use cannot be deleted; unused ones can", func(t *testing.T) {
			if r := e.Delete(t, "/api/v1/categories/"+flowers["id"].(string), admin.AccessToken); r.Status != http.StatusConflict {
				t.Errorf("delete a parent = %s, want 409", r)
			}
			if r := e.Delete(t, "/api/v1/categories/"+roses["id"].(string), admin.AccessToken); r.Status != http.StatusConflict {
				t.Errorf("delete a category with products = %s, want 409", r)
			}
			empty := mustCreate(t, e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Empty"}), "category")
			if r := e.Delete(t, "/api/v1/categories/"+empty["id"].(string), seller.AccessToken); r.Status != http.StatusForbidden {
				t.Errorf("delete by a user = %s, want 403", r)
			}
			if r := e.Delete(t, "/api/v1/categories/"+empty["id"].(string), admin.AccessToken); r.Status != http.StatusNoContent {
				t.Errorf("delete unused = %s, want 204", r)
			}
			if r := e.Get(t, "/api/v1/categories/"+empty["id"].(string), admin.AccessToken); r.Status != http.StatusNotFound {
				t.Errorf("GET deleted = %s, want 404", r)
			}
		})

		t.Run("a seller archives a listing; it disappears for everyone else", func(t *testing.T) {
			p := mustCreate(t, e.Post(t, "/api/v1/products", admin.AccessToken, map[string]any{"title": "Lilies", "price": 7000, "categoryId": roses["id"], "conditionId": freshestID, "sizeId": smallID}), "product")
			id := p["id"].(string)
			if r := e.Delete(t, "/api/v1/products/"+id, seller.AccessToken); r.Status != http.StatusForbidden {
				t.Errorf("archive by a non-owner = %s, want 403", r)
			}
			if r := e.Delete(t, "/api/v1/products/"+id, admin.AccessToken); r.Status != http.StatusNoContent {
				t.Fatalf("archive = %s, want 204", r)
			}
			if r := e.Get(t, "/api/v1/products/"+id, ""); r.Status != http.StatusNotFound {
				t.Errorf("GET archived anonymously = %s, want 404", r)
			}
			if r := e.Get(t, "/api/v1/products/"+id, admin.AccessToken); r.Status != http.StatusOK || r.Data()["status"] != "ARCHIVED" {
				t.Errorf("GET archived by staff = %s, want 200 ARCHIVED", r)
			}
			if r := e.Patch(t, "/api/v1/products/"+id, admin.AccessToken, map[string]any{"price": 1}); r.Status != http.StatusConflict {
				t.Errorf("edit archived = %s, want 409", r)
			}
		})
	})
}

func TestTwoSellersRacingForOneTitleAndSlug(t *testing.T) {
	testenv.ForEachBackend(t, catalogOptions(), func(t *testing.T, e *testenv.Env) {
		admin := e.SignIn(t, adminPhone)
		cat := mustCreate(t, e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Race"}), "category")
		sellers := make([]testenv.Session, 8)
		for i := range sellers {
			sellers[i] = e.SignIn(t, fmt.Sprintf("+99890200000%d", i))
		}
		var wg sync.WaitGroup
		results := make([]*testenv.Response, 2*len(sellers))
		start := make(chan struct{})
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				// Every seller sends the same listing twice at once.
				results[i] = e.Post(t, "/api/v1/products", sellers[i/2].AccessToken, map[string]any{"title": "Spring bouquet", "price": 1000, "categoryId": cat["id"], "conditionId": freshestID, "sizeId": smallID})
			}()
		}
		close(start)
		wg.Wait()
		slugs := map[string]bool{}
		created := 0
		for i, r := range results {
			switch r.Status {
			case http.StatusCreated:
				created++
				s := r.Data()["slug"].(string)
				if slugs[s] {
					t.Errorf("slug %s given twice", s)
				}
				slugs[s] = true
			case http.StatusConflict:
			default:
				t.Errorf("request %d = %s, want 201 or 409", i, r)
			}
		}
		if created != len(sellers) {
			t.Errorf("%d listings created, want exactly one per seller (%d)", created, len(sellers))
		}
	})
}

func TestASellerCannotArchiveAListingWithAnOpenOrder(t *testing.T) {
	testenv.ForEachBackend(t, catalogOptions(), func(t *testing.T, e *testenv.Env) {
		admin := e.SignIn(t, adminPhone)
		seller := e.SignIn(t, sellerPhone)
		buyer := e.SignIn(t, shopperPhone)
		cat := mustCreate(t, e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Orders"}), "category")
		p := mustCreate(t, e.Post(t, "/api/v1/products", seller.AccessToken, map[string]any{"title": "Ordered roses", "price": 1000, "quantity": 3, "categoryId": cat["id"], "conditionId": freshestID, "sizeId": smallID}), "product")
		id := p["id"].(string)
		if r := e.Post(t, "/api/v1/products/"+id+"/approve", admin.AccessToken, nil); r.Status != http.StatusOK {
			t.Fatalf("approve = %s", r)
		}
		o := mustCreate(t, e.Post(t, "/api/v1/orders", buyer.AccessToken, map[string]any{"productId": id, "quantity": 1}), "order")

		if r := e.Delete(t, "/api/v1/products/"+id, seller.AccessToken); r.Status != http.StatusConflict || r.ErrorCode() != "INVALID_STATE" {
			t.Fatalf("archive with an open order = %s, want 409 INVALID_STATE", r)
		}
		if r := e.Get(t, "/api/v1/products/"+id, ""); r.Status != http.StatusOK || r.Data()["status"] != "ACTIVE" {
			t.Errorf("product after the refused archive = %s, want still ACTIVE", r)
		}
		if r := e.Post(t, "/api/v1/orders/"+o["id"].(string)+"/cancel", buyer.AccessToken, map[string]string{"reason": "changed my mind"}); r.Status != http.StatusOK {
			t.Fatalf("cancel order = %s", r)
		}
		if r := e.Delete(t, "/api/v1/products/"+id, seller.AccessToken); r.Status != http.StatusNoContent {
			t.Errorf("archive once the order is cancelled = %s, want 204", r)
		}
	})
}
