package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/ports"
)

var (
	_ ports.CategoryRepository = (*categoryRepo)(nil)
	_ ports.ProductRepository  = (*productRepo)(nil)
)

type categoryRow struct {
	bun.BaseModel `bun:"table:categories"`

	ID        string    `bun:"id,pk,type:uuid"`
	Name      texts     `bun:"name,type:jsonb"`
	Slug      string    `bun:"slug"`
	ParentID  *string   `bun:"parent_id,type:uuid"`
	Position  int       `bun:"position"`
	IsActive  bool      `bun:"is_active"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

func categoryToRow(c *category.Category) *categoryRow {
	f := c.Fields()
	return &categoryRow{ID: f.ID, Name: toTexts(f.Name), Slug: f.Slug, ParentID: nullString(f.ParentID), Position: f.Position,
		IsActive: f.Active, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
}

func (r *categoryRow) toDomain() *category.Category {
	return category.Rehydrate(category.Fields{ID: r.ID, Name: r.Name.toDomain(), Slug: r.Slug, ParentID: deref(r.ParentID),
		Position: r.Position, Active: r.IsActive, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt})
}

type categoryRepo struct{ db bun.IDB }

func (r *categoryRepo) Create(ctx context.Context, c *category.Category) error {
	_, err := r.db.NewInsert().Model(categoryToRow(c)).Exec(ctx)
	if sqlState(err) == uniqueViolation {
		return category.ErrSlugTaken
	}
	if sqlState(err) == fkViolation {
		return category.ErrNotFound
	}
	return translate(err)
}

func (r *categoryRepo) Get(ctx context.Context, id string) (*category.Category, error) {
	if !domain.ValidID(id) {
		return nil, category.ErrNotFound
	}
	row := new(categoryRow)
	if err := selectOne(ctx, r.db, row, category.ErrNotFound, false, "id = ?", id); err != nil {
		return nil, err
	}
	return row.toDomain(), nil
}

// imageJSON is one photo in products.images: the media id, the position
// and the files rendered with it, so a product read needs no join.
type imageJSON struct {
	MediaID  string       `json:"mediaId"`
	Position int          `json:"position"`
	Original fileJSON     `json:"original"`
	Variants variantsJSON `json:"variants"`
}

type productRow struct {
	bun.BaseModel `bun:"table:products"`

	ID              string      `bun:"id,pk,type:uuid"`
	Slug            string      `bun:"slug"`
	Title           texts       `bun:"title,type:jsonb"`
	Description     texts       `bun:"description,type:jsonb"`
	Price           int64       `bun:"price"`
	Currency        string      `bun:"currency"`
	Quantity        int         `bun:"quantity"`
	CategoryID      string      `bun:"category_id,type:uuid"`
	ConditionID     *string     `bun:"condition_id,type:uuid"`
	SizeID          *string     `bun:"size_id,type:uuid"`
	CityID          *string     `bun:"city_id,type:uuid"`
	DistrictID      *string     `bun:"district_id,type:uuid"`
	SellerID        string      `bun:"seller_id,type:uuid"`
	Status          string      `bun:"status"`
	RejectionReason string      `bun:"rejection_reason"`
	Images          []imageJSON `bun:"images,type:jsonb"`
	SellerBlocked   bool        `bun:"seller_blocked"`
	CreatedAt       time.Time   `bun:"created_at"`
	UpdatedAt       time.Time   `bun:"updated_at"`
}

func productToRow(p *product.Product) *productRow {
	f := p.Fields()
	images := make([]imageJSON, 0, len(f.Images))
	for _, im := range f.Images {
		images = append(images, imageJSON{MediaID: im.MediaID, Position: im.Position, Original: toFileJSON(im.Original),
			Variants: toVariantsJSON(im.Variants)})
	}
	return &productRow{ID: f.ID, Slug: f.Slug, Title: toTexts(f.Title), Description: toTexts(f.Description), Price: f.Price,
		Currency: f.Currency, Quantity: f.Quantity, CategoryID: f.CategoryID, ConditionID: nullString(f.Class.ConditionID),
		SizeID: nullString(f.Class.SizeID), CityID: nullString(f.Class.CityID), DistrictID: nullString(f.Class.DistrictID),
		SellerID: f.SellerID, Status: string(f.Status), RejectionReason: f.RejectionReason, Images: images,
		SellerBlocked: f.SellerBlocked, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
}

func (r *productRow) toDomain() *product.Product {
	images := make([]product.Image, 0, len(r.Images))
	for _, im := range r.Images {
		images = append(images, product.Image{MediaID: im.MediaID, Position: im.Position, Original: im.Original.toDomain(),
			Variants: im.Variants.toDomain()})
	}
	class := product.Classification{ConditionID: deref(r.ConditionID), SizeID: deref(r.SizeID), CityID: deref(r.CityID),
		DistrictID: deref(r.DistrictID)}
	return product.Rehydrate(product.Fields{ID: r.ID, Slug: r.Slug, Title: r.Title.toDomain(), Description: r.Description.toDomain(),
		Price: r.Price, Currency: r.Currency, Quantity: r.Quantity, CategoryID: r.CategoryID, Class: class, SellerID: r.SellerID,
		Status: product.Status(r.Status), RejectionReason: r.RejectionReason, Images: images, SellerBlocked: r.SellerBlocked,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt})
}

// productWriteError translates the constraint violations of a product write.
func productWriteError(err error) error {
	switch sqlState(err) {
	case uniqueViolation:
		if strings.HasPrefix(constraintName(err), "products_seller_title_") {
			return product.ErrDuplicate
		}
		return product.ErrSlugTaken
	case fkViolation:
		switch constraintName(err) {
		case "products_condition_fk":
			return domain.Invalid("conditionId", "does not exist")
		case "products_size_fk":
			return domain.Invalid("sizeId", "does not exist")
		case "products_city_fk":
			return domain.Invalid("cityId", "does not exist")
		case "products_district_fk":
			return domain.Invalid("districtId", "must be a district of cityId")
		}
		return category.ErrNotFound
	case checkViolation:
		if constraintName(err) == "products_in_open_auction" {
			return product.ErrInvalidState
		}
	}
	return translate(err)
}

type productRepo struct {
	db    bun.IDB
	store *Store
}

// Create inserts the product. Inside WithinTx the service records the
// event that tells caches and other instances about it.
func (r *productRepo) Create(ctx context.Context, p *product.Product) error {
	if len(p.Fields().Images) == 0 {
		if _, err := r.db.NewInsert().Model(productToRow(p)).Exec(ctx); err != nil {
			return productWriteError(err)
		}
		return nil
	}
	// The row and its product_media rows commit together.
	return inTx(ctx, r.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.NewInsert().Model(productToRow(p)).Exec(ctx); err != nil {
			return productWriteError(err)
		}
		return syncProductMedia(ctx, tx, p.Fields(), true)
	})
}

func (r *productRepo) get(ctx context.Context, db bun.IDB, where string, arg any, lock bool) (*product.Product, error) {
	row := new(productRow)
	if err := selectOne(ctx, db, row, product.ErrNotFound, lock, where, arg); err != nil {
		return nil, err
	}
	return row.toDomain(), nil
}

func (r *productRepo) Get(ctx context.Context, id string) (*product.Product, error) {
	if !domain.ValidID(id) {
		return nil, product.ErrNotFound
	}
	return r.get(ctx, r.db, "id = ?", id, false)
}

func (r *productRepo) GetBySlug(ctx context.Context, slug string) (*product.Product, error) {
	return r.get(ctx, r.db, "slug = ?", slug, false)
}

func (r *productRepo) Update(ctx context.Context, id string, fn func(*product.Product) error) (*product.Product, error) {
	if !domain.ValidID(id) {
		return nil, product.ErrNotFound
	}
	var before []product.Image
	load := func(ctx context.Context, tx bun.IDB) (*product.Product, error) {
		p, err := r.get(ctx, tx, "id = ?", id, true)
		if err == nil {
			before = p.Images()
		}
		return p, err
	}
	save := func(ctx context.Context, tx bun.IDB, p *product.Product) error {
		if _, err := tx.NewUpdate().Model(productToRow(p)).WherePK().Exec(ctx); err != nil {
			return productWriteError(err)
		}
		if f := p.Fields(); !sameImages(before, f.Images) {
			return syncProductMedia(ctx, tx, f, false)
		}
		return nil
	}
	return updateLocked(ctx, r.db, load, fn, save)
}

// texts is the JSONB form of an i18n.Localized: {"uz"?, "ru"?, "en"?}.
type texts map[i18n.Locale]string

func toTexts(l i18n.Localized) texts { return l.Map() }

func (t texts) toDomain() i18n.Localized { return i18n.Rehydrate(t) }

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
