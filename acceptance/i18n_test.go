package acceptance

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/acceptance/testenv"
	"github.com/secondbloom/marketplace/adapters/clock"
	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
	"github.com/secondbloom/marketplace/domain/reference"
)

// seeded returns the id of the item of kind with code that migration 0008
// (and the memory store) seed.
func seeded(kind reference.Kind, code string) string {
	for _, f := range reference.Seed() {
		if f.Kind == kind && f.Code == code {
			return f.ID
		}
	}
	panic("no seeded " + code)
}

var (
	freshestID  = seeded(reference.Conditions, "freshest")
	smallID     = seeded(reference.Sizes, "small")
	tashkentID  = reference.TashkentCityID
	yunusabadID = seeded(reference.Districts, "yunusabad")
	samarkandID = seeded(reference.Cities, "samarkand")
)

// getIn reads path with an Accept-Language header.
func getIn(t *testing.T, e *testenv.Env, path, acceptLanguage, token string) *testenv.Response {
	t.Helper()
	h := map[string]string{}
	if acceptLanguage != "" {
		h["Accept-Language"] = acceptLanguage
	}
	return e.Do(t, testenv.Request{Method: http.MethodGet, Path: path, Token: token, Header: h})
}

func TestASellerListsInThreeLanguagesAndBuyersReadTheirOwn(t *testing.T) {
	testenv.ForEachBackend(t, testenv.Options{AdminPhones: []string{adminPhone}}, func(t *testing.T, e *testenv.Env) {
		admin := e.SignIn(t, adminPhone)
		seller := e.SignIn(t, sellerPhone)
		cat := mustCreate(t, e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{
			"name": map[string]any{"uz": "Gullar", "ru": "Цветы", "en": "Flowers"}}), "category")
		p := mustCreate(t, e.Post(t, "/api/v1/products", seller.AccessToken, map[string]any{
			"title":       map[string]any{"uz": "Qizil atirgullar", "ru": "Красные розы", "en": "Red roses"},
			"description": map[string]any{"ru": "Атиргул из сада, o‘zbek сорт"},
			"price":       1000, "categoryId": cat["id"], "conditionId": freshestID, "sizeId": smallID,
			"cityId": tashkentID, "districtId": yunusabadID,
		}), "product")
		if p["slug"] != "qizil-atirgullar" {
			t.Errorf("slug = %v, want the Uzbek title's", p["slug"])
		}
		path := "/api/v1/products/" + p["id"].(string)
		for _, tc := range []struct{ header, lang, title, desc string }{
			{"ru-RU,ru;q=0.9", "ru", "Красные розы", "Атиргул из сада, o‘zbek сорт"},
			{"en-GB", "en", "Red roses", "Атиргул из сада, o‘zbek сорт"},
			{"de", "uz", "Qizil atirgullar", "Атиргул из сада, o‘zbek сорт"},
			{"*", "uz", "Qizil atirgullar", "Атиргул из сада, o‘zbek сорт"},
			{"@@garbage;;", "uz", "Qizil atirgullar", "Атиргул из сада, o‘zbek сорт"},
			{"de, en;q=0.5", "en", "Red roses", "Атиргул из сада, o‘zbek сорт"},
		} {
			r := getIn(t, e, path, tc.header, "")
			if r.Status != http.StatusOK || r.Header.Get("Content-Language") != tc.lang {
				t.Fatalf("GET with Accept-Language %q = %s, Content-Language %q; want 200, %s", tc.header, r, r.Header.Get("Content-Language"), tc.lang)
			}
			d := r.Data()
			if d["title"] != tc.title || d["description"] != tc.desc {
				t.Errorf("Accept-Language %q: title %v, description %v; want %q, %q", tc.header, d["title"], d["description"], tc.title, tc.desc)
			}
			tr := d["translations"].(map[string]any)
			if len(tr["title"].(map[string]any)) != 3 || len(tr["description"].(map[string]any)) != 1 {
				t.Errorf("translations = %v, want 3 titles and 1 description", tr)
			}
			if d["cityId"] != tashkentID || d["districtId"] != yunusabadID || d["conditionId"] != freshestID {
				t.Errorf("classification = %v %v %v", d["conditionId"], d["cityId"], d["districtId"])
			}
		}

		// The caller's language comes after Accept-Language, before the default.
		if r := e.Patch(t, "/api/v1/auth/me", seller.AccessToken, map[string]any{"language": "en"}); r.Status != http.StatusOK || r.Data()["language"] != "en" {
			t.Fatalf("PATCH /auth/me language = %s", r)
		}
		if r := getIn(t, e, path, "", seller.AccessToken); r.Data()["title"] != "Red roses" || r.Header.Get("Content-Language") != "en" {
			t.Errorf("signed-in reader of language en got %v (%s)", r.Data()["title"], r.Header.Get("Content-Language"))
		}
		if r := getIn(t, e, path, "ru", seller.AccessToken); r.Data()["title"] != "Красные розы" {
			t.Errorf("Accept-Language ru over the user's en got %v", r.Data()["title"])
		}
		if r := e.Patch(t, "/api/v1/auth/me", seller.AccessToken, map[string]any{"language": "de"}); r.Status != http.StatusBadRequest {
			t.Errorf("PATCH /auth/me language de = %s, want 400", r)
		}

		// PATCH merges per locale; null removes; a plain string goes under Content-Language.
		h := map[string]string{"Content-Language": "ru-RU"}
		r := e.Do(t, testenv.Request{Method: http.MethodPatch, Path: path, Token: seller.AccessToken, Header: h,
			Body: map[string]any{"title": "Алые розы"}})
		if r.Status != http.StatusOK {
			t.Fatalf("PATCH title as a Russian string = %s", r)
		}
		r = e.Patch(t, path, seller.AccessToken, map[string]any{"title": map[string]any{"uz": nil}})
		titles := r.Data()["translations"].(map[string]any)["title"].(map[string]any)
		if r.Status != http.StatusOK || titles["ru"] != "Алые розы" || titles["uz"] != nil || titles["en"] != "Red roses" {
			t.Fatalf("after PATCH merges: %s", r)
		}
		if r := e.Patch(t, path, seller.AccessToken, map[string]any{"title": map[string]any{"ru": nil, "en": nil}}); r.Status != http.StatusBadRequest {
			t.Errorf("PATCH removing every title = %s, want 400", r)
		}
		if r := getIn(t, e, path, "uz", seller.AccessToken); r.Data()["title"] != "Алые розы" {
			t.Errorf("uz reader without an Uzbek title got %v, want the Russian (uz, then ru)", r.Data()["title"])
		}

		// A title equal in any one locale is a duplicate of the seller's.
		dup := map[string]any{"title": map[string]any{"en": "RED ROSES"}, "price": 1, "categoryId": cat["id"], "conditionId": freshestID, "sizeId": smallID}
		if r := e.Post(t, "/api/v1/products", seller.AccessToken, dup); r.Status != http.StatusConflict {
			t.Errorf("duplicate English title = %s, want 409", r)
		}
	})
}

func TestBuyersFindProductsInAnyLanguageAndScript(t *testing.T) {
	testenv.ForEachBackend(t, testenv.Options{AdminPhones: []string{adminPhone}}, func(t *testing.T, e *testenv.Env) {
		admin := e.SignIn(t, adminPhone)
		cat := mustCreate(t, e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Gullar"}), "category")
		for _, title := range []any{
			map[string]any{"uz": "Oʻzbek atirgullari", "ru": "Узбекские розы"},
			"Атиргул гулдаста",
			map[string]any{"en": "Tulips"},
		} {
			mustCreate(t, e.Post(t, "/api/v1/products", admin.AccessToken, map[string]any{"title": title, "price": 1,
				"categoryId": cat["id"], "conditionId": freshestID, "sizeId": smallID}), "product")
		}
		for q, want := range map[string]int{
			"Атиргул": 1, "атир": 1, "atirgul": 1, "o'zbek": 1, "o‘zbek": 1, "o’zbek": 1, "oʻzbek": 1, "o`zbek": 1,
			"узбекские": 1, "TULIP": 1, "lip": 0, "%": 0, "гулдаста атир": 1, "  ": 3,
		} {
			r := e.Get(t, "/api/v1/products?q="+url.QueryEscape(q), "")
			if r.Status != http.StatusOK || len(r.List()) != want {
				t.Errorf("q=%s found %d (%s), want %d", q, len(r.List()), r, want)
			}
		}
	})
}

func TestReferenceDataIsSeededAndManagedByAdmins(t *testing.T) {
	testenv.ForEachBackend(t, testenv.Options{AdminPhones: []string{adminPhone}}, func(t *testing.T, e *testenv.Env) {
		admin := e.SignIn(t, adminPhone)
		seller := e.SignIn(t, sellerPhone)
		for path, n := range map[string]int{"/api/v1/conditions": 6, "/api/v1/sizes": 5, "/api/v1/cities": 14,
			"/api/v1/cities/" + tashkentID + "/districts": 12} {
			r := getIn(t, e, path+"?limit=100", "ru", "")
			if r.Status != http.StatusOK || len(r.List()) != n {
				t.Fatalf("GET %s = %s, want %d items", path, r, n)
			}
			for _, it := range r.List() {
				names := it["translations"].(map[string]any)["name"].(map[string]any)
				if len(names) != 3 || it["name"] != names["ru"] {
					t.Errorf("%s %v: names %v, want all three and the Russian one read", path, it["code"], names)
				}
			}
			// An unknown parameter is refused, as on every list.
			if r := getIn(t, e, path+"?colour=red", "ru", ""); r.Status != http.StatusBadRequest {
				t.Errorf("GET %s?colour=red = %s, want 400", path, r)
			}
		}
		if r := getIn(t, e, "/api/v1/conditions/"+freshestID, "en", ""); r.Data()["name"] != "Freshest" || r.Data()["code"] != "freshest" {
			t.Errorf("GET freshest in en = %s", r)
		}
		if r := e.Get(t, "/api/v1/cities/"+samarkandID+"/districts/"+yunusabadID, ""); r.Status != http.StatusNotFound {
			t.Errorf("Yunusabad under Samarkand = %s, want 404", r)
		}

		// Writes are for admins; codes are unique per list.
		body := map[string]any{"code": "dried", "name": map[string]any{"uz": "Quritilgan", "ru": "Сушёный", "en": "Dried"}}
		if r := e.Post(t, "/api/v1/conditions", seller.AccessToken, body); r.Status != http.StatusForbidden {
			t.Errorf("POST condition by a user = %s, want 403", r)
		}
		dried := mustCreate(t, e.Post(t, "/api/v1/conditions", admin.AccessToken, body), "condition")
		if dried["position"].(float64) != 7 {
			t.Errorf("new condition's position = %v, want 7 (after the six seeded)", dried["position"])
		}
		if r := e.Post(t, "/api/v1/conditions", admin.AccessToken, body); r.Status != http.StatusConflict {
			t.Errorf("POST a duplicate code = %s, want 409", r)
		}
		if r := e.Post(t, "/api/v1/conditions", admin.AccessToken, map[string]any{"code": "Bad Code", "name": "x"}); r.Status != http.StatusBadRequest {
			t.Errorf("POST a bad code = %s, want 400", r)
		}
		if r := e.Patch(t, "/api/v1/conditions/"+dried["id"].(string), admin.AccessToken, map[string]any{"name": map[string]any{"en": "Dried out"}}); r.Status != http.StatusOK || r.Data()["translations"].(map[string]any)["name"].(map[string]any)["ru"] != "Сушёный" {
			t.Errorf("PATCH name.en = %s", r)
		}

		// Products need a condition and a size; a district must lie in its city.
		cat := mustCreate(t, e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Gullar"}), "category")
		base := func(extra map[string]any) map[string]any {
			b := map[string]any{"title": "Lola", "price": 1, "categoryId": cat["id"], "conditionId": dried["id"], "sizeId": smallID}
			for k, v := range extra {
				b[k] = v
			}
			return b
		}
		for name, b := range map[string]map[string]any{
			"no condition":          base(map[string]any{"conditionId": nil}),
			"a size as condition":   base(map[string]any{"conditionId": smallID}),
			"district without city": base(map[string]any{"districtId": yunusabadID}),
			"district of another":   base(map[string]any{"cityId": samarkandID, "districtId": yunusabadID}),
			"unknown city":          base(map[string]any{"cityId": freshestID}),
		} {
			if b["conditionId"] == nil {
				delete(b, "conditionId")
			}
			if r := e.Post(t, "/api/v1/products", seller.AccessToken, b); r.Status != http.StatusBadRequest {
				t.Errorf("%s: POST = %s, want 400", name, r)
			}
		}
		p := mustCreate(t, e.Post(t, "/api/v1/products", seller.AccessToken, base(map[string]any{"cityId": tashkentID, "districtId": yunusabadID})), "product")
		if r := e.Patch(t, "/api/v1/products/"+p["id"].(string), seller.AccessToken, map[string]any{"cityId": samarkandID}); r.Status != http.StatusBadRequest {
			t.Errorf("PATCH city leaving the district outside = %s, want 400", r)
		}
		if r := e.Get(t, "/api/v1/products?conditionId="+dried["id"].(string)+"&cityId="+tashkentID+"&districtId="+yunusabadID+"&sizeId="+smallID, ""); len(r.List()) != 1 || r.List()[0]["id"] != p["id"] {
			t.Errorf("filtered by all four = %s, want the one product", r)
		}
		if r := e.Get(t, "/api/v1/products?cityId="+samarkandID, ""); len(r.List()) != 0 {
			t.Errorf("filtered by Samarkand = %s, want nothing", r)
		}

		// A used condition cannot be deleted, whatever the product's status.
		if r := e.Delete(t, "/api/v1/conditions/"+dried["id"].(string), admin.AccessToken); r.Status != http.StatusConflict {
			t.Errorf("DELETE a used condition = %s, want 409", r)
		}
		if r := e.Delete(t, "/api/v1/products/"+p["id"].(string), seller.AccessToken); r.Status != http.StatusNoContent {
			t.Fatalf("archive = %s", r)
		}
		if r := e.Delete(t, "/api/v1/conditions/"+dried["id"].(string), admin.AccessToken); r.Status != http.StatusConflict {
			t.Errorf("DELETE a condition of an archived product = %s, want 409", r)
		}
		// Every write is audited with the list as the target type.
		r := e.Get(t, "/api/v1/audit-log?targetId="+dried["id"].(string), admin.AccessToken)
		var actions []any
		for _, en := range r.List() {
			if en["targetType"] != "condition" {
				t.Errorf("audit entry %v: targetType %v, want condition", en["action"], en["targetType"])
			}
			actions = append(actions, en["action"])
		}
		if len(actions) != 2 || actions[0] != "reference.update" || actions[1] != "reference.create" {
			t.Errorf("audit actions = %v (%s), want reference.update, reference.create", actions, r)
		}
		unused := mustCreate(t, e.Post(t, "/api/v1/sizes", admin.AccessToken, map[string]any{"code": "tiny", "name": "Tiny"}), "size")
		if r := e.Delete(t, "/api/v1/sizes/"+unused["id"].(string), admin.AccessToken); r.Status != http.StatusNoContent {
			t.Errorf("DELETE an unused size = %s, want 204", r)
		}
		if r := e.Post(t, "/api/v1/products", seller.AccessToken, base(map[string]any{"title": "Other", "sizeId": unused["id"]})); r.Status != http.StatusBadRequest {
			t.Errorf("POST with a deleted size = %s, want 400", r)
		}
	})
}

func TestAReferenceChangeReachesAnotherInstance(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	open := func() *postgres.Store { return pgtest.Open(t, dsn) }
	// The clock stands still, so B's copy never ages past ReferenceTTL:
	// only the committed event can make B read the change.
	clk := clock.NewFake(time.Now())
	opt := testenv.Options{AdminPhones: []string{adminPhone}, Clock: clk}
	a := testenv.NewOnStore(t, testenv.Postgres, open(), opt)
	b := testenv.NewOnStore(t, testenv.Postgres, open(), opt)
	path := "/api/v1/conditions/" + freshestID
	name := func(e *testenv.Env) any { return getIn(t, e, path, "en", "").Data()["name"] }
	if got := name(b); got != "Freshest" {
		t.Fatalf("B reads %v, want Freshest", got)
	}
	admin := a.SignIn(t, adminPhone)
	if r := a.Patch(t, path, admin.AccessToken, map[string]any{"name": map[string]any{"en": "Just cut"}}); r.Status != http.StatusOK {
		t.Fatalf("PATCH on A = %s", r)
	}
	if got := name(a); got != "Just cut" {
		t.Errorf("A reads %v right after its own write, want Just cut", got)
	}
	for i := 0; name(b) != "Just cut"; i++ {
		if i == 300 {
			t.Fatalf("B still reads %v; the change's event never reached it", name(b))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEveryResponseNamesItsLanguage(t *testing.T) {
	e := testenv.New(t, testenv.Memory, testenv.Options{AdminPhones: []string{adminPhone}, DefaultLocale: "ru"})
	for _, path := range []string{"/api/v1/health", "/api/v1/openapi.json", "/api/v1/no-such-route", "/api/v1/products/not-a-uuid", "/api/v1/sizes"} {
		if r := getIn(t, e, path, "", ""); r.Header.Get("Content-Language") != "ru" {
			t.Errorf("GET %s: Content-Language %q, want the default ru", path, r.Header.Get("Content-Language"))
		}
		if r := getIn(t, e, path, "en-US,en;q=0.9", ""); r.Header.Get("Content-Language") != "en" {
			t.Errorf("GET %s in en-US: Content-Language %q, want en", path, r.Header.Get("Content-Language"))
		}
	}
	// A name written as a string goes under Content-Language, else the
	// default; signing in shows the default language.
	admin := e.SignIn(t, adminPhone)
	r := e.Do(t, testenv.Request{Method: http.MethodPost, Path: "/api/v1/categories", Token: admin.AccessToken,
		Header: map[string]string{"Content-Language": "uz-Latn"}, Body: map[string]any{"name": "Gullar"}})
	if names := r.Data()["translations"].(map[string]any)["name"].(map[string]any); r.Status != http.StatusCreated || names["uz"] != "Gullar" || len(names) != 1 {
		t.Errorf("POST category with Content-Language uz-Latn = %s", r)
	}
	r = e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Цветы"})
	if names := r.Data()["translations"].(map[string]any)["name"].(map[string]any); names["ru"] != "Цветы" || len(names) != 1 {
		t.Errorf("POST category without Content-Language stored %v, want under ru (the default)", names)
	}
	if r := e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": map[string]any{"kk": "Гүлдер"}}); r.Status != http.StatusBadRequest {
		t.Errorf("POST category name in kk = %s, want 400", r)
	}
	if r := e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": 5}); r.Status != http.StatusBadRequest {
		t.Errorf("POST category name 5 = %s, want 400", r)
	}
	r = e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": map[string]any{"en": "Cafe\u0301 plants"}})
	if names := r.Data()["translations"].(map[string]any)["name"].(map[string]any); names["en"] != "Caf\u00e9 plants" {
		t.Errorf("a decomposed é was stored as %q, want it NFC-normalised", names["en"])
	}
	if r := e.Get(t, "/api/v1/auth/me", admin.AccessToken); r.Data()["language"] != "ru" {
		t.Errorf("a user who chose no language shows %v, want the default ru", r.Data()["language"])
	}
}
