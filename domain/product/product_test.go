package product_test

import (
	"errors"
	"math"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/media"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/user"
)

var (
	t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Hour)
)

// mediaID names a photo in the tests' images.
const mediaID = "0190a000-0000-7000-8000-00000000000a"

// uz returns s as an Uzbek text.
func uz(s string) i18n.Localized { return i18n.Must(i18n.Text(i18n.Uzbek, s, product.DescriptionRule)) }

var class = product.Classification{ConditionID: "fresh", SizeID: "small"}

func validParams() product.NewParams {
	return product.NewParams{
		ID: "p1", Slug: "old-camera", Title: uz("Old camera"), Description: uz("Works."), Class: class,
		Price: 150_000_00, Currency: "UZS", Quantity: 3, CategoryID: "c1", SellerID: "u1",
		Images: []product.Image{{MediaID: mediaID, Position: 0, Original: media.File{Key: "k.jpg", Width: 4, Height: 3}}},
	}
}

func badFields(t *testing.T, err error) []string {
	t.Helper()
	var e *domain.Error
	if !errors.As(err, &e) || e.Kind != domain.KindInvalid {
		t.Fatalf("error = %v, want a validation error", err)
	}
	var out []string
	for _, d := range e.Details {
		out = append(out, d.Field)
	}
	sort.Strings(out)
	return out
}

func TestNew(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(p *product.NewParams)
		wantTitle string
		wantCur   string
		badFields []string // nil means success
	}{
		{name: "valid", edit: func(p *product.NewParams) {}, wantTitle: "Old camera", wantCur: "UZS"},
		{name: "empty title", edit: func(p *product.NewParams) { p.Title = i18n.Localized{} }, badFields: []string{"title"}},
		{name: "title in Russian only", edit: func(p *product.NewParams) {
			p.Title = i18n.Must(i18n.Text(i18n.Russian, "Старая камера", product.TitleRule))
		}, wantTitle: "Старая камера", wantCur: "UZS"},
		{name: "no condition", edit: func(p *product.NewParams) { p.Class.ConditionID = "" }, badFields: []string{"conditionId"}},
		{name: "no size", edit: func(p *product.NewParams) { p.Class.SizeID = "" }, badFields: []string{"sizeId"}},
		{name: "district without city", edit: func(p *product.NewParams) { p.Class.DistrictID = "d1" }, badFields: []string{"cityId"}},
		{name: "city and district", edit: func(p *product.NewParams) { p.Class.CityID, p.Class.DistrictID = "c1", "d1" }, wantTitle: "Old camera", wantCur: "UZS"},
		{name: "historic currency", edit: func(p *product.NewParams) { p.Currency = "HRK" }, badFields: []string{"currency"}},
		{name: "price 1", edit: func(p *product.NewParams) { p.Price = 1 }, wantTitle: "Old camera", wantCur: "UZS"},
		{name: "price 10^15", edit: func(p *product.NewParams) { p.Price = 1_000_000_000_000_000 }, wantTitle: "Old camera", wantCur: "UZS"},
		{name: "price 0", edit: func(p *product.NewParams) { p.Price = 0 }, badFields: []string{"price"}},
		{name: "price -1", edit: func(p *product.NewParams) { p.Price = -1 }, badFields: []string{"price"}},
		{name: "price 10^15+1", edit: func(p *product.NewParams) { p.Price = 1_000_000_000_000_001 }, badFields: []string{"price"}},
		{name: "price max int64", edit: func(p *product.NewParams) { p.Price = math.MaxInt64 }, badFields: []string{"price"}},
		{name: "empty currency is the default", edit: func(p *product.NewParams) { p.Currency = "" }, wantTitle: "Old camera", wantCur: "UZS"},
		{name: "other currency", edit: func(p *product.NewParams) { p.Currency = "USD" }, wantTitle: "Old camera", wantCur: "USD"},
		{name: "lower-case currency", edit: func(p *product.NewParams) { p.Currency = "usd" }, badFields: []string{"currency"}},
		{name: "quantity 0", edit: func(p *product.NewParams) { p.Quantity = 0 }, wantTitle: "Old camera", wantCur: "UZS"},
		{name: "quantity max", edit: func(p *product.NewParams) { p.Quantity = product.MaxQuantity }, wantTitle: "Old camera", wantCur: "UZS"},
		{name: "quantity -1", edit: func(p *product.NewParams) { p.Quantity = -1 }, badFields: []string{"quantity"}},
		{name: "quantity max+1", edit: func(p *product.NewParams) { p.Quantity = product.MaxQuantity + 1 }, badFields: []string{"quantity"}},
		{name: "no category", edit: func(p *product.NewParams) { p.CategoryID = "" }, badFields: []string{"categoryId"}},
		{name: "every field bad", edit: func(p *product.NewParams) {
			*p = product.NewParams{Price: 0, Currency: "US", Quantity: -5}
		}, badFields: []string{"categoryId", "conditionId", "currency", "price", "quantity", "sizeId", "title"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			params := validParams()
			tc.edit(&params)
			p, err := product.New(params, t0)
			if tc.badFields != nil {
				if p != nil {
					t.Errorf("New(...) = %v with an error, want nil", p)
				}
				if got := badFields(t, err); !reflect.DeepEqual(got, tc.badFields) {
					t.Errorf("New(...) bad fields = %v, want %v", got, tc.badFields)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(...) error = %v, want nil", err)
			}
			if got := p.Title().In(i18n.English); got != tc.wantTitle {
				t.Errorf("Title().In(en) = %q, want %q", got, tc.wantTitle)
			}
			if p.Currency() != tc.wantCur {
				t.Errorf("Currency() = %q, want %q", p.Currency(), tc.wantCur)
			}
			if p.Price() != params.Price || p.Quantity() != params.Quantity {
				t.Errorf("Price(), Quantity() = %d, %d, want %d, %d", p.Price(), p.Quantity(), params.Price, params.Quantity)
			}
			if p.Status() != product.StatusPending {
				t.Errorf("Status() = %q, want %q", p.Status(), product.StatusPending)
			}
		})
	}
}

func TestNewFields(t *testing.T) {
	params := validParams()
	params.Publish = true
	local := time.FixedZone("UZT", 5*3600)
	p, err := product.New(params, t0.In(local))
	if err != nil {
		t.Fatalf("New(...) error = %v", err)
	}
	want := product.Fields{
		ID: "p1", Slug: "old-camera", Title: uz("Old camera"), Description: uz("Works."), Price: 150_000_00,
		Currency: "UZS", Quantity: 3, CategoryID: "c1", Class: class, SellerID: "u1", Status: product.StatusActive,
		Images: []product.Image{{MediaID: mediaID, Position: 0, Original: media.File{Key: "k.jpg", Width: 4, Height: 3}}}, CreatedAt: t0, UpdatedAt: t0,
	}
	got := p.Fields()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Fields() = %+v, want %+v", got, want)
	}
	if p.ID() != "p1" || p.Slug() != "old-camera" || p.SellerID() != "u1" || p.CategoryID() != "c1" {
		t.Errorf("ID, Slug, SellerID, CategoryID = %q %q %q %q, want p1 old-camera u1 c1", p.ID(), p.Slug(), p.SellerID(), p.CategoryID())
	}
	// Images are copied in and out: callers cannot change the product.
	params.Images[0].MediaID = "changed-in"
	got.Images[0].MediaID = "changed-out"
	if id := p.Fields().Images[0].MediaID; id != mediaID {
		t.Errorf("Images[0].MediaID = %q after changing the caller's slices, want %q", id, mediaID)
	}
}

func TestRehydrate(t *testing.T) {
	f := product.Fields{ID: "p1", Title: uz("T"), Price: 5, Currency: "UZS", Quantity: 2, CategoryID: "c1", SellerID: "u1",
		Status: product.StatusRejected, RejectionReason: "blurry", Images: []product.Image{{MediaID: mediaID, Position: 1}},
		CreatedAt: t0, UpdatedAt: t1}
	if got := product.Rehydrate(f).Fields(); !reflect.DeepEqual(got, f) {
		t.Errorf("Rehydrate(f).Fields() = %+v, want %+v", got, f)
	}
}

func withStatus(s product.Status, qty int) *product.Product {
	return product.Rehydrate(product.Fields{ID: "p1", Title: uz("T"), Price: 100, Currency: "UZS", Quantity: qty,
		CategoryID: "c1", SellerID: "seller", Status: s, CreatedAt: t0, UpdatedAt: t0})
}

func TestReserve(t *testing.T) {
	tests := []struct {
		name    string
		status  product.Status
		stock   int
		qty     int
		wantErr error
		wantQty int
	}{
		{name: "one of three", status: product.StatusActive, stock: 3, qty: 1, wantQty: 2},
		{name: "exact stock", status: product.StatusActive, stock: 3, qty: 3, wantQty: 0},
		{name: "more than stock", status: product.StatusActive, stock: 3, qty: 4, wantErr: product.ErrOutOfStock, wantQty: 3},
		{name: "sold out", status: product.StatusActive, stock: 0, qty: 1, wantErr: product.ErrOutOfStock, wantQty: 0},
		{name: "pending", status: product.StatusPending, stock: 3, qty: 1, wantErr: product.ErrNotAvailable, wantQty: 3},
		{name: "rejected", status: product.StatusRejected, stock: 3, qty: 1, wantErr: product.ErrNotAvailable, wantQty: 3},
		{name: "archived", status: product.StatusArchived, stock: 3, qty: 1, wantErr: product.ErrNotAvailable, wantQty: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := withStatus(tc.status, tc.stock)
			err := p.Reserve(tc.qty, t1)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Reserve(%d) = %v, want %v", tc.qty, err, tc.wantErr)
			}
			if p.Quantity() != tc.wantQty {
				t.Errorf("Quantity() after Reserve(%d) = %d, want %d", tc.qty, p.Quantity(), tc.wantQty)
			}
			wantUpdated := t1
			if tc.wantErr != nil {
				wantUpdated = t0
			}
			if got := p.Fields().UpdatedAt; !got.Equal(wantUpdated) {
				t.Errorf("UpdatedAt = %v, want %v", got, wantUpdated)
			}
		})
	}
}

func TestReserveInvalidQuantity(t *testing.T) {
	for _, qty := range []int{0, -1, math.MinInt} {
		p := withStatus(product.StatusActive, 3)
		err := p.Reserve(qty, t1)
		if domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("Reserve(%d) = %v, want a validation error", qty, err)
		}
		if p.Quantity() != 3 {
			t.Errorf("Quantity() after Reserve(%d) = %d, want 3", qty, p.Quantity())
		}
	}
}

func TestRelease(t *testing.T) {
	tests := []struct {
		name    string
		status  product.Status
		stock   int
		qty     int
		wantErr bool
		wantQty int
	}{
		{name: "back to active", status: product.StatusActive, stock: 0, qty: 2, wantQty: 2},
		{name: "archived too", status: product.StatusArchived, stock: 1, qty: 1, wantQty: 2},
		{name: "up to the maximum", status: product.StatusActive, stock: product.MaxQuantity - 5, qty: 5, wantQty: product.MaxQuantity},
		{name: "beyond the maximum", status: product.StatusActive, stock: product.MaxQuantity - 5, qty: 6, wantErr: true, wantQty: product.MaxQuantity - 5},
		{name: "zero", status: product.StatusActive, stock: 1, qty: 0, wantErr: true, wantQty: 1},
		{name: "negative", status: product.StatusActive, stock: 1, qty: -1, wantErr: true, wantQty: 1},
		{name: "max int does not overflow", status: product.StatusActive, stock: 1, qty: math.MaxInt, wantErr: true, wantQty: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := withStatus(tc.status, tc.stock)
			err := p.Release(tc.qty, t1)
			if tc.wantErr != (err != nil) {
				t.Fatalf("Release(%d) = %v, want error %v", tc.qty, err, tc.wantErr)
			}
			if err != nil && domain.KindOf(err) != domain.KindInvalid {
				t.Errorf("Release(%d) error kind = %v, want %v", tc.qty, domain.KindOf(err), domain.KindInvalid)
			}
			if p.Quantity() != tc.wantQty {
				t.Errorf("Quantity() after Release(%d) = %d, want %d", tc.qty, p.Quantity(), tc.wantQty)
			}
		})
	}
}

func TestVisibleTo(t *testing.T) {
	type viewer struct {
		id   string
		role user.Role
	}
	var (
		anonymous = viewer{"", ""}
		seller    = viewer{"seller", user.RoleUser}
		other     = viewer{"other", user.RoleUser}
		moderator = viewer{"mod", user.RoleModerator}
		admin     = viewer{"admin", user.RoleAdmin}
	)
	tests := []struct {
		status product.Status
		viewer viewer
		want   bool
	}{
		{product.StatusActive, anonymous, true},
		{product.StatusActive, other, true},
		{product.StatusActive, seller, true},
		{product.StatusActive, moderator, true},
		{product.StatusPending, anonymous, false},
		{product.StatusPending, other, false},
		{product.StatusPending, seller, true},
		{product.StatusPending, moderator, true},
		{product.StatusPending, admin, true},
		{product.StatusRejected, anonymous, false},
		{product.StatusRejected, other, false},
		{product.StatusRejected, seller, true},
		{product.StatusRejected, admin, true},
		{product.StatusArchived, anonymous, false},
		{product.StatusArchived, other, false},
		{product.StatusArchived, seller, true},
		{product.StatusArchived, moderator, true},
	}
	for _, tc := range tests {
		name := string(tc.status) + "/" + tc.viewer.id + string(tc.viewer.role)
		t.Run(name, func(t *testing.T) {
			p := withStatus(tc.status, 1)
			if got := p.VisibleTo(user.Actor{UserID: tc.viewer.id, Role: tc.viewer.role}); got != tc.want {
				t.Errorf("VisibleTo(%q, %q) on %s = %v, want %v", tc.viewer.id, tc.viewer.role, tc.status, got, tc.want)
			}
		})
	}
}

func TestVisibleToSellerWithoutID(t *testing.T) {
	// A product whose seller id is empty must not be visible to every
	// anonymous viewer just because both ids are "".
	p := product.Rehydrate(product.Fields{ID: "p1", Status: product.StatusPending})
	if p.VisibleTo(user.Actor{Role: user.RoleUser}) {
		t.Errorf("VisibleTo(%q, USER) on a PENDING product without seller = true, want false", "")
	}
}
