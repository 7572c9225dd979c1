package acceptance

import (
	"net/http"
	"testing"

	"github.com/secondbloom/marketplace/acceptance/testenv"
)

// detailFields returns the fields named by a 400's details.
func detailFields(r *testenv.Response) []string {
	e, _ := r.Body["error"].(map[string]any)
	ds, _ := e["details"].([]any)
	var out []string
	for _, d := range ds {
		m, _ := d.(map[string]any)
		f, _ := m["field"].(string)
		out = append(out, f)
	}
	return out
}

func wantFieldError(t *testing.T, what string, r *testenv.Response, field string) {
	t.Helper()
	if r.Status != http.StatusBadRequest || r.ErrorCode() != "VALIDATION_FAILED" {
		t.Errorf("%s = %s, want 400 VALIDATION_FAILED", what, r)
		return
	}
	if f := detailFields(r); len(f) != 1 || f[0] != field {
		t.Errorf("%s: details name %v, want exactly %q", what, f, field)
	}
}

// Free text is stored as it is answered: NUL bytes and bidi overrides are
// refused (PostgreSQL would drop a NUL silently), text is NFC-normalised,
// CRLF becomes LF in multi-line fields, and currencies are real ones.
func TestFreeTextIsCleanOrRefused(t *testing.T) {
	testenv.ForEachBackend(t, catalogOptions(), func(t *testing.T, e *testenv.Env) {
		admin := e.SignIn(t, adminPhone)
		seller := e.SignIn(t, sellerPhone)
		cat := mustCreate(t, e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Roses"}), "category")
		product := func(title, description, currency string) map[string]any {
			b := map[string]any{"title": title, "description": description, "price": 150000, "quantity": 3, "categoryId": cat["id"], "conditionId": freshestID, "sizeId": smallID}
			if currency != "" {
				b["currency"] = currency
			}
			return b
		}

		t.Run("a seller cannot hide control or bidi characters in a listing", func(t *testing.T) {
			for _, tc := range []struct {
				name, title, description, field string
			}{
				{"NUL in the title", "Red\x00roses", "", "title"},
				{"U+202E in the title", "Red roses \u202Egnp.exe", "", "title"},
				{"U+2066 in the title", "\u2066Red roses", "", "title"},
				{"a newline in the title", "Red\nroses", "", "title"},
				{"NUL in the description", "Red roses", "fresh\x00", "description"},
				{"escape in the description", "Red roses", "\x1b[2J", "description"},
				{"U+202E in the description", "Red roses", "fresh \u202E", "description"},
			} {
				wantFieldError(t, tc.name, e.Post(t, "/api/v1/products", seller.AccessToken, product(tc.title, tc.description, "")), tc.field)
			}
		})

		t.Run("currencies must be active ISO 4217 codes", func(t *testing.T) {
			for _, c := range []string{"XXX", "ABC", "HRK", "usd"} {
				wantFieldError(t, "currency "+c, e.Post(t, "/api/v1/products", seller.AccessToken, product("Roses in "+c, "", c)), "currency")
			}
			p := mustCreate(t, e.Post(t, "/api/v1/products", seller.AccessToken, product("Roses in dollars", "", "USD")), "product")
			if p["currency"] != "USD" {
				t.Errorf("currency = %v, want USD", p["currency"])
			}
		})

		t.Run("what is answered is what is stored", func(t *testing.T) {
			p := mustCreate(t, e.Post(t, "/api/v1/products", seller.AccessToken,
				product("  Cafe\u0301 roses  ", "Line one\r\n\tLine two\r\n", "")), "product")
			if p["title"] != "Caf\u00e9 roses" || p["description"] != "Line one\n\tLine two" {
				t.Errorf("created title %q description %q, want NFC and LF line ends", p["title"], p["description"])
			}
			got := e.Get(t, "/api/v1/products/"+p["id"].(string), seller.AccessToken).Data()
			if got["title"] != p["title"] || got["description"] != p["description"] {
				t.Errorf("stored title %q description %q, answered %q %q", got["title"], got["description"], p["title"], p["description"])
			}
			if r := e.Post(t, "/api/v1/products/"+p["id"].(string)+"/reject", admin.AccessToken, map[string]any{"reason": "blurry\x00"}); r.Status != 400 {
				t.Errorf("reject with a NUL in the reason = %s, want 400", r)
			}
		})

		t.Run("names follow the same rule", func(t *testing.T) {
			wantFieldError(t, "category name with NUL", e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Tul\x00ips"}), "name")
			wantFieldError(t, "category name with U+202E", e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "\u202Epilut"}), "name")
			wantFieldError(t, "first name with NUL", e.Patch(t, "/api/v1/auth/me", seller.AccessToken, map[string]any{"firstName": "Ali\x00"}), "firstName")
			wantFieldError(t, "last name with U+2067", e.Patch(t, "/api/v1/auth/me", seller.AccessToken, map[string]any{"lastName": "\u2067Valiyev"}), "lastName")
			r := e.Patch(t, "/api/v1/auth/me", seller.AccessToken, map[string]any{"firstName": "Zoe\u0308"})
			if r.Status != http.StatusOK || r.Data()["firstName"] != "Zo\u00eb" {
				t.Errorf("first name with a combining mark = %s, want 200 and NFC", r)
			}
		})
	})
}

// An order's address and notes are multi-line text: newlines and tabs are
// kept (CRLF as LF), other controls are refused.
func TestOrderTextIsCleanOrRefused(t *testing.T) {
	testenv.ForEachBackend(t, testenv.Options{}, func(t *testing.T, e *testenv.Env) {
		m := newMarket(t, e)
		buyer := m.buyer(t)
		id := m.product(t, 5, 1000)
		for _, tc := range []struct{ field, value string }{
			{"shippingAddress", "Tashkent\x00"},
			{"notes", "ring twice \u202E"},
			{"notes", "bell\x07"},
		} {
			r := e.Post(t, "/api/v1/orders", buyer.AccessToken, map[string]any{"productId": id, "quantity": 1, tc.field: tc.value})
			wantFieldError(t, tc.field+" "+tc.value, r, tc.field)
		}
		r := e.Post(t, "/api/v1/orders", buyer.AccessToken, map[string]any{"productId": id, "quantity": 1,
			"shippingAddress": "Amir Temur 1\r\nTashkent", "notes": "\tring twice"})
		if r.Status != http.StatusCreated || r.Data()["shippingAddress"] != "Amir Temur 1\nTashkent" || r.Data()["notes"] != "ring twice" {
			t.Errorf("order with CRLF and a leading tab = %s, want 201 with LF and trimmed notes", r)
		}
	})
}
