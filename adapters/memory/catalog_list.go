package memory

import (
	"context"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/ports"
)

var _ ports.ProductUsage = (*productUsage)(nil)

type productUsage struct{ se *session }

// openOrder reports whether an order in status s still needs its product.
func openOrder(s order.Status) bool {
	return s != order.StatusDelivered && s != order.StatusCancelled
}

func (u *productUsage) InUse(ctx context.Context, productID string) (bool, error) {
	var inUse bool
	err := u.se.do(func(db *data, _ *session) error {
		for _, o := range db.orders {
			if o.ProductID == productID && openOrder(o.Status) {
				inUse = true
				return nil
			}
		}
		return nil
	})
	return inUse, err
}

func (r *categoryRepo) List(ctx context.Context, f ports.CategoryFilter, p ports.Page) ([]*category.Category, ports.Listed, error) {
	var all []category.Fields
	_ = r.se.do(func(db *data, _ *session) error {
		for _, c := range db.categories {
			if f.ActiveOnly && !c.Active {
				continue
			}
			all = append(all, c)
		}
		return nil
	})
	page, l := ports.PageOf(all, p, false, func(c category.Fields) ports.Position {
		return ports.Position{Int: int64(c.Position), Text: c.Name.First(), ID: c.ID}
	})
	out := make([]*category.Category, 0, len(page))
	for _, c := range page {
		out = append(out, category.Rehydrate(c))
	}
	return out, l, nil
}

func (r *categoryRepo) Update(ctx context.Context, id string, fn func(*category.Category) error) (*category.Category, error) {
	var out *category.Category
	err := r.se.do(func(db *data, log *session) error {
		old, ok := db.categories[id]
		if !ok {
			return category.ErrNotFound
		}
		c := category.Rehydrate(old)
		if err := fn(c); err != nil {
			return err
		}
		f := c.Fields()
		if f.ParentID != "" {
			if _, ok := db.categories[f.ParentID]; !ok {
				return category.ErrNotFound
			}
		}
		if f.Slug != old.Slug {
			if _, taken := db.categoryBySlug[f.Slug]; taken {
				return category.ErrSlugTaken
			}
			db.categoryBySlug.del(log, old.Slug)
			db.categoryBySlug.put(log, f.Slug, f.ID)
		}
		db.categories.put(log, f.ID, f)
		out = c
		return nil
	})
	return out, err
}

func (r *categoryRepo) Delete(ctx context.Context, id string) error {
	return r.se.do(func(db *data, log *session) error {
		old, ok := db.categories[id]
		if !ok {
			return category.ErrNotFound
		}
		for _, c := range db.categories {
			if c.ParentID == id {
				return category.ErrInUse
			}
		}
		for _, p := range db.products {
			if p.CategoryID == id {
				return category.ErrInUse
			}
		}
		db.categories.del(log, id)
		db.categoryBySlug.del(log, old.Slug)
		return nil
	})
}

// errUnknownSort is the validation error for a sort field List does not
// know.
var errUnknownSort = domain.Invalid("sort", "must be createdAt or price, optionally prefixed with -")

func (r *productRepo) List(ctx context.Context, f ports.ProductFilter, s ports.Sort, p ports.Page) ([]*product.Product, ports.Listed, error) {
	if s.Field != ports.SortCreatedAt && s.Field != ports.SortPrice {
		return nil, ports.Listed{}, errUnknownSort
	}
	var all []product.Fields
	_ = r.se.do(func(db *data, _ *session) error {
		var cats map[string]bool
		if f.CategoryID != "" {
			cats = subtree(db, f.CategoryID)
		}
		for _, pf := range db.products {
			switch {
			case !statusIn(pf.Status, f.Statuses),
				f.ExcludeBlockedSellers && pf.SellerBlocked,
				cats != nil && !cats[pf.CategoryID],
				f.SellerID != "" && pf.SellerID != f.SellerID,
				f.MinPrice != nil && pf.Price < *f.MinPrice,
				f.MaxPrice != nil && pf.Price > *f.MaxPrice,
				!classMatches(f.Class, pf.Class),
				len(f.Query) > 0 && !i18n.Matches(f.Query, append(pf.Title.Values(), pf.Description.Values()...)...),
				f.InStock && pf.Quantity <= 0:
				continue
			}
			all = append(all, pf)
		}
		return nil
	})
	page, l := ports.PageOf(all, p, s.Desc, func(pf product.Fields) ports.Position {
		pos := ports.Position{Time: pf.CreatedAt, ID: pf.ID}
		if s.Field == ports.SortPrice {
			pos.Int = pf.Price
		}
		return pos
	})
	out := make([]*product.Product, 0, len(page))
	for _, pf := range page {
		out = append(out, product.Rehydrate(pf))
	}
	return out, l, nil
}

// classMatches reports whether c has every non-empty id of want.
func classMatches(want, c product.Classification) bool {
	return (want.ConditionID == "" || want.ConditionID == c.ConditionID) &&
		(want.SizeID == "" || want.SizeID == c.SizeID) &&
		(want.CityID == "" || want.CityID == c.CityID) &&
		(want.DistrictID == "" || want.DistrictID == c.DistrictID)
}

// subtree returns the ids of the category id and of every category below
// it.
func subtree(db *data, id string) map[string]bool {
	children := map[string][]string{}
	for _, c := range db.categories {
		if c.ParentID != "" {
			children[c.ParentID] = append(children[c.ParentID], c.ID)
		}
	}
	out := map[string]bool{}
	queue := []string{id}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if out[c] {
			continue
		}
		out[c] = true
		queue = append(queue, children[c]...)
	}
	return out
}
