package memory

import (
	"context"
	"strings"

	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/ports"
)

var (
	_ ports.CategoryRepository = (*categoryRepo)(nil)
	_ ports.ProductRepository  = (*productRepo)(nil)
)

type categoryRepo struct{ se *session }

func (r *categoryRepo) Create(ctx context.Context, c *category.Category) error {
	f := c.Fields()
	return r.se.do(func(db *data, log *session) error {
		if _, taken := db.categoryBySlug[f.Slug]; taken {
			return category.ErrSlugTaken
		}
		if _, ok := db.categories[f.ParentID]; f.ParentID != "" && !ok {
			return category.ErrNotFound
		}
		db.categories.put(log, f.ID, f)
		db.categoryBySlug.put(log, f.Slug, f.ID)
		return nil
	})
}

func (r *categoryRepo) Get(ctx context.Context, id string) (*category.Category, error) {
	var out *category.Category
	err := r.se.do(func(db *data, _ *session) error {
		f, ok := db.categories[id]
		if !ok {
			return category.ErrNotFound
		}
		out = category.Rehydrate(f)
		return nil
	})
	return out, err
}

type productRepo struct{ se *session }

// titleKey is the key of the one-live-product-per-title rule.
func titleKey(f product.Fields) string { return f.SellerID + "\x00" + strings.ToLower(f.Title) }

func (r *productRepo) Create(ctx context.Context, p *product.Product) error {
	f := p.Fields()
	return r.se.do(func(db *data, log *session) error {
		if _, taken := db.productBySlug[f.Slug]; taken {
			return product.ErrSlugTaken
		}
		if _, ok := db.categories[f.CategoryID]; !ok {
			return category.ErrNotFound
		}
		if f.Status != product.StatusArchived {
			if _, dup := db.liveTitles[titleKey(f)]; dup {
				return product.ErrDuplicate
			}
			db.liveTitles.put(log, titleKey(f), f.ID)
		}
		db.products.put(log, f.ID, f)
		db.productBySlug.put(log, f.Slug, f.ID)
		return nil
	})
}

func (r *productRepo) Get(ctx context.Context, id string) (*product.Product, error) {
	var out *product.Product
	err := r.se.do(func(db *data, _ *session) error {
		f, ok := db.products[id]
		if !ok {
			return product.ErrNotFound
		}
		out = product.Rehydrate(f)
		return nil
	})
	return out, err
}

func (r *productRepo) GetBySlug(ctx context.Context, slug string) (*product.Product, error) {
	var out *product.Product
	err := r.se.do(func(db *data, _ *session) error {
		id, ok := db.productBySlug[slug]
		if !ok {
			return product.ErrNotFound
		}
		out = product.Rehydrate(db.products[id])
		return nil
	})
	return out, err
}

func (r *productRepo) Update(ctx context.Context, id string, fn func(*product.Product) error) (*product.Product, error) {
	var out *product.Product
	err := r.se.do(func(db *data, log *session) error {
		old, ok := db.products[id]
		if !ok {
			return product.ErrNotFound
		}
		p := product.Rehydrate(old)
		if err := fn(p); err != nil {
			return err
		}
		f := p.Fields()
		if _, inAuction := db.activeAuctions[id]; inAuction && (f.Status != product.StatusActive || f.Quantity < 1) {
			// An open auction needs its product ACTIVE with an item to sell
			// (the trigger products_in_open_auction in Postgres).
			return product.ErrInvalidState
		}
		if old.Status != product.StatusArchived {
			db.liveTitles.del(log, titleKey(old))
		}
		if f.Status != product.StatusArchived {
			if _, dup := db.liveTitles[titleKey(f)]; dup {
				return product.ErrDuplicate
			}
			db.liveTitles.put(log, titleKey(f), f.ID)
		}
		if f.Slug != old.Slug {
			if _, taken := db.productBySlug[f.Slug]; taken {
				return product.ErrSlugTaken
			}
			db.productBySlug.del(log, old.Slug)
			db.productBySlug.put(log, f.Slug, f.ID)
		}
		if f.CategoryID != old.CategoryID {
			if _, ok := db.categories[f.CategoryID]; !ok {
				return category.ErrNotFound
			}
		}
		db.products.put(log, f.ID, f)
		out = p
		return nil
	})
	return out, err
}
