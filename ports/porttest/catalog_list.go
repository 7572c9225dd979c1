package porttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// newChild stores an active category below parent.
func newChild(t *testing.T, r ports.Repos, parent *category.Category, name string, position int) *category.Category {
	t.Helper()
	c, err := category.New(newID(), uzText(name), fmt.Sprintf("%s-%s", name, newID()[24:]), parent.ID(), position, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Categories.Create(context.Background(), c); err != nil {
		t.Fatalf("Categories.Create(child): %v", err)
	}
	return c
}

// listed stores a product with the given status, created at t0+offset.
func listed(t *testing.T, r ports.Repos, cat *category.Category, seller *user.User, title string, qty int, price int64, status product.Status, offset time.Duration) *product.Product {
	t.Helper()
	id := newID()
	p, err := product.New(product.NewParams{ID: id, Slug: "p-" + id, Title: uzText(title), Class: SeedClass(), Price: price, Quantity: qty,
		CategoryID: cat.ID(), SellerID: seller.ID(), Publish: true}, t0.Add(offset))
	if err != nil {
		t.Fatal(err)
	}
	f := p.Fields()
	f.Status = status
	p = product.Rehydrate(f)
	if err := r.Products.Create(context.Background(), p); err != nil {
		t.Fatalf("Products.Create: %v", err)
	}
	return p
}

func ids(ps []*product.Product) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Title().In(i18n.Uzbek))
	}
	return out
}

func testCategoryWrites(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t)
	r := st.Repos()
	root := NewCategory(t, r, "flowers")
	child := newChild(t, r, root, "roses", 2)
	_ = newChild(t, r, root, "tulips", 1)

	t.Run("a child of a missing parent is not found", func(t *testing.T) {
		c, _ := category.New(newID(), uzText("orphan"), "orphan", newID(), 0, t0)
		if err := r.Categories.Create(ctx, c); !errors.Is(err, category.ErrNotFound) {
			t.Errorf("Create(orphan) = %v, want category.ErrNotFound", err)
		}
	})
	t.Run("list is ordered by position and counts the total", func(t *testing.T) {
		got, total, err := r.Categories.List(ctx, ports.CategoryFilter{ActiveOnly: true}, ports.Page{Number: 1, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if total.Total != 3 || len(got) != 2 || got[0].Name().In(i18n.Uzbek) != "flowers" || got[1].Name().In(i18n.Uzbek) != "tulips" {
			t.Errorf("List page 1 = %d items (total %d), first %v, want flowers, tulips of 3", len(got), total.Total, got)
		}
	})
	t.Run("update renames and deactivates; inactive categories leave the active list", func(t *testing.T) {
		name, slug, off := "Red roses", "red-roses", false
		got, err := r.Categories.Update(ctx, child.ID(), func(c *category.Category) error {
			return c.Edit(category.Change{Name: i18n.Patch{i18n.Uzbek: &name}, Slug: &slug, Active: &off}, t0)
		})
		if err != nil || got.Name().In(i18n.Uzbek) != name || got.Active() {
			t.Fatalf("Update = %v, %v; want renamed and inactive", got, err)
		}
		_, total, _ := r.Categories.List(ctx, ports.CategoryFilter{ActiveOnly: true}, ports.Page{Number: 1, Limit: 10})
		if total.Total != 2 {
			t.Errorf("active total = %d, want 2", total.Total)
		}
		_, total, _ = r.Categories.List(ctx, ports.CategoryFilter{}, ports.Page{Number: 1, Limit: 10})
		if total.Total != 3 {
			t.Errorf("total = %d, want 3", total.Total)
		}
	})
	t.Run("update to a taken slug is a conflict and stores nothing", func(t *testing.T) {
		taken := root.Slug()
		if _, err := r.Categories.Update(ctx, child.ID(), func(c *category.Category) error {
			return c.Edit(category.Change{Slug: &taken}, t0)
		}); !errors.Is(err, category.ErrSlugTaken) {
			t.Fatalf("Update(taken slug) = %v, want category.ErrSlugTaken", err)
		}
		if got, _ := r.Categories.Get(ctx, child.ID()); got.Slug() != "red-roses" {
			t.Errorf("slug after failed update = %q, want red-roses", got.Slug())
		}
	})
	t.Run("update to a missing parent is not found", func(t *testing.T) {
		missing := newID()
		if _, err := r.Categories.Update(ctx, child.ID(), func(c *category.Category) error {
			return c.Edit(category.Change{ParentID: &missing}, t0)
		}); !errors.Is(err, category.ErrNotFound) {
			t.Errorf("Update(missing parent) = %v, want category.ErrNotFound", err)
		}
	})
	t.Run("delete refuses a category with children or products", func(t *testing.T) {
		if err := r.Categories.Delete(ctx, root.ID()); !errors.Is(err, category.ErrInUse) {
			t.Errorf("Delete(parent) = %v, want category.ErrInUse", err)
		}
		seller := NewUser(t, r, 30, user.RoleUser)
		listed(t, r, child, seller, "Archived one", 1, 1, product.StatusArchived, 0)
		if err := r.Categories.Delete(ctx, child.ID()); !errors.Is(err, category.ErrInUse) {
			t.Errorf("Delete(with archived product) = %v, want category.ErrInUse", err)
		}
	})
	t.Run("delete removes an unused category", func(t *testing.T) {
		lone := NewCategory(t, r, "lone")
		if err := r.Categories.Delete(ctx, lone.ID()); err != nil {
			t.Fatalf("Delete = %v", err)
		}
		if _, err := r.Categories.Get(ctx, lone.ID()); !errors.Is(err, category.ErrNotFound) {
			t.Errorf("Get(deleted) = %v, want category.ErrNotFound", err)
		}
		if err := r.Categories.Delete(ctx, lone.ID()); !errors.Is(err, category.ErrNotFound) {
			t.Errorf("Delete(deleted) = %v, want category.ErrNotFound", err)
		}
	})
}

func testProductList(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t)
	r := st.Repos()
	alice := NewUser(t, r, 40, user.RoleUser)
	bob := NewUser(t, r, 41, user.RoleUser)
	flowers := NewCategory(t, r, "flowers")
	roses := newChild(t, r, flowers, "roses", 0)
	wild := newChild(t, r, roses, "wild", 0)
	pots := NewCategory(t, r, "pots")

	listed(t, r, flowers, alice, "Bouquet", 3, 300, product.StatusActive, 1*time.Minute)
	listed(t, r, roses, alice, "Красные розы", 0, 100, product.StatusActive, 2*time.Minute)
	listed(t, r, wild, bob, "Wild rose", 5, 200, product.StatusActive, 3*time.Minute)
	listed(t, r, pots, bob, "Clay pot", 1, 50, product.StatusActive, 4*time.Minute)
	listed(t, r, roses, bob, "Pending rose", 1, 100, product.StatusPending, 5*time.Minute)
	listed(t, r, roses, bob, "Archived rose", 1, 100, product.StatusArchived, 6*time.Minute)

	active := ports.ProductFilter{Statuses: []product.Status{product.StatusActive}}
	newest := ports.Sort{Field: ports.SortCreatedAt, Desc: true}
	all := ports.Page{Number: 1, Limit: 100}
	p := func(v int64) *int64 { return &v }
	with := func(f func(*ports.ProductFilter)) ports.ProductFilter { c := active; f(&c); return c }

	tests := []struct {
		name string
		f    ports.ProductFilter
		s    ports.Sort
		page ports.Page
		want []string
		tot  int
	}{
		{"active, newest first", active, newest, all, []string{"Clay pot", "Wild rose", "Красные розы", "Bouquet"}, 4},
		{"category includes sub-categories at any depth", with(func(f *ports.ProductFilter) { f.CategoryID = flowers.ID() }), newest, all, []string{"Wild rose", "Красные розы", "Bouquet"}, 3},
		{"leaf category", with(func(f *ports.ProductFilter) { f.CategoryID = wild.ID() }), newest, all, []string{"Wild rose"}, 1},
		{"unknown category matches nothing", with(func(f *ports.ProductFilter) { f.CategoryID = newID() }), newest, all, []string{}, 0},
		{"seller", with(func(f *ports.ProductFilter) { f.SellerID = alice.ID() }), newest, all, []string{"Красные розы", "Bouquet"}, 2},
		{"price range is inclusive", with(func(f *ports.ProductFilter) { f.MinPrice, f.MaxPrice = p(100), p(200) }), newest, all, []string{"Wild rose", "Красные розы"}, 2},
		{"title search ignores case (latin)", with(func(f *ports.ProductFilter) { f.Query = i18n.SearchWords("ROSE") }), newest, all, []string{"Wild rose"}, 1},
		{"title search ignores case (cyrillic)", with(func(f *ports.ProductFilter) { f.Query = i18n.SearchWords("РОЗЫ") }), newest, all, []string{"Красные розы"}, 1},
		{"search matches word prefixes, not inner substrings", with(func(f *ports.ProductFilter) { f.Query = i18n.SearchWords("ose") }), newest, all, []string{}, 0},
		{"in stock", with(func(f *ports.ProductFilter) { f.InStock = true }), newest, all, []string{"Clay pot", "Wild rose", "Bouquet"}, 3},
		{"price ascending", active, ports.Sort{Field: ports.SortPrice}, all, []string{"Clay pot", "Красные розы", "Wild rose", "Bouquet"}, 4},
		{"price descending", active, ports.Sort{Field: ports.SortPrice, Desc: true}, all, []string{"Bouquet", "Wild rose", "Красные розы", "Clay pot"}, 4},
		{"oldest first, page 2 of 3 per page", active, ports.Sort{Field: ports.SortCreatedAt}, ports.Page{Number: 2, Limit: 3}, []string{"Clay pot"}, 4},
		{"page past the end is empty", active, newest, ports.Page{Number: 9, Limit: 3}, []string{}, 4},
		{"every status", ports.ProductFilter{CategoryID: roses.ID()}, newest, all, []string{"Archived rose", "Pending rose", "Wild rose", "Красные розы"}, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, total, err := r.Products.List(ctx, tc.f, tc.s, tc.page)
			if err != nil {
				t.Fatalf("List = %v", err)
			}
			if fmt.Sprint(ids(got)) != fmt.Sprint(tc.want) || total.Total != tc.tot {
				t.Errorf("List = %v (total %d), want %v (total %d)", ids(got), total.Total, tc.want, tc.tot)
			}
		})
	}
	t.Run("unknown sort field is a validation error", func(t *testing.T) {
		if _, _, err := r.Products.List(ctx, active, ports.Sort{Field: "title"}, all); domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("List(sort=title) = %v, want a validation error", err)
		}
	})
}

func testProductCreateRaces(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t)
	r := st.Repos()
	seller := NewUser(t, r, 50, user.RoleUser)
	cat := NewCategory(t, r, "race")

	race := func(t *testing.T, n int, mk func(i int) *product.Product, loser error) {
		t.Helper()
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			won      int
			failures []error
		)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			p := mk(i)
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				err := r.Products.Create(ctx, p)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case !errors.Is(err, loser):
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
			t.Fatalf("%d concurrent creates succeeded, want exactly 1", won)
		}
	}
	t.Run("same seller, same title: exactly one of 10 concurrent creates wins", func(t *testing.T) {
		race(t, 10, func(i int) *product.Product {
			id := newID()
			p, _ := product.New(product.NewParams{ID: id, Slug: "twin-" + id, Title: uzText("Twin roses"), Class: SeedClass(), Price: 1, Quantity: 1,
				CategoryID: cat.ID(), SellerID: seller.ID()}, t0)
			return p
		}, product.ErrDuplicate)
	})
	t.Run("same slug: exactly one of 10 concurrent creates wins", func(t *testing.T) {
		race(t, 10, func(i int) *product.Product {
			p, _ := product.New(product.NewParams{ID: newID(), Slug: "same-slug", Title: uzText(fmt.Sprintf("Title %d", i)), Class: SeedClass(), Price: 1, Quantity: 1,
				CategoryID: cat.ID(), SellerID: seller.ID()}, t0)
			return p
		}, product.ErrSlugTaken)
	})
	t.Run("renaming to another live title of the seller is a duplicate and stores nothing", func(t *testing.T) {
		other := listed(t, r, cat, seller, "Daisies", 1, 1, product.StatusActive, 0)
		title := "twin ROSES"
		if _, err := r.Products.Update(ctx, other.ID(), func(p *product.Product) error {
			return p.Edit(user.Actor{UserID: seller.ID(), Role: user.RoleUser}, product.Change{Title: i18n.Patch{i18n.Uzbek: &title}}, true, t0)
		}); !errors.Is(err, product.ErrDuplicate) {
			t.Fatalf("Update(rename to a live title) = %v, want product.ErrDuplicate", err)
		}
		if got, _ := r.Products.Get(ctx, other.ID()); got.Title().In(i18n.Uzbek) != "Daisies" || got.Status() != product.StatusActive {
			t.Errorf("after failed rename: %q %s, want Daisies ACTIVE", got.Title().In(i18n.Uzbek), got.Status())
		}
	})
	t.Run("a product without orders is not in use", func(t *testing.T) {
		if r.ProductUsage == nil {
			t.Fatal("Repos.ProductUsage is nil, want the store's implementation")
		}
		p := listed(t, r, cat, seller, "Unordered", 1, 1, product.StatusActive, 0)
		if inUse, err := r.ProductUsage.InUse(ctx, p.ID()); err != nil || inUse {
			t.Errorf("InUse = %v, %v; want false, nil", inUse, err)
		}
	})
	t.Run("archiving frees the title for a new listing", func(t *testing.T) {
		ps, _, _ := r.Products.List(ctx, ports.ProductFilter{Query: i18n.SearchWords("twin roses")}, ports.Sort{Field: ports.SortCreatedAt}, ports.Page{Number: 1, Limit: 10})
		if len(ps) != 1 {
			t.Fatalf("twin roses listed %d times, want 1", len(ps))
		}
		if _, err := r.Products.Update(ctx, ps[0].ID(), func(p *product.Product) error {
			return p.Archive(user.Actor{UserID: seller.ID(), Role: user.RoleUser}, t0)
		}); err != nil {
			t.Fatalf("archive: %v", err)
		}
		id := newID()
		again, _ := product.New(product.NewParams{ID: id, Slug: "twin-" + id, Title: uzText("Twin roses"), Class: SeedClass(), Price: 1, Quantity: 1,
			CategoryID: cat.ID(), SellerID: seller.ID()}, t0)
		if err := r.Products.Create(ctx, again); err != nil {
			t.Errorf("Create after archive = %v, want nil", err)
		}
	})
}
