package porttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/reference"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// uzText returns s as an Uzbek text, unchecked: the suites store what a
// service would have validated.
func uzText(s string) i18n.Localized { return i18n.Rehydrate(map[i18n.Locale]string{i18n.Uzbek: s}) }

// SeedClass returns the first seeded condition and size, which every store
// starts with (reference.Seed).
func SeedClass() product.Classification {
	var c product.Classification
	for _, f := range reference.Seed() {
		switch {
		case f.Kind == reference.Conditions && c.ConditionID == "":
			c.ConditionID = f.ID
		case f.Kind == reference.Sizes && c.SizeID == "":
			c.SizeID = f.ID
		}
	}
	return c
}

// NewCategory stores an active root category.
func NewCategory(t testing.TB, r ports.Repos, name string) *category.Category {
	t.Helper()
	c, err := category.New(newID(), uzText(name), fmt.Sprintf("%s-%s", name, newID()[24:]), "", 0, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Categories.Create(context.Background(), c); err != nil {
		t.Fatalf("Categories.Create: %v", err)
	}
	return c
}

// NewProduct stores an ACTIVE product of seller with the given stock and
// price.
func NewProduct(t testing.TB, r ports.Repos, cat *category.Category, seller *user.User, title string, qty int, price int64) *product.Product {
	t.Helper()
	id := newID()
	p, err := product.New(product.NewParams{ID: id, Slug: "p-" + id, Title: uzText(title), Class: SeedClass(), Price: price, Quantity: qty,
		CategoryID: cat.ID(), SellerID: seller.ID(), Publish: true}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Products.Create(context.Background(), p); err != nil {
		t.Fatalf("Products.Create: %v", err)
	}
	return p
}

func testCatalog(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t)
	r := st.Repos()
	seller := NewUser(t, r, 10, user.RoleUser)
	cat := NewCategory(t, r, "roses")

	if got, err := r.Categories.Get(ctx, cat.ID()); err != nil || !got.Active() {
		t.Fatalf("Categories.Get = %v, %v", got, err)
	}
	if _, err := r.Categories.Get(ctx, newID()); !errors.Is(err, category.ErrNotFound) {
		t.Errorf("Categories.Get(unknown) = %v, want category.ErrNotFound", err)
	}

	p := NewProduct(t, r, cat, seller, "Red roses", 5, 150000)
	got, err := r.Products.Get(ctx, p.ID())
	if err != nil || got.Quantity() != 5 || got.Price() != 150000 || got.Currency() != "UZS" || got.Status() != product.StatusActive {
		t.Fatalf("Products.Get = %+v, %v", got, err)
	}
	if got, err := r.Products.GetBySlug(ctx, p.Slug()); err != nil || got.ID() != p.ID() {
		t.Fatalf("GetBySlug = %v, %v", got, err)
	}
	if _, err := r.Products.Get(ctx, "nope"); !errors.Is(err, product.ErrNotFound) {
		t.Errorf("Get(nope) = %v, want product.ErrNotFound", err)
	}

	t.Run("stock out of range is refused by the store itself", func(t *testing.T) {
		// The domain never builds such a product; the store's own rule
		// (a CHECK in Postgres) is the backstop if Go ever did.
		for _, qty := range []int{-1, product.MaxQuantity + 1} {
			id := newID()
			f := product.Fields{ID: id, Slug: "bad-stock-" + id, Title: uzText(fmt.Sprintf("Bad stock %d", qty)), Class: SeedClass(),
				Price: 1, Currency: "UZS", Quantity: qty, CategoryID: cat.ID(), SellerID: seller.ID(), Status: product.StatusActive,
				CreatedAt: t0, UpdatedAt: t0}
			if err := r.Products.Create(ctx, product.Rehydrate(f)); err == nil {
				t.Errorf("Create(quantity %d) succeeded, want a refusal", qty)
			}
			if _, err := r.Products.Get(ctx, id); !errors.Is(err, product.ErrNotFound) {
				t.Errorf("after a refused Create(quantity %d), Get = %v, want product.ErrNotFound", qty, err)
			}
		}
		_, err := r.Products.Update(ctx, p.ID(), func(pr *product.Product) error {
			f := pr.Fields()
			f.Quantity = -3
			*pr = *product.Rehydrate(f)
			return nil
		})
		if err == nil {
			t.Error("Update to quantity -3 succeeded, want a refusal")
		}
		if got, _ := r.Products.Get(ctx, p.ID()); got.Quantity() != 5 {
			t.Errorf("stock after a refused Update = %d, want 5", got.Quantity())
		}
	})
	t.Run("same seller, same title (any case) is a duplicate", func(t *testing.T) {
		id := newID()
		twin, _ := product.New(product.NewParams{ID: id, Slug: "p-" + id, Title: uzText("RED ROSES"), Class: SeedClass(), Price: 1, Quantity: 1,
			CategoryID: cat.ID(), SellerID: seller.ID()}, t0)
		if err := r.Products.Create(ctx, twin); !errors.Is(err, product.ErrDuplicate) {
			t.Errorf("Create(duplicate title) = %v, want product.ErrDuplicate", err)
		}
	})
	t.Run("a taken slug is reported", func(t *testing.T) {
		other, _ := product.New(product.NewParams{ID: newID(), Slug: p.Slug(), Title: uzText("Tulips"), Class: SeedClass(), Price: 1, Quantity: 1,
			CategoryID: cat.ID(), SellerID: seller.ID()}, t0)
		if err := r.Products.Create(ctx, other); !errors.Is(err, product.ErrSlugTaken) {
			t.Errorf("Create(taken slug) = %v, want product.ErrSlugTaken", err)
		}
	})
	t.Run("a failed update stores nothing", func(t *testing.T) {
		if _, err := r.Products.Update(ctx, p.ID(), func(p *product.Product) error {
			_ = p.Reserve(2, t0)
			return errBoom
		}); !errors.Is(err, errBoom) {
			t.Fatalf("Update = %v, want fn's error", err)
		}
		if got, _ := r.Products.Get(ctx, p.ID()); got.Quantity() != 5 {
			t.Errorf("quantity after failed update = %d, want 5", got.Quantity())
		}
	})
	t.Run("20 goroutines, stock 1, exactly one wins", func(t *testing.T) {
		one := NewProduct(t, r, cat, seller, "Last bouquet", 1, 90000)
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			won      int
			failures []error
		)
		start := make(chan struct{})
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
					_, err := r.Products.Update(ctx, one.ID(), func(p *product.Product) error { return p.Reserve(1, t0) })
					return err
				})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case !errors.Is(err, product.ErrOutOfStock):
					failures = append(failures, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if len(failures) > 0 {
			t.Fatalf("unexpected errors: %v", failures)
		}
		if won != 1 {
			t.Fatalf("%d reservations of the last item succeeded, want 1", won)
		}
		if got, _ := r.Products.Get(ctx, one.ID()); got.Quantity() != 0 {
			t.Errorf("stock after the race = %d, want 0", got.Quantity())
		}
	})
}
