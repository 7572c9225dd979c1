package memory

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/reference"
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

// titleKeys are the keys of the one-live-product-per-title rule, one per
// locale of the title.
func titleKeys(f product.Fields) []string {
	var out []string
	for _, l := range i18n.Locales() {
		if t, ok := f.Title.Get(l); ok {
			out = append(out, f.SellerID+"\x00"+string(l)+"\x00"+strings.ToLower(t))
		}
	}
	return out
}

// claimTitles records f's titles as live, or returns product.ErrDuplicate
// when another live product of the seller has one of them.
func claimTitles(db *data, log *session, f product.Fields) error {
	for _, k := range titleKeys(f) {
		if _, dup := db.liveTitles[k]; dup {
			return product.ErrDuplicate
		}
	}
	for _, k := range titleKeys(f) {
		db.liveTitles.put(log, k, f.ID)
	}
	return nil
}

// checkClass returns a validation error naming the first reference id of
// c that is not in its list, as the foreign keys of Postgres do.
func checkClass(db *data, c product.Classification) error {
	for _, ref := range []struct {
		field, id string
		kind      reference.Kind
	}{
		{"conditionId", c.ConditionID, reference.Conditions}, {"sizeId", c.SizeID, reference.Sizes},
		{"cityId", c.CityID, reference.Cities}, {"districtId", c.DistrictID, reference.Districts},
	} {
		if ref.id == "" {
			continue
		}
		if it, ok := db.reference[ref.id]; !ok || it.Kind != ref.kind {
			return domain.Invalid(ref.field, "does not exist")
		}
	}
	if c.DistrictID != "" && db.reference[c.DistrictID].CityID != c.CityID {
		return domain.Invalid("districtId", "must be a district of cityId")
	}
	return nil
}

func (r *productRepo) Create(ctx context.Context, p *product.Product) error {
	f := p.Fields()
	return r.se.do(func(db *data, log *session) error {
		if err := checkStock(f); err != nil {
			return err
		}
		if _, taken := db.productBySlug[f.Slug]; taken {
			return product.ErrSlugTaken
		}
		if _, ok := db.categories[f.CategoryID]; !ok {
			return category.ErrNotFound
		}
		if err := checkClass(db, f.Class); err != nil {
			return err
		}
		if err := attachImages(db, log, product.Fields{}, f); err != nil {
			return err
		}
		if f.Status != product.StatusArchived {
			if err := claimTitles(db, log, f); err != nil {
				return err
			}
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
		if err := checkStock(f); err != nil {
			return err
		}
		if _, inAuction := db.activeAuctions[id]; inAuction && (f.Status != product.StatusActive || f.Quantity < 1) {
			// An open auction needs its product ACTIVE with an item to sell
			// (the trigger products_in_open_auction in Postgres).
			return product.ErrInvalidState
		}
		if f.Class != old.Class {
			if err := checkClass(db, f.Class); err != nil {
				return err
			}
		}
		if old.Status != product.StatusArchived {
			for _, k := range titleKeys(old) {
				db.liveTitles.del(log, k)
			}
		}
		if f.Status != product.StatusArchived {
			if err := claimTitles(db, log, f); err != nil {
				return err
			}
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
		if err := attachImages(db, log, old, f); err != nil {
			return err
		}
		db.products.put(log, f.ID, f)
		out = p
		return nil
	})
	return out, err
}

// Reserve applies order.Orderable and takes the stock under the store's
// lock, so racing reservations see each other's changes.
func (r *productRepo) Reserve(ctx context.Context, id string, qty int, buyerID string, now time.Time) (*product.Product, error) {
	var out *product.Product
	err := r.se.do(func(db *data, log *session) error {
		old, ok := db.products[id]
		if !ok {
			return product.ErrNotAvailable
		}
		p := product.Rehydrate(old)
		_, inAuction := db.activeAuctions[id]
		if err := order.Orderable(p, buyerID, inAuction, qty); err != nil {
			return err
		}
		if err := p.Reserve(qty, now); err != nil {
			return err
		}
		f := p.Fields()
		if err := checkStock(f); err != nil {
			return err
		}
		db.products.put(log, f.ID, f)
		out = p
		return nil
	})
	return out, err
}

// checkStock is the memory twin of the products table's CHECK (quantity
// BETWEEN 0 AND 1000000): a bug in Go that would store stock out of range
// fails here as it would in Postgres.
func checkStock(f product.Fields) error {
	if f.Quantity < 0 || f.Quantity > product.MaxQuantity {
		return fmt.Errorf("memory: product %s: quantity %d violates 0..%d", f.ID, f.Quantity, product.MaxQuantity)
	}
	return nil
}
