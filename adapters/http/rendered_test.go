package http

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"io"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/media"
	"github.com/secondbloom/marketplace/domain/product"
)

func renderedTestProduct(qty int) *product.Product {
	return renderedTestProductWithID("0193a000-0000-7000-8000-000000000003", qty)
}

func renderedTestProductWithID(id string, qty int) *product.Product {
	text := func(uz, ru, en string) i18n.Localized {
		return i18n.Rehydrate(map[i18n.Locale]string{i18n.Uzbek: uz, i18n.Russian: ru, i18n.English: en})
	}
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	return product.Rehydrate(product.Fields{ID: id, Slug: "qizil-atirgullar", Title: text("Qizil atirgullar", "Красные розы", "Red roses"),
		Description: text("Yangi", "Свежие", "Fresh"), Price: 150000, Currency: "UZS", Quantity: qty, CategoryID: id, SellerID: id,
		Status: product.StatusActive, Class: product.Classification{ConditionID: id, SizeID: id},
		Images:    []product.Image{{MediaID: id, Original: media.File{Key: "k.jpg", Width: 4, Height: 3}}},
		CreatedAt: at, UpdatedAt: at})
}

// TestRenderedProductIsWhatRespondWrites serves a product through the
// memo again and again while it changes: every answer must be byte for
// byte what respond writes for the current state and locale.
func TestRenderedProductIsWhatRespondWrites(t *testing.T) {
	s := &Server{opt: Options{mediaBase: "/media/"}, rendered: newRenderedProducts()}
	current, loc := renderedTestProduct(3), i18n.Russian
	app := fiber.New()
	app.Get("/memo", func(c *fiber.Ctx) error { return s.respondProduct(c, current, loc) })
	app.Get("/plain", func(c *fiber.Ctx) error { return respond(c, fiber.StatusOK, s.toProductDTO(current, loc)) })
	get := func(path string) (string, string) {
		t.Helper()
		resp, err := app.Test(httptest.NewRequest("GET", path, nil), -1)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, resp, err)
		}
		b, _ := io.ReadAll(resp.Body)
		return string(b), resp.Header.Get("Content-Type")
	}
	check := func(what string) {
		t.Helper()
		for range 2 { // the second from the memo
			got, gotType := get("/memo")
			want, wantType := get("/plain")
			if got != want || gotType != wantType {
				t.Fatalf("%s: memo answered %s %s, want %s %s", what, gotType, got, wantType, want)
			}
		}
	}
	check("first state")
	current = renderedTestProduct(2)
	check("after an order took one")
	loc = i18n.English
	check("in another locale")
	f := current.Fields()
	f.Images[0].Original.Key = "other.jpg"
	current = product.Rehydrate(f)
	check("after the photo changed")
	var v struct{ Data productDTO }
	got, _ := get("/memo")
	if err := json.Unmarshal([]byte(got), &v); err != nil || v.Data.Quantity != 2 || v.Data.Title != "Red roses" {
		t.Fatalf("final answer %s (%v)", got, err)
	}
}

// TestRenderedProductKeepsLocalesApart reads one product in Russian, then
// in English, with an id chosen so both land in the same memo slot: the
// English reader must not get the Russian page.
func TestRenderedProductKeepsLocalesApart(t *testing.T) {
	s := &Server{opt: Options{mediaBase: "/media/"}, rendered: newRenderedProducts()}
	slot := func(id string, l i18n.Locale) uint64 {
		return maphash.String(s.rendered.seed, id+string(l)) % renderedSlots
	}
	var id string
	for i := 0; id == ""; i++ {
		c := fmt.Sprintf("0193a000-0000-7000-8000-%012d", i)
		if slot(c, i18n.Russian) == slot(c, i18n.English) {
			id = c
		}
	}
	p := renderedTestProductWithID(id, 3)
	loc := i18n.Russian
	app := fiber.New()
	app.Get("/", func(c *fiber.Ctx) error { return s.respondProduct(c, p, loc) })
	title := func() string {
		t.Helper()
		resp, err := app.Test(httptest.NewRequest("GET", "/", nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		var v struct{ Data productDTO }
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
			t.Fatal(err)
		}
		return v.Data.Title
	}
	if got := title(); got != "Красные розы" {
		t.Fatalf("Russian title = %q", got)
	}
	loc = i18n.English
	if got := title(); got != "Red roses" {
		t.Fatalf("English title after a Russian read of the same slot = %q, want Red roses", got)
	}
}

// TestSameFieldsComparesEveryField changes each field of product.Fields in
// turn: sameFields must notice every one, so a field added to the product
// cannot be served stale from the memo.
func TestSameFieldsComparesEveryField(t *testing.T) {
	base := renderedTestProduct(3).Fields()
	if !sameFields(base, renderedTestProduct(3).Fields()) {
		t.Fatal("equal states compare unequal")
	}
	typ := reflect.TypeOf(base)
	for i := range typ.NumField() {
		changed := renderedTestProduct(3).Fields()
		field := reflect.ValueOf(&changed).Elem().Field(i)
		switch v := field.Addr().Interface().(type) {
		case *string:
			*v += "x"
		case *int:
			*v++
		case *int64:
			*v++
		case *bool:
			*v = !*v
		case *time.Time:
			*v = v.Add(time.Millisecond)
		case *i18n.Localized:
			*v = i18n.Rehydrate(map[i18n.Locale]string{i18n.English: "changed"})
		case *product.Status:
			*v = product.StatusRejected
		case *product.Classification:
			v.CityID = "0193a000-0000-7000-8000-0000000000c1"
		case *[]product.Image:
			*v = append(*v, product.Image{MediaID: "m2", Position: 1})
		default:
			t.Fatalf("product.Fields.%s has type %s, unknown to this test: compare it in sameFields and change it here", typ.Field(i).Name, field.Type())
		}
		if sameFields(base, changed) {
			t.Errorf("sameFields does not notice a change of %s", typ.Field(i).Name)
		}
	}
}
