package acceptance

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/acceptance/testenv"
	"github.com/secondbloom/marketplace/adapters/clock"
)

// office is a marketplace with an admin, a moderator, a seller and a
// shopper signed in, and a category to list in.
type office struct {
	e                         *testenv.Env
	clk                       *clock.Fake
	admin, mod, seller, buyer testenv.Session
	categoryID                string
}

// officeOptions are catalogOptions on a fake clock, so a test can sign a
// phone in again after the resend cooldown.
func officeOptions(moderation bool) (testenv.Options, *clock.Fake) {
	clk := clock.NewFake(time.Now())
	opt := catalogOptions()
	opt.Clock = clk
	if !moderation {
		opt.Configure = nil
	}
	return opt, clk
}

func newOffice(t *testing.T, e *testenv.Env, clk *clock.Fake) *office {
	t.Helper()
	o := &office{e: e, clk: clk, admin: e.SignIn(t, adminPhone), seller: e.SignIn(t, sellerPhone), buyer: e.SignIn(t, shopperPhone)}
	o.mod = o.promote(t, e.SignIn(t, moderatorPhone), "MODERATOR")
	o.categoryID = mustCreate(t, e.Post(t, "/api/v1/categories", o.admin.AccessToken, map[string]any{"name": "Bouquets"}), "category")["id"].(string)
	return o
}

// promote gives the signed-in user role through PATCH /users/{id}.
func (o *office) promote(t *testing.T, s testenv.Session, role string) testenv.Session {
	t.Helper()
	if r := o.e.Patch(t, "/api/v1/users/"+s.UserID, o.admin.AccessToken, map[string]any{"role": role}); r.Status != http.StatusOK {
		t.Fatalf("PATCH role %s = %s", role, r)
	}
	return s
}

// listing creates a product of the seller; it starts PENDING.
func (o *office) listing(t *testing.T, title string) string {
	t.Helper()
	r := o.e.Post(t, "/api/v1/products", o.seller.AccessToken, map[string]any{"title": title, "price": 1000, "quantity": 5,
		"categoryId": o.categoryID, "conditionId": freshestID, "sizeId": smallID})
	return mustCreate(t, r, "product")["id"].(string)
}

func (o *office) audit(t *testing.T, query string) []map[string]any {
	t.Helper()
	r := o.e.Get(t, "/api/v1/audit-log?"+query, o.admin.AccessToken)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /audit-log?%s = %s", query, r)
	}
	return r.List()
}

func ids(items []map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, it := range items {
		out[fmt.Sprint(it["id"])] = true
	}
	return out
}

func TestStaffWorkTheModerationQueueAndSellersSeeTheirInventory(t *testing.T) {
	opt, clk := officeOptions(true)
	testenv.ForEachBackend(t, opt, func(t *testing.T, e *testenv.Env) {
		o := newOffice(t, e, clk)
		pending := o.listing(t, "Peonies")
		rejected := o.listing(t, "Wilted tulips")
		active := o.listing(t, "Roses")
		if r := e.Post(t, "/api/v1/products/"+rejected+"/reject", o.mod.AccessToken, map[string]any{"reason": "blurry photo"}); r.Status != http.StatusOK {
			t.Fatalf("reject = %s", r)
		}
		if r := e.Post(t, "/api/v1/products/"+active+"/approve", o.mod.AccessToken, nil); r.Status != http.StatusOK {
			t.Fatalf("approve = %s", r)
		}
		queue := e.Get(t, "/api/v1/products?status=PENDING&sort=createdAt", o.mod.AccessToken)
		if got := ids(queue.List()); queue.Status != http.StatusOK || len(got) != 1 || !got[pending] {
			t.Errorf("moderation queue = %s, want only the pending product", queue)
		}
		mine := e.Get(t, "/api/v1/products?sellerId="+o.seller.UserID+"&status=PENDING,REJECTED,ARCHIVED", o.seller.AccessToken)
		if got := ids(mine.List()); mine.Status != http.StatusOK || len(got) != 2 || !got[pending] || !got[rejected] {
			t.Errorf("seller's inventory = %s, want the pending and the rejected product", mine)
		}
		for _, it := range mine.List() {
			if it["id"] == rejected && it["rejectionReason"] != "blurry photo" {
				t.Errorf("rejected product shows rejectionReason %v to its seller, want the reason", it["rejectionReason"])
			}
		}
		for _, tc := range []struct {
			name, query, token string
			want               int
		}{
			{"anonymous asks for PENDING", "status=PENDING", "", http.StatusUnauthorized},
			{"a user asks for others' PENDING", "status=PENDING", o.buyer.AccessToken, http.StatusForbidden},
			{"a user asks for another seller's inventory", "status=PENDING&sellerId=" + o.seller.UserID, o.buyer.AccessToken, http.StatusForbidden},
			{"anyone lists ACTIVE", "status=ACTIVE", "", http.StatusOK},
			{"admin lists every status", "status=PENDING,ACTIVE,REJECTED,ARCHIVED", o.admin.AccessToken, http.StatusOK},
			{"unknown status", "status=SOLD", o.admin.AccessToken, http.StatusBadRequest},
			{"unknown parameter", "colour=red", "", http.StatusBadRequest},
		} {
			if r := e.Get(t, "/api/v1/products?"+tc.query, tc.token); r.Status != tc.want {
				t.Errorf("%s: GET /products?%s = %s, want %d", tc.name, tc.query, r, tc.want)
			}
		}
		for _, path := range []string{"/api/v1/orders?colour=red", "/api/v1/auctions?colour=red", "/api/v1/categories?colour=red", "/api/v1/users?colour=red"} {
			token := o.admin.AccessToken
			if r := e.Get(t, path, token); r.Status != http.StatusBadRequest || r.ErrorCode() != "VALIDATION_FAILED" {
				t.Errorf("GET %s = %s, want 400 VALIDATION_FAILED naming the parameter", path, r)
			}
		}
		entries := o.audit(t, "targetId="+active)
		if len(entries) != 1 || entries[0]["action"] != "product.approve" || entries[0]["actorId"] != o.mod.UserID {
			t.Errorf("audit of the approved product = %v, want one product.approve by the moderator", entries)
		}
		if r := e.Post(t, "/api/v1/products/"+active+"/approve", o.mod.AccessToken, nil); r.Status != http.StatusConflict {
			t.Errorf("approving an ACTIVE product = %s, want 409", r)
		}
		if again := o.audit(t, "targetId="+active); len(again) != 1 {
			t.Errorf("a refused approval wrote an audit entry: %v", again)
		}
	})
}

func TestAdminsManageRolesAndTheLastAdminStays(t *testing.T) {
	opt, clk := officeOptions(true)
	testenv.ForEachBackend(t, opt, func(t *testing.T, e *testenv.Env) {
		o := newOffice(t, e, clk)
		if r := e.Get(t, "/api/v1/users?role=MODERATOR", o.admin.AccessToken); r.Status != http.StatusOK || len(r.List()) != 1 || r.List()[0]["id"] != o.mod.UserID {
			t.Errorf("GET /users?role=MODERATOR = %s, want the moderator", r)
		}
		if r := e.Get(t, "/api/v1/users?q=1000003", o.admin.AccessToken); r.Status != http.StatusOK || len(r.List()) != 1 {
			t.Errorf("GET /users?q=<phone digits> = %s, want the moderator", r)
		}
		if r := e.Get(t, "/api/v1/users?q=12", o.admin.AccessToken); r.Status != http.StatusBadRequest {
			t.Errorf("GET /users?q=12 = %s, want 400 (fewer than 4 digits)", r)
		}
		for _, tc := range []struct {
			name, method, path, token string
			body                      any
			want                      int
		}{
			{"moderator lists users", "GET", "/api/v1/users", o.mod.AccessToken, nil, http.StatusForbidden},
			{"moderator reads a user", "GET", "/api/v1/users/" + o.seller.UserID, o.mod.AccessToken, nil, http.StatusOK},
			{"user reads a user", "GET", "/api/v1/users/not-a-uuid", o.buyer.AccessToken, nil, http.StatusForbidden},
			{"admin reads a missing user", "GET", "/api/v1/users/01890000-0000-7000-8000-000000000000", o.admin.AccessToken, nil, http.StatusNotFound},
			{"moderator changes a role", "PATCH", "/api/v1/users/" + o.seller.UserID, o.mod.AccessToken, map[string]any{"role": "ADMIN"}, http.StatusForbidden},
			{"both fields wrong", "PATCH", "/api/v1/users/" + o.seller.UserID, o.admin.AccessToken, map[string]any{"role": "KING", "status": "GONE"}, http.StatusBadRequest},
			{"admin demotes themselves", "PATCH", "/api/v1/users/" + o.admin.UserID, o.admin.AccessToken, map[string]any{"role": "USER"}, http.StatusConflict},
		} {
			r := e.Do(t, testenv.Request{Method: tc.method, Path: tc.path, Token: tc.token, Body: tc.body})
			if r.Status != tc.want {
				t.Errorf("%s: %s %s = %s, want %d", tc.name, tc.method, tc.path, r, tc.want)
			}
			if tc.name == "both fields wrong" {
				if d, _ := r.Body["error"].(map[string]any)["details"].([]any); len(d) != 2 {
					t.Errorf("both fields wrong: details %v, want one per field", d)
				}
			}
		}
		// A role change takes effect on the next request.
		if r := e.Get(t, "/api/v1/products?status=PENDING", o.seller.AccessToken); r.Status != http.StatusForbidden {
			t.Fatalf("seller lists the queue before promotion = %s, want 403", r)
		}
		o.promote(t, o.seller, "MODERATOR")
		if r := e.Get(t, "/api/v1/products?status=PENDING", o.seller.AccessToken); r.Status != http.StatusOK {
			t.Errorf("seller lists the queue right after promotion = %s, want 200", r)
		}
		entries := o.audit(t, "action=user.role&targetId="+o.seller.UserID)
		if len(entries) != 1 {
			t.Fatalf("audit of the promotion = %v, want one user.role entry", entries)
		}
		details, _ := entries[0]["details"].(map[string]any)
		if b, _ := details["before"].(map[string]any); b["role"] != "USER" {
			t.Errorf("audit details = %v, want before.role USER", details)
		}
	})
}

func TestTwoAdminsDemotingEachOtherLeaveOneAdmin(t *testing.T) {
	opt, clk := officeOptions(true)
	testenv.ForEachBackend(t, opt, func(t *testing.T, e *testenv.Env) {
		o := newOffice(t, e, clk)
		second := o.promote(t, e.SignIn(t, rivalPhone), "ADMIN")
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i, pair := range [][2]testenv.Session{{o.admin, second}, {second, o.admin}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := e.Patch(t, "/api/v1/users/"+pair[1].UserID, pair[0].AccessToken, map[string]any{"role": "USER"})
				statuses[i] = r.Status
			}()
		}
		wg.Wait()
		ok := 0
		for _, s := range statuses {
			switch s {
			case http.StatusOK:
				ok++
			case http.StatusConflict, http.StatusForbidden:
			default:
				t.Errorf("racing demotion answered %d, want 200, 403 or 409", s)
			}
		}
		admins := e.Get(t, "/api/v1/users?role=ADMIN&status=ACTIVE", o.mod.AccessToken)
		_ = admins // a moderator may not list; count through the survivor below
		if ok != 1 {
			t.Errorf("%d demotions succeeded, want exactly 1 (statuses %v)", ok, statuses)
		}
		survivors := 0
		for _, s := range []testenv.Session{o.admin, second} {
			if r := e.Get(t, "/api/v1/auth/me", s.AccessToken); r.Data()["role"] == "ADMIN" {
				survivors++
			}
		}
		if survivors != 1 {
			t.Errorf("%d admins left, want 1", survivors)
		}
	})
}

func TestBlockingASeller(t *testing.T) {
	opt, clk := officeOptions(true)
	testenv.ForEachBackend(t, opt, func(t *testing.T, e *testenv.Env) {
		o := newOffice(t, e, clk)
		pid := o.listing(t, "Lilies")
		if r := e.Post(t, "/api/v1/products/"+pid+"/approve", o.mod.AccessToken, nil); r.Status != http.StatusOK {
			t.Fatalf("approve = %s", r)
		}
		_ = e.Get(t, "/api/v1/products/"+pid, "") // cached
		if r := e.Patch(t, "/api/v1/users/"+o.seller.UserID, o.admin.AccessToken, map[string]any{"status": "BLOCKED"}); r.Status != http.StatusOK || r.Data()["status"] != "BLOCKED" {
			t.Fatalf("block = %s", r)
		}
		if r := e.Get(t, "/api/v1/auth/me", o.seller.AccessToken); r.Status != http.StatusUnauthorized {
			t.Errorf("blocked seller's next request = %s, want 401", r)
		}
		if r := e.Post(t, "/api/v1/auth/refresh", "", map[string]any{"refreshToken": o.seller.RefreshToken}); r.Status != http.StatusUnauthorized {
			t.Errorf("blocked seller's refresh = %s, want 401", r)
		}
		o.clk.Advance(2 * time.Minute) // past the resend cooldown
		// Sign-in: a code is sent as usual; a wrong code is 401 as for
		// anyone, only a correct one tells the account is blocked.
		if r := e.Post(t, "/api/v1/auth/send-otp", "", map[string]any{"phoneNumber": sellerPhone}); r.Status != http.StatusCreated {
			t.Fatalf("send-otp for a blocked phone = %s, want 201", r)
		}
		code := e.SMS.LastCode(sellerPhone)
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		if r := e.Post(t, "/api/v1/auth/verify-otp", "", map[string]any{"phoneNumber": sellerPhone, "code": wrong}); r.Status != http.StatusUnauthorized || r.ErrorCode() != "INVALID_OTP" {
			t.Errorf("wrong code for a blocked phone = %s, want 401 INVALID_OTP", r)
		}
		if r := e.Post(t, "/api/v1/auth/verify-otp", "", map[string]any{"phoneNumber": sellerPhone, "code": code}); r.Status != http.StatusForbidden || r.ErrorCode() != "ACCOUNT_BLOCKED" {
			t.Errorf("correct code for a blocked phone = %s, want 403 ACCOUNT_BLOCKED", r)
		}
		// Their products vanish for the public, orders included; staff
		// still see them.
		if r := e.Get(t, "/api/v1/products/"+pid, ""); r.Status != http.StatusNotFound {
			t.Errorf("public GET of a blocked seller's product = %s, want 404", r)
		}
		if r := e.Get(t, "/api/v1/products", ""); ids(r.List())[pid] {
			t.Errorf("public list shows a blocked seller's product: %s", r)
		}
		if r := e.Post(t, "/api/v1/orders", o.buyer.AccessToken, map[string]any{"productId": pid}); r.Status != http.StatusNotFound {
			t.Errorf("ordering a blocked seller's product = %s, want 404", r)
		}
		if r := e.Get(t, "/api/v1/products/"+pid, o.mod.AccessToken); r.Status != http.StatusOK {
			t.Errorf("staff GET of a blocked seller's product = %s, want 200", r)
		}
		if r := e.Patch(t, "/api/v1/users/"+o.seller.UserID, o.admin.AccessToken, map[string]any{"status": "ACTIVE"}); r.Status != http.StatusOK {
			t.Fatalf("unblock = %s", r)
		}
		if r := e.Get(t, "/api/v1/products/"+pid, ""); r.Status != http.StatusOK {
			t.Errorf("public GET after unblocking = %s, want 200", r)
		}
		if r := e.Get(t, "/api/v1/auth/me", o.seller.AccessToken); r.Status != http.StatusUnauthorized {
			t.Errorf("an old session after unblocking = %s, want 401: unblocking does not bring sessions back", r)
		}
		if got := o.audit(t, "action=user.status&targetId="+o.seller.UserID); len(got) != 2 {
			t.Errorf("audit of block and unblock = %v, want two user.status entries", got)
		}
	})
}

func TestAnAdminCancelsAnyOrderAndListsAll(t *testing.T) {
	opt, clk := officeOptions(false)
	testenv.ForEachBackend(t, opt, func(t *testing.T, e *testenv.Env) {
		o := newOffice(t, e, clk)
		pid := o.listing(t, "Orchid")
		r := e.Post(t, "/api/v1/orders", o.buyer.AccessToken, map[string]any{"productId": pid, "quantity": 2})
		if r.Status != http.StatusCreated {
			t.Fatalf("order = %s", r)
		}
		oid := r.Data()["id"].(string)
		if r.Data()["cancelledBy"] != nil || r.Data()["cancelReason"] != nil {
			t.Errorf("new order shows cancelledBy %v, cancelReason %v, want null", r.Data()["cancelledBy"], r.Data()["cancelReason"])
		}
		if l := e.Get(t, "/api/v1/orders?role=all&productId="+pid, o.admin.AccessToken); l.Status != http.StatusOK || len(l.List()) != 1 {
			t.Errorf("admin role=all by product = %s, want the order", l)
		}
		if l := e.Get(t, "/api/v1/orders?role=all", o.buyer.AccessToken); l.Status != http.StatusForbidden {
			t.Errorf("role=all by a user = %s, want 403", l)
		}
		c := e.Post(t, "/api/v1/orders/"+oid+"/cancel", o.admin.AccessToken, map[string]any{"reason": "fraud report"})
		if c.Status != http.StatusOK || c.Data()["cancelledBy"] != "STAFF" || c.Data()["cancelReason"] != "fraud report" {
			t.Fatalf("admin cancel = %s, want CANCELLED by STAFF with the reason", c)
		}
		if got := o.audit(t, "action=order.cancel&targetId="+oid); len(got) != 1 || got[0]["actorId"] != o.admin.UserID {
			t.Errorf("audit of the admin's cancel = %v, want one order.cancel by the admin", got)
		}
	})
}

func TestTwentyModeratorsApprovingAtOnceMakeOneAuditEntry(t *testing.T) {
	opt, clk := officeOptions(true)
	testenv.ForEachBackend(t, opt, func(t *testing.T, e *testenv.Env) {
		o := newOffice(t, e, clk)
		pid := o.listing(t, "Sunflowers")
		var wg sync.WaitGroup
		var mu sync.Mutex
		counts := map[int]int{}
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := e.Post(t, "/api/v1/products/"+pid+"/approve", o.mod.AccessToken, nil)
				mu.Lock()
				counts[r.Status]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if counts[http.StatusOK] != 1 || counts[http.StatusConflict] != 19 {
			t.Errorf("approvals answered %v, want one 200 and nineteen 409", counts)
		}
		if got := o.audit(t, "action=product.approve&targetId="+pid); len(got) != 1 {
			t.Errorf("%d product.approve entries, want 1", len(got))
		}
	})
}

func TestAdminPhonesBootstrapButADemotionSticks(t *testing.T) {
	opt, clk := officeOptions(true)
	testenv.ForEachBackend(t, opt, func(t *testing.T, e *testenv.Env) {
		o := newOffice(t, e, clk)
		second := o.promote(t, e.SignIn(t, rivalPhone), "ADMIN")
		// The listed admin is demoted by the second admin; signing in
		// again does not make them admin while another admin exists.
		if r := e.Patch(t, "/api/v1/users/"+o.admin.UserID, second.AccessToken, map[string]any{"role": "USER"}); r.Status != http.StatusOK {
			t.Fatalf("demote the listed admin = %s", r)
		}
		o.clk.Advance(2 * time.Minute) // past the resend cooldown
		again := e.SignIn(t, adminPhone)
		if r := e.Get(t, "/api/v1/auth/me", again.AccessToken); r.Data()["role"] != "USER" {
			t.Errorf("listed phone after demotion signs in as %v, want USER", r.Data()["role"])
		}
		demoted := o.admin.UserID
		o.admin = second // the audit log is for admins
		first := o.audit(t, "action=user.role&targetId="+demoted)
		var byList int
		for _, en := range first {
			if d, _ := en["details"].(map[string]any); d["actor"] == "ADMIN_PHONES" && en["actorId"] == nil {
				byList++
			}
		}
		if byList != 1 {
			t.Errorf("audit of the listed admin = %v, want one entry by ADMIN_PHONES (the creation)", first)
		}
	})
}
