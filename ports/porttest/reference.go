package porttest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/reference"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// seedID returns the id of the seeded item of kind with code.
func seedID(t *testing.T, kind reference.Kind, code string) string {
	t.Helper()
	for _, f := range reference.Seed() {
		if f.Kind == kind && f.Code == code {
			return f.ID
		}
	}
	t.Fatalf("no seeded %s %q", kind, code)
	return ""
}

func testReference(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	r := newStore(t).Repos()
	t.Run("every store starts with the seeded lists", func(t *testing.T) {
		all, err := r.Reference.All(ctx)
		if err != nil || len(all) != len(reference.Seed()) {
			t.Fatalf("All = %d items, %v; want the %d seeded", len(all), err, len(reference.Seed()))
		}
		want := map[string]reference.Fields{}
		for _, f := range reference.Seed() {
			want[f.ID] = f
		}
		for _, it := range all {
			if got := it.Fields(); got != want[got.ID] {
				t.Errorf("item %s = %+v, want %+v", got.ID, got, want[got.ID])
			}
		}
		districts, total, err := r.Reference.List(ctx, reference.Districts, reference.TashkentCityID, ports.Page{Number: 1, Limit: 5})
		if err != nil || total.Total != 12 || len(districts) != 5 || districts[0].Code() != "bektemir" {
			t.Errorf("List(districts of Tashkent) = %d items of %d, %v; want 5 of 12 starting with bektemir", len(districts), total.Total, err)
		}
	})
	name := i18n.Rehydrate(map[i18n.Locale]string{i18n.English: "Dried"})
	var dried *reference.Item
	t.Run("codes are unique per list, districts' per city", func(t *testing.T) {
		var err error
		dried, err = reference.New(reference.Fields{ID: newID(), Kind: reference.Conditions, Code: "dried", Name: name, Position: 7})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Reference.Create(ctx, dried); err != nil {
			t.Fatalf("Create = %v", err)
		}
		twin, _ := reference.New(reference.Fields{ID: newID(), Kind: reference.Conditions, Code: "dried", Name: name})
		if err := r.Reference.Create(ctx, twin); !errors.Is(err, reference.ErrCodeTaken) {
			t.Errorf("Create(same code) = %v, want ErrCodeTaken", err)
		}
		asSize, _ := reference.New(reference.Fields{ID: newID(), Kind: reference.Sizes, Code: "dried", Name: name})
		if err := r.Reference.Create(ctx, asSize); err != nil {
			t.Errorf("Create(same code in another list) = %v, want nil", err)
		}
		samarkand := seedID(t, reference.Cities, "samarkand")
		d, _ := reference.New(reference.Fields{ID: newID(), Kind: reference.Districts, CityID: samarkand, Code: "chilanzar", Name: name})
		if err := r.Reference.Create(ctx, d); err != nil {
			t.Errorf("Create(a Tashkent district's code in Samarkand) = %v, want nil", err)
		}
		orphan, _ := reference.New(reference.Fields{ID: newID(), Kind: reference.Districts, CityID: newID(), Code: "x", Name: name})
		if err := r.Reference.Create(ctx, orphan); !errors.Is(err, reference.ErrNotFound) {
			t.Errorf("Create(district of an unknown city) = %v, want ErrNotFound", err)
		}
		code := "freshest"
		if _, err := r.Reference.Update(ctx, reference.Conditions, dried.ID(), func(it *reference.Item) error {
			return it.Edit(reference.Change{Code: &code})
		}); !errors.Is(err, reference.ErrCodeTaken) {
			t.Errorf("Update(to a taken code) = %v, want ErrCodeTaken", err)
		}
		if _, err := r.Reference.Get(ctx, reference.Sizes, dried.ID()); !errors.Is(err, reference.ErrNotFound) {
			t.Errorf("Get(condition id as a size) = %v, want ErrNotFound", err)
		}
	})
	t.Run("an item in use by a product of any status cannot be deleted", func(t *testing.T) {
		seller := NewUser(t, r, 700, user.RoleUser)
		cat := NewCategory(t, r, "ref")
		p := listed(t, r, cat, seller, "Dried roses", 1, 100, product.StatusArchived, 0)
		if _, err := r.Products.Update(ctx, p.ID(), func(p *product.Product) error {
			f := p.Fields()
			f.Class.ConditionID = dried.ID()
			*p = *product.Rehydrate(f)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := r.Reference.Delete(ctx, reference.Conditions, dried.ID()); !errors.Is(err, reference.ErrInUse) {
			t.Errorf("Delete(used by an archived product) = %v, want ErrInUse", err)
		}
		if err := r.Reference.Delete(ctx, reference.Cities, reference.TashkentCityID); !errors.Is(err, reference.ErrInUse) {
			t.Errorf("Delete(a city with districts) = %v, want ErrInUse", err)
		}
		unused := seedID(t, reference.Sizes, "huge")
		if err := r.Reference.Delete(ctx, reference.Sizes, unused); err != nil {
			t.Errorf("Delete(unused) = %v, want nil", err)
		}
		if _, err := r.Reference.Get(ctx, reference.Sizes, unused); !errors.Is(err, reference.ErrNotFound) {
			t.Errorf("Get(deleted) = %v, want ErrNotFound", err)
		}
	})
	t.Run("a product's district must lie in its city", func(t *testing.T) {
		seller := NewUser(t, r, 701, user.RoleUser)
		cat := NewCategory(t, r, "place")
		class := SeedClass()
		class.CityID = seedID(t, reference.Cities, "samarkand")
		class.DistrictID = seedID(t, reference.Districts, "yunusabad")
		p, err := product.New(product.NewParams{ID: newID(), Slug: "p-" + newID(), Title: uzText("Lola"), Class: class, Price: 1,
			Quantity: 1, CategoryID: cat.ID(), SellerID: seller.ID()}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Products.Create(ctx, p); domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("Create(Yunusabad in Samarkand) = %v, want a validation error", err)
		}
	})
}

func testLocalizedProducts(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	r := newStore(t).Repos()
	seller := NewUser(t, r, 710, user.RoleUser)
	other := NewUser(t, r, 711, user.RoleUser)
	cat := NewCategory(t, r, "multi")
	create := func(by *user.User, title, desc map[i18n.Locale]string) (*product.Product, error) {
		id := newID()
		p, err := product.New(product.NewParams{ID: id, Slug: "p-" + id, Title: i18n.Rehydrate(title),
			Description: i18n.Rehydrate(desc), Class: SeedClass(), Price: 1, Quantity: 1, CategoryID: cat.ID(),
			SellerID: by.ID(), Publish: true}, t0)
		if err != nil {
			t.Fatal(err)
		}
		return p, r.Products.Create(ctx, p)
	}
	roses, err := create(seller, map[i18n.Locale]string{i18n.Uzbek: "Qizil atirgullar", i18n.Russian: "Красные розы"},
		map[i18n.Locale]string{i18n.English: "Fresh from an O‘zbek garden"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := create(seller, map[i18n.Locale]string{i18n.Uzbek: "Oq lolalar", i18n.English: "Атиргул bouquet"}, nil); err != nil {
		t.Fatal(err)
	}
	t.Run("read back in every locale", func(t *testing.T) {
		got, err := r.Products.Get(ctx, roses.ID())
		if err != nil || got.Title() != roses.Title() || got.Description() != roses.Description() {
			t.Fatalf("Get = %v, %v; want the stored texts %v", got.Title().Map(), err, roses.Title().Map())
		}
	})
	t.Run("a title equal in one locale is a duplicate", func(t *testing.T) {
		if _, err := create(seller, map[i18n.Locale]string{i18n.Russian: "КРАСНЫЕ РОЗЫ", i18n.English: "Red roses"}, nil); !errors.Is(err, product.ErrDuplicate) {
			t.Errorf("Create(same Russian title) = %v, want ErrDuplicate", err)
		}
		if _, err := create(seller, map[i18n.Locale]string{i18n.English: "Qizil atirgullar"}, nil); err != nil {
			t.Errorf("Create(the Uzbek title as English) = %v, want nil (titles compare per locale)", err)
		}
		if _, err := create(other, map[i18n.Locale]string{i18n.Russian: "Красные розы"}, nil); err != nil {
			t.Errorf("Create(another seller's title) = %v, want nil", err)
		}
	})
	active := ports.ProductFilter{Statuses: []product.Status{product.StatusActive}, CategoryID: cat.ID()}
	for _, tc := range []struct {
		q    string
		want int
	}{
		{"атиргул", 1}, {"Атиргул", 1}, {"atirgul", 2}, {"ATIRG", 2}, {"красн роз", 2},
		{"o'zbek", 1}, {"o‘zbek", 1}, {"oʻzbek", 1}, {"o’zbek", 1}, {"o`zbek", 1}, {"ozbek", 1},
		{"lola", 1}, {"ola", 0}, {"roses tulips", 0}, {"qizil garden", 1}, {"ёлка", 0},
	} {
		t.Run(fmt.Sprintf("search %q", tc.q), func(t *testing.T) {
			f := active
			f.Query = i18n.SearchWords(tc.q)
			_, total, err := r.Products.List(ctx, f, ports.Sort{Field: ports.SortCreatedAt}, ports.Page{Number: 1, Limit: 10})
			if err != nil || total.Total != tc.want {
				t.Errorf("List(q=%q) total = %d, %v; want %d", tc.q, total.Total, err, tc.want)
			}
		})
	}
	t.Run("classification filters", func(t *testing.T) {
		f := active
		f.Class = product.Classification{ConditionID: SeedClass().ConditionID, CityID: seedID(t, reference.Cities, "bukhara")}
		if _, total, err := r.Products.List(ctx, f, ports.Sort{Field: ports.SortCreatedAt}, ports.Page{Number: 1, Limit: 10}); err != nil || total.Total != 0 {
			t.Errorf("List(city Bukhara) total = %d, %v; want 0", total.Total, err)
		}
		f.Class.CityID = ""
		if _, total, err := r.Products.List(ctx, f, ports.Sort{Field: ports.SortCreatedAt}, ports.Page{Number: 1, Limit: 10}); err != nil || total.Total != 4 {
			t.Errorf("List(condition) total = %d, %v; want 4", total.Total, err)
		}
	})
}
