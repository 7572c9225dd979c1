package acceptance

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/secondbloom/marketplace/acceptance/testenv"
)

// pagination returns meta.pagination of a list response.
func pagination(t *testing.T, r *testenv.Response) map[string]any {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("list = %s, want 200", r)
	}
	return r.Body["meta"].(map[string]any)["pagination"].(map[string]any)
}

func TestKeysetPaging(t *testing.T) {
	testenv.ForEachBackend(t, catalogOptions(), func(t *testing.T, e *testenv.Env) {
		admin := e.SignIn(t, adminPhone)
		cat := mustCreate(t, e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Paging"}), "category")
		// Nine products over three prices: ties in price, and products
		// created within the same millisecond tie in createdAt too.
		for i := range 9 {
			mustCreate(t, e.Post(t, "/api/v1/products", admin.AccessToken, map[string]any{"title": fmt.Sprintf("Paged %d", i),
				"price": 100 * (1 + i%3), "quantity": i % 2, "categoryId": cat["id"], "conditionId": freshestID, "sizeId": smallID}), "product")
		}
		ids := func(r *testenv.Response) []string {
			var out []string
			for _, p := range r.List() {
				out = append(out, p["id"].(string))
			}
			return out
		}

		for _, q := range []string{"", "sort=price", "sort=-price", "sort=createdAt", "inStock=true&sort=-price"} {
			t.Run("walk ?"+q, func(t *testing.T) {
				base := "/api/v1/products?categoryId=" + cat["id"].(string)
				if q != "" {
					base += "&" + q
				}
				want := ids(e.Get(t, base+"&limit=100", ""))
				var got []string
				r := e.Get(t, base+"&limit=2", "")
				pg := pagination(t, r)
				if pg["page"] != 1.0 || pg["nextCursor"] == nil || pg["totalIsEstimate"] != false {
					t.Fatalf("page mode pagination = %v, want page 1 with a nextCursor", pg)
				}
				got = append(got, ids(r)...)
				for limit := 3; pg["nextCursor"] != nil; limit = 5 - limit {
					r = e.Get(t, base+fmt.Sprintf("&limit=%d&cursor=", limit)+url.QueryEscape(pg["nextCursor"].(string)), "")
					pg = pagination(t, r)
					if pg["page"] != nil || pg["totalPages"] != nil || pg["hasPreviousPage"] != nil || pg["total"] != float64(len(want)) {
						t.Fatalf("cursor mode pagination = %v, want null page, totalPages, hasPreviousPage and total %d", pg, len(want))
					}
					if (pg["nextCursor"] != nil) != (pg["hasNextPage"] == true) {
						t.Errorf("hasNextPage %v with nextCursor %v", pg["hasNextPage"], pg["nextCursor"])
					}
					got = append(got, ids(r)...)
				}
				if !slices.Equal(got, want) {
					t.Errorf("walk by cursor =\n %v\nwant\n %v", got, want)
				}
			})
		}

		first := pagination(t, e.Get(t, "/api/v1/products?limit=2&sort=price", ""))
		cursor := url.QueryEscape(first["nextCursor"].(string))
		for _, tc := range []struct{ name, query, field string }{
			{"cursor with page", "sort=price&page=2&cursor=" + cursor, "cursor"},
			{"cursor of another sort", "sort=-price&cursor=" + cursor, "cursor"},
			{"cursor of other filters", "sort=price&inStock=true&cursor=" + cursor, "cursor"},
			{"garbled cursor", "sort=price&cursor=" + cursor[:len(cursor)-3] + "xyz", "cursor"},
			{"garbage", "cursor=%25%25%25", "cursor"},
			{"empty cursor", "cursor=", "cursor"},
		} {
			t.Run(tc.name+" is a 400", func(t *testing.T) {
				r := e.Get(t, "/api/v1/products?"+tc.query, "")
				if r.Status != http.StatusBadRequest || r.ErrorCode() != "VALIDATION_FAILED" || !hasDetail(r, tc.field) {
					t.Errorf("GET ?%s = %s, want 400 VALIDATION_FAILED naming %s", tc.query, r, tc.field)
				}
			})
		}
		t.Run("a cursor of one list is refused by another", func(t *testing.T) {
			r := e.Get(t, "/api/v1/auctions?cursor="+cursor, "")
			if r.Status != http.StatusBadRequest || !hasDetail(r, "cursor") {
				t.Errorf("auctions with a product cursor = %s, want 400 naming cursor", r)
			}
		})
		t.Run("categories and orders page by cursor too", func(t *testing.T) {
			pg := pagination(t, e.Get(t, "/api/v1/categories?limit=1", ""))
			if _, ok := pg["nextCursor"]; !ok {
				t.Fatalf("categories pagination = %v, want nextCursor", pg)
			}
			pg = pagination(t, e.Get(t, "/api/v1/orders?limit=1", admin.AccessToken))
			if pg["nextCursor"] != nil || pg["hasNextPage"] != false {
				t.Errorf("empty orders pagination = %v, want null nextCursor", pg)
			}
		})
	})
}

// hasDetail reports whether an error response names field in its details.
func hasDetail(r *testenv.Response, field string) bool {
	e, _ := r.Body["error"].(map[string]any)
	ds, _ := e["details"].([]any)
	for _, d := range ds {
		if m, _ := d.(map[string]any); m["field"] == field {
			return true
		}
	}
	return false
}

// walkByCursor reads the list at base (a path with its query, or none)
// two rows, then three, then two... at a time by cursor, and checks the
// rows against one page of 100 and the cursor-mode pagination.
func walkByCursor(t *testing.T, e *testenv.Env, base, token string) {
	t.Helper()
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	ids := func(r *testenv.Response) []string {
		var out []string
		for _, it := range r.List() {
			out = append(out, it["id"].(string))
		}
		return out
	}
	want := ids(e.Get(t, base+sep+"limit=100", token))
	r := e.Get(t, base+sep+"limit=2", token)
	pg := pagination(t, r)
	if pg["page"] != 1.0 || pg["totalIsEstimate"] != false || (pg["nextCursor"] != nil) != (len(want) > 2) {
		t.Fatalf("%s page mode pagination = %v, want page 1, an exact total and a nextCursor when more than 2 of %d follow", base, pg, len(want))
	}
	got := ids(r)
	for limit := 3; pg["nextCursor"] != nil; limit = 5 - limit {
		r = e.Get(t, base+sep+fmt.Sprintf("limit=%d&cursor=", limit)+url.QueryEscape(pg["nextCursor"].(string)), token)
		pg = pagination(t, r)
		if pg["page"] != nil || pg["totalPages"] != nil || pg["hasPreviousPage"] != nil || pg["total"] != float64(len(want)) {
			t.Fatalf("%s cursor mode pagination = %v, want null page, totalPages, hasPreviousPage and total %d", base, pg, len(want))
		}
		if (pg["nextCursor"] != nil) != (pg["hasNextPage"] == true) {
			t.Errorf("hasNextPage %v with nextCursor %v", pg["hasNextPage"], pg["nextCursor"])
		}
		got = append(got, ids(r)...)
	}
	if len(want) < 3 || !slices.Equal(got, want) {
		t.Errorf("%s walk by cursor =\n %v\nwant (at least 3 rows)\n %v", base, got, want)
	}
}

func TestBackOfficeAndReferenceKeysetPaging(t *testing.T) {
	testenv.ForEachBackend(t, catalogOptions(), func(t *testing.T, e *testenv.Env) {
		admin := e.SignIn(t, adminPhone)
		// Seven more users; four become moderators, and each promotion is
		// an audit entry.
		for i := range 7 {
			s := e.SignIn(t, fmt.Sprintf("+99890800000%d", i))
			if i%2 == 0 {
				if r := e.Patch(t, "/api/v1/users/"+s.UserID, admin.AccessToken, map[string]any{"role": "MODERATOR"}); r.Status != http.StatusOK {
					t.Fatalf("PATCH role = %s", r)
				}
			}
		}
		for _, list := range []string{"/api/v1/users", "/api/v1/users?role=MODERATOR", "/api/v1/users?q=%2B998908",
			"/api/v1/audit-log", "/api/v1/audit-log?action=user.role",
			"/api/v1/conditions", "/api/v1/cities/" + tashkentID + "/districts"} {
			t.Run("walk "+list, func(t *testing.T) { walkByCursor(t, e, list, admin.AccessToken) })
		}

		cursorOf := func(path string) string {
			pg := pagination(t, e.Get(t, path, admin.AccessToken))
			c, ok := pg["nextCursor"].(string)
			if !ok {
				t.Fatalf("%s: no nextCursor in %v", path, pg)
			}
			return url.QueryEscape(c)
		}
		users := cursorOf("/api/v1/users?limit=1")
		audit := cursorOf("/api/v1/audit-log?limit=1")
		conditions := cursorOf("/api/v1/conditions?limit=1")
		districts := cursorOf("/api/v1/cities/" + tashkentID + "/districts?limit=1")
		var otherCity string
		for _, c := range e.Get(t, "/api/v1/cities?limit=100", "").List() {
			if c["id"] != tashkentID {
				otherCity = c["id"].(string)
			}
		}
		for _, tc := range []struct{ name, path string }{
			{"users cursor with page", "/api/v1/users?page=2&cursor=" + users},
			{"users cursor with another role", "/api/v1/users?role=ADMIN&cursor=" + users},
			{"users cursor with a search", "/api/v1/users?q=99890&cursor=" + users},
			{"users garbage cursor", "/api/v1/users?cursor=%25%25%25"},
			{"audit cursor on the users", "/api/v1/users?cursor=" + audit},
			{"audit cursor with page", "/api/v1/audit-log?page=1&cursor=" + audit},
			{"audit cursor with an action", "/api/v1/audit-log?action=user.status&cursor=" + audit},
			{"audit empty cursor", "/api/v1/audit-log?cursor="},
			{"users cursor on the audit log", "/api/v1/audit-log?cursor=" + users},
			{"conditions cursor with page", "/api/v1/conditions?page=2&cursor=" + conditions},
			{"conditions cursor on sizes", "/api/v1/sizes?cursor=" + conditions},
			{"conditions garbled cursor", "/api/v1/conditions?cursor=" + conditions[:len(conditions)-3] + "xyz"},
			{"districts cursor of another city", "/api/v1/cities/" + otherCity + "/districts?cursor=" + districts},
		} {
			t.Run(tc.name+" is a 400", func(t *testing.T) {
				r := e.Get(t, tc.path, admin.AccessToken)
				if r.Status != http.StatusBadRequest || r.ErrorCode() != "VALIDATION_FAILED" || !hasDetail(r, "cursor") {
					t.Errorf("GET %s = %s, want 400 VALIDATION_FAILED naming cursor", tc.path, r)
				}
			})
		}
	})
}
