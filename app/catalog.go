package app

import (
	"context"
	"errors"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/slug"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// Errors of the catalogue's use cases.
var (
	// ErrAdminOnly refuses category management to anyone but admins.
	ErrAdminOnly = domain.New(domain.KindForbidden, domain.CodeForbidden, "only administrators may manage categories")
	// ErrStaffOnly refuses moderation to anyone but moderators and admins.
	ErrStaffOnly = domain.New(domain.KindForbidden, domain.CodeForbidden, "only moderators and administrators may moderate products")
	// ErrListForbidden refuses a list of other people's non-ACTIVE
	// products to anyone but staff.
	ErrListForbidden = domain.New(domain.KindForbidden, domain.CodeForbidden, "only staff may list other sellers' products in this status")
	// ErrListSignIn asks an anonymous caller to sign in before listing
	// non-ACTIVE products.
	ErrListSignIn = domain.New(domain.KindUnauthenticated, domain.CodeUnauthorized, "sign in to list products in this status")
	// ErrProductInUse refuses to archive a product an open order or a
	// running auction needs.
	ErrProductInUse = domain.New(domain.KindConflict, domain.CodeInvalidState, "the product is needed by an open order or auction")
)

// slugAttempts bounds the -2, -3, ... suffixes tried for a taken slug
// before falling back to a random suffix.
const slugAttempts = 20

// maxCategoryDepth bounds the walk up the tree when checking for cycles; a
// deeper tree is refused as invalid.
const maxCategoryDepth = 64

// CatalogService manages categories and products: listing, moderation,
// search and archiving.
type CatalogService struct {
	tx         ports.Transactor
	categories ports.CategoryRepository
	products   ports.ProductRepository
	media      ports.MediaRepository
	clock      ports.Clock
	refs       *ReferenceService
	moderation bool
}

func newCatalogService(tx ports.Transactor, categories ports.CategoryRepository, products ports.ProductRepository,
	media ports.MediaRepository, clock ports.Clock, moderation bool, refs *ReferenceService,
) *CatalogService {
	return &CatalogService{tx: tx, categories: categories, products: products, media: media, clock: clock,
		moderation: moderation, refs: refs}
}

// categoryEvent and productEvent describe a catalogue write for the
// relay; action names the use case.
func categoryEvent(by user.Actor, id, action string) event.Event {
	return event.New(event.CategoryChanged, by, event.SubjectCategory, id, "action", action)
}

// productEvent describes a change of p by by; a rejection carries its
// reason, for the seller's notification.
func productEvent(by user.Actor, p *product.Product, action string) event.Event {
	kv := []string{"action", action, "sellerId", p.SellerID(), "status", string(p.Status())}
	if action == "reject" {
		kv = append(kv, "reason", p.RejectionReason())
	}
	return event.New(event.ProductChanged, by, event.SubjectProduct, p.ID(), kv...)
}

// updateProduct runs fn on the product with id under its row lock and
// records the change, in one transaction. Moderation, and staff edits of
// other sellers' products, are audited.
func (s *CatalogService) updateProduct(ctx context.Context, by user.Actor, id, action string, fn func(r ports.Repos, p *product.Product) error) (*product.Product, error) {
	var out *product.Product
	err := s.tx.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		var before map[string]any
		p, err := r.Products.Update(ctx, id, func(p *product.Product) error {
			before = productFields(p)
			return fn(r, p)
		})
		if err != nil {
			return err
		}
		out = p
		e := productEvent(by, p, action)
		b, a := changed(before, productFields(p))
		switch {
		case len(a) == 0:
			// Nothing changed (archiving an archived product): no entry.
		case action == "approve" || action == "reject":
			e = audited(e, "product."+action, b, a)
		case by.IsStaff() && !by.Is(p.SellerID()):
			name := map[string]string{"edit": "product.update", "archive": "product.archive"}[action]
			if name != "" {
				e = audited(e, name, b, a)
			}
		}
		r.Events.Record(e)
		return nil
	})
	return out, err
}

// productFields are the audited fields of a product.
func productFields(p *product.Product) map[string]any {
	f := p.Fields()
	m := map[string]any{"title": f.Title, "description": f.Description, "price": f.Price, "currency": f.Currency,
		"quantity": f.Quantity, "categoryId": f.CategoryID, "status": f.Status}
	if f.RejectionReason != "" {
		m["rejectionReason"] = f.RejectionReason
	}
	return m
}

// categoryFields are the audited fields of a category.
func categoryFields(c *category.Category) map[string]any {
	return map[string]any{"name": c.Name(), "slug": c.Slug(), "parentId": c.ParentID(), "position": c.Position(),
		"isActive": c.Active()}
}

// NewCategory are the values of a category to create.
type NewCategory struct {
	Name     i18n.Localized
	ParentID string
	Position int
}

// CreateCategory stores a new active category. It returns ErrAdminOnly
// unless by is an admin, a validation error for bad values, and
// category.ErrNotFound when the parent does not exist. A name whose slug is
// taken gets a numbered slug.
func (s *CatalogService) CreateCategory(ctx context.Context, by user.Actor, nc NewCategory) (*category.Category, error) {
	if !by.CanManageCategories() {
		return nil, ErrAdminOnly
	}
	now := s.clock.Now()
	id := newID()
	if _, err := category.New(id, nc.Name, "x", nc.ParentID, nc.Position, now); err != nil {
		return nil, err
	}
	if nc.ParentID != "" {
		if _, err := s.categories.Get(ctx, nc.ParentID); err != nil {
			return nil, err
		}
	}
	base := slug.Make(nc.Name.First(), "category")
	for n := 1; ; n++ {
		sl := slug.WithSuffix(base, n)
		if n > slugAttempts {
			sl = base + "-" + id[len(id)-12:]
		}
		c, err := category.New(id, nc.Name, sl, nc.ParentID, nc.Position, now)
		if err != nil {
			return nil, err
		}
		// One transaction per attempt: a clash aborts the transaction.
		err = s.tx.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			if err := r.Categories.Create(ctx, c); err != nil {
				return err
			}
			r.Events.Record(audited(categoryEvent(by, id, "create"), "category.create", nil, categoryFields(c)))
			return nil
		})
		if errors.Is(err, category.ErrSlugTaken) && n <= slugAttempts {
			continue
		}
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// GetCategory returns the category with id. Inactive categories are
// category.ErrNotFound for everyone but admins.
func (s *CatalogService) GetCategory(ctx context.Context, viewer user.Actor, id string) (*category.Category, error) {
	c, err := s.categories.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !c.Active() && !viewer.CanManageCategories() {
		return nil, category.ErrNotFound
	}
	return c, nil
}

// ListCategories returns a page of the active categories and their total.
func (s *CatalogService) ListCategories(ctx context.Context, p ports.Page) ([]*category.Category, ports.Listed, error) {
	return s.categories.List(ctx, ports.CategoryFilter{ActiveOnly: true}, p)
}

// UpdateCategory edits a category. A new name gives a new slug. It returns
// ErrAdminOnly, category.ErrNotFound (the category or its new parent),
// category.ErrCycle when the new parent lies below the category,
// category.ErrSlugTaken when another category has the new name's slug, or
// a validation error.
func (s *CatalogService) UpdateCategory(ctx context.Context, by user.Actor, id string, ch category.Change) (*category.Category, error) {
	if !by.CanManageCategories() {
		return nil, ErrAdminOnly
	}
	if ch.Empty() {
		return nil, category.ErrEmptyChange
	}
	if ch.Name != nil {
		cur, err := s.categories.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		name, err := cur.Name().Merge(ch.Name, category.NameRule)
		if err != nil {
			return nil, err
		}
		sl := slug.Make(name.First(), "category")
		ch.Slug = &sl
	}
	if ch.ParentID != nil && *ch.ParentID != "" {
		if err := s.checkNoCycle(ctx, id, *ch.ParentID); err != nil {
			return nil, err
		}
	}
	now := s.clock.Now()
	var out *category.Category
	err := s.tx.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		var before map[string]any
		c, err := r.Categories.Update(ctx, id, func(c *category.Category) error {
			before = categoryFields(c)
			return c.Edit(ch, now)
		})
		if err != nil {
			return err
		}
		out = c
		b, a := changed(before, categoryFields(c))
		r.Events.Record(audited(categoryEvent(by, id, "update"), "category.update", b, a))
		return nil
	})
	return out, err
}

// checkNoCycle returns category.ErrCycle when parent is id or lies below
// it, and category.ErrNotFound when parent does not exist.
func (s *CatalogService) checkNoCycle(ctx context.Context, id, parent string) error {
	cur := parent
	for depth := 0; cur != ""; depth++ {
		if cur == id || depth > maxCategoryDepth {
			return category.ErrCycle
		}
		c, err := s.categories.Get(ctx, cur)
		if err != nil {
			return err
		}
		cur = c.ParentID()
	}
	return nil
}

// DeleteCategory removes an unused category. It returns ErrAdminOnly,
// category.ErrNotFound, or category.ErrInUse while products or
// sub-categories refer to it.
func (s *CatalogService) DeleteCategory(ctx context.Context, by user.Actor, id string) error {
	if !by.CanManageCategories() {
		return ErrAdminOnly
	}
	return s.tx.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		c, err := r.Categories.Get(ctx, id)
		if err != nil {
			return err
		}
		if err := r.Categories.Delete(ctx, id); err != nil {
			return err
		}
		r.Events.Record(audited(categoryEvent(by, id, "delete"), "category.delete", categoryFields(c), nil))
		return nil
	})
}

// NewProduct are the values of a listing to create.
type NewProduct struct {
	Title       i18n.Localized
	Description i18n.Localized
	Price       int64
	Currency    string
	// Quantity is the stock; nil means product.DefaultQuantity.
	Quantity   *int
	CategoryID string
	Class      product.Classification
	// Images name photos by MediaID and Position; their files are filled
	// in from the media.
	Images []product.Image
}

// CreateProduct lists a product for by. It starts PENDING, or ACTIVE when
// by is staff or moderation is off. It returns a validation error for bad
// values (reference ids that name no item of their list included),
// category.ErrNotFound when the category is missing or inactive, and
// product.ErrDuplicate when by already has a live product with this title
// in one of its locales. The slug comes from the first of the uz, ru, en
// titles; one taken by another product gets the next free -2, -3, ...
// Images must name photos by owns (any photo when by is staff), else
// media.ErrNotAttachable.
func (s *CatalogService) CreateProduct(ctx context.Context, by user.Actor, np NewProduct) (*product.Product, error) {
	images, err := resolveImages(ctx, s.media, by, np.Images)
	if err != nil {
		return nil, err
	}
	np.Images = images
	now := s.clock.Now()
	id := newID()
	qty := product.DefaultQuantity
	if np.Quantity != nil {
		qty = *np.Quantity
	}
	params := product.NewParams{ID: id, Title: np.Title, Description: np.Description, Price: np.Price,
		Currency: np.Currency, Quantity: qty, CategoryID: np.CategoryID, Class: np.Class, SellerID: by.UserID,
		Images: np.Images, Publish: by.IsStaff() || !s.moderation}
	p, err := product.New(params, now)
	if err != nil {
		return nil, err
	}
	if err := s.refs.CheckClass(ctx, np.Class); err != nil {
		return nil, err
	}
	c, err := s.categories.Get(ctx, np.CategoryID)
	if err != nil {
		return nil, err
	}
	if !c.Active() {
		return nil, category.ErrNotFound
	}
	base := slug.Make(p.Title().First(), "product")
	for n := 1; ; n++ {
		params.Slug = slug.WithSuffix(base, n)
		if n > slugAttempts {
			params.Slug = base + "-" + id[len(id)-12:]
		}
		if p, err = product.New(params, now); err != nil {
			return nil, err
		}
		created := p
		err = s.tx.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			if err := r.Products.Create(ctx, created); err != nil {
				return err
			}
			r.Events.Record(event.New(event.ProductCreated, by, event.SubjectProduct, id, "sellerId", created.SellerID(),
				"status", string(created.Status())))
			return nil
		})
		if errors.Is(err, product.ErrSlugTaken) && n <= slugAttempts {
			continue
		}
		if err != nil {
			return nil, err
		}
		return p, nil
	}
}

// GetProduct returns the product with id if viewer may see it (anonymous
// viewers have an empty user.Actor), or product.ErrNotFound.
func (s *CatalogService) GetProduct(ctx context.Context, viewer user.Actor, id string) (*product.Product, error) {
	p, err := s.products.Get(ctx, id)
	return visible(p, err, viewer)
}

// GetProductBySlug is GetProduct by slug.
func (s *CatalogService) GetProductBySlug(ctx context.Context, viewer user.Actor, sl string) (*product.Product, error) {
	p, err := s.products.GetBySlug(ctx, sl)
	return visible(p, err, viewer)
}

func visible(p *product.Product, err error, viewer user.Actor) (*product.Product, error) {
	if err != nil {
		return nil, err
	}
	if !p.VisibleTo(viewer) {
		return nil, product.ErrNotFound
	}
	return p, nil
}

// ListProducts returns a page of the products f selects that viewer may
// list, and their total. Anyone lists ACTIVE products (the default, and
// without those of blocked sellers); staff list any status (the moderation
// queue is PENDING sorted by createdAt); a signed-in user lists their own
// products of any status with f.SellerID set to their id. Any other
// status is ErrListForbidden (auth.ErrUnauthenticated for anonymous
// viewers). It returns a validation error for an unknown sort field or a
// MinPrice above MaxPrice.
func (s *CatalogService) ListProducts(ctx context.Context, viewer user.Actor, f ports.ProductFilter, sort ports.Sort, p ports.Page) ([]*product.Product, ports.Listed, error) {
	if f.MinPrice != nil && f.MaxPrice != nil && *f.MinPrice > *f.MaxPrice {
		return nil, ports.Listed{}, domain.Invalid("minPrice", "must not exceed maxPrice")
	}
	if len(f.Statuses) == 0 {
		f.Statuses = []product.Status{product.StatusActive}
	}
	public := len(f.Statuses) == 1 && f.Statuses[0] == product.StatusActive
	switch {
	case viewer.IsStaff():
	case public:
		f.ExcludeBlockedSellers = !viewer.Is(f.SellerID)
	case viewer.Anonymous():
		return nil, ports.Listed{}, ErrListSignIn
	case !viewer.Is(f.SellerID):
		return nil, ports.Listed{}, ErrListForbidden
	}
	return s.products.List(ctx, f, sort, p)
}

// UpdateProduct edits a product. A seller's edit of an ACTIVE or REJECTED
// product sends it back to PENDING when moderation is on. It returns
// product.ErrNotFound when by may not see the product, product.ErrForbidden
// when by may see but not edit it, product.ErrInvalidState for an ARCHIVED
// product, category.ErrNotFound for a missing or inactive new category,
// product.ErrDuplicate for a title by already uses, or a validation error.
// New images are checked as in CreateProduct.
func (s *CatalogService) UpdateProduct(ctx context.Context, by user.Actor, id string, ch product.Change) (*product.Product, error) {
	if ch.Empty() {
		return nil, product.ErrEmptyChange
	}
	if ch.Images != nil {
		images, err := resolveImages(ctx, s.media, by, *ch.Images)
		if err != nil {
			return nil, err
		}
		ch.Images = &images
	}
	if ch.CategoryID != nil && *ch.CategoryID != "" {
		c, err := s.categories.Get(ctx, *ch.CategoryID)
		if err != nil {
			return nil, err
		}
		if !c.Active() {
			return nil, category.ErrNotFound
		}
	}
	now := s.clock.Now()
	return s.updateProduct(ctx, by, id, "edit", func(_ ports.Repos, p *product.Product) error {
		if !p.VisibleTo(by) {
			return product.ErrNotFound
		}
		before := p.Class()
		if err := p.Edit(by, ch, s.moderation, now); err != nil {
			return err
		}
		if p.Class() == before {
			return nil
		}
		return s.refs.CheckClass(ctx, p.Class())
	})
}

// ArchiveProduct hides a product from everyone but its seller and staff.
// It returns product.ErrNotFound when by may not see the product,
// product.ErrForbidden when by may see but not manage it, and
// ErrProductInUse while an open order or auction needs it. The checks run
// under the product's row lock, the lock an order takes to reserve stock,
// so an order cannot slip in between the check and the archiving.
func (s *CatalogService) ArchiveProduct(ctx context.Context, by user.Actor, id string) error {
	now := s.clock.Now()
	_, err := s.updateProduct(ctx, by, id, "archive", func(r ports.Repos, p *product.Product) error {
		if !p.VisibleTo(by) {
			return product.ErrNotFound
		}
		if !p.CanManage(by) {
			return product.ErrForbidden
		}
		if p.Status() == product.StatusArchived {
			return nil
		}
		inUse, err := r.ProductUsage.InUse(ctx, id)
		if err == nil && !inUse {
			inUse, err = r.OpenAuctions.HasOpenAuction(ctx, id)
		}
		if err != nil {
			return err
		}
		if inUse {
			return ErrProductInUse
		}
		return p.Archive(by, now)
	})
	return err
}

// ApproveProduct publishes a PENDING product. It returns ErrStaffOnly,
// product.ErrNotFound, or product.ErrInvalidState when the product is not
// PENDING.
func (s *CatalogService) ApproveProduct(ctx context.Context, by user.Actor, id string) (*product.Product, error) {
	return s.moderate(ctx, by, id, "approve", func(p *product.Product) error { return p.Approve(by, s.clock.Now()) })
}

// RejectProduct refuses a PENDING product with a reason of 1..500
// characters. It returns ErrStaffOnly, a validation error for the reason,
// product.ErrNotFound, or product.ErrInvalidState when the product is not
// PENDING.
func (s *CatalogService) RejectProduct(ctx context.Context, by user.Actor, id, reason string) (*product.Product, error) {
	return s.moderate(ctx, by, id, "reject", func(p *product.Product) error { return p.Reject(by, reason, s.clock.Now()) })
}

func (s *CatalogService) moderate(ctx context.Context, by user.Actor, id, action string, fn func(*product.Product) error) (*product.Product, error) {
	if !by.CanModerate() {
		return nil, ErrStaffOnly
	}
	return s.updateProduct(ctx, by, id, action, func(_ ports.Repos, p *product.Product) error { return fn(p) })
}
