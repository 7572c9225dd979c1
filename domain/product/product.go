// Package product holds listings: what a seller offers, at what price, how
// many are left, and where the listing stands in moderation.
package product

import (
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/media"
	"github.com/secondbloom/marketplace/domain/user"
)

// Status is where a product stands in moderation.
type Status string

// The statuses of API.md section 4.
const (
	StatusPending  Status = "PENDING"
	StatusActive   Status = "ACTIVE"
	StatusRejected Status = "REJECTED"
	StatusArchived Status = "ARCHIVED"
)

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool {
	return s == StatusPending || s == StatusActive || s == StatusRejected || s == StatusArchived
}

// Errors of products.
var (
	ErrNotFound     = domain.New(domain.KindNotFound, domain.CodeNotFound, "product not found")
	ErrOutOfStock   = domain.New(domain.KindConflict, domain.CodeOutOfStock, "not enough quantity left")
	ErrNotAvailable = domain.New(domain.KindNotFound, domain.CodeNotFound, "product not found or not available")
	ErrInvalidState = domain.New(domain.KindConflict, domain.CodeInvalidState, "the product's status does not allow this")
	ErrForbidden    = domain.New(domain.KindForbidden, domain.CodeForbidden, "only the seller or staff may do this")
	ErrDuplicate    = domain.New(domain.KindConflict, domain.CodeConflict, "you already have a live product with this title")
	// ErrSlugTaken is returned by repositories when another product has the
	// slug; the caller retries with the next suffix.
	ErrSlugTaken = domain.New(domain.KindConflict, domain.CodeConflict, "slug is taken")
)

// DefaultQuantity is the stock of a listing that names none.
const DefaultQuantity = 1

// MaxQuantity bounds the stock of one listing.
const MaxQuantity = 1_000_000

// Image is a photo shown on the product: the media it comes from, its place
// among the others, and the stored files of that media, copied when the
// photo is attached so that reading a product needs no media lookup.
type Image struct {
	MediaID  string
	Position int
	Original media.File
	Variants media.Variants
}

// Product is a listing. Its fields change only through methods, which keep
// it valid: stock never goes below zero, and status moves only along the
// moderation transitions.
type Product struct {
	id              string
	slug            string
	title           i18n.Localized
	description     i18n.Localized
	price           int64
	currency        string
	quantity        int
	categoryID      string
	class           Classification
	sellerID        string
	status          Status
	rejectionReason string
	images          []Image
	sellerBlocked   bool
	createdAt       time.Time
	updatedAt       time.Time
}

// Fields are a product's stored values, for Rehydrate and for adapters that
// read a product whole.
type Fields struct {
	ID              string
	Slug            string
	Title           i18n.Localized
	Description     i18n.Localized
	Price           int64
	Currency        string
	Quantity        int
	CategoryID      string
	Class           Classification
	SellerID        string
	Status          Status
	RejectionReason string
	Images          []Image
	// SellerBlocked hides the product from everyone but its seller and
	// staff while staff keep the seller blocked.
	SellerBlocked bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Rehydrate rebuilds a stored product. Only storage adapters call it.
func Rehydrate(f Fields) *Product {
	return &Product{id: f.ID, slug: f.Slug, title: f.Title, description: f.Description, price: f.Price,
		currency: f.Currency, quantity: f.Quantity, categoryID: f.CategoryID, class: f.Class, sellerID: f.SellerID, status: f.Status,
		rejectionReason: f.RejectionReason, images: append([]Image(nil), f.Images...), sellerBlocked: f.SellerBlocked, createdAt: f.CreatedAt.UTC(), updatedAt: f.UpdatedAt.UTC()}
}

// Fields returns a copy of the product's values.
func (p *Product) Fields() Fields {
	return Fields{ID: p.id, Slug: p.slug, Title: p.title, Description: p.description, Price: p.price,
		Currency: p.currency, Quantity: p.quantity, CategoryID: p.categoryID, Class: p.class, SellerID: p.sellerID, Status: p.status,
		RejectionReason: p.rejectionReason, Images: append([]Image(nil), p.images...), SellerBlocked: p.sellerBlocked, CreatedAt: p.createdAt, UpdatedAt: p.updatedAt}
}

// ID returns the product id.
func (p *Product) ID() string { return p.id }

// Slug returns the URL name of the product.
func (p *Product) Slug() string { return p.slug }

// Title returns the localized title.
func (p *Product) Title() i18n.Localized { return p.title }

// Class returns the product's condition, size and place.
func (p *Product) Class() Classification { return p.class }

// Price returns the unit price in minor units of Currency.
func (p *Product) Price() int64 { return p.price }

// Currency returns the ISO 4217 currency of Price.
func (p *Product) Currency() string { return p.currency }

// Quantity returns the stock left.
func (p *Product) Quantity() int { return p.quantity }

// SellerID returns the seller's user id.
func (p *Product) SellerID() string { return p.sellerID }

// CategoryID returns the category id.
func (p *Product) CategoryID() string { return p.categoryID }

// Status returns the moderation status.
func (p *Product) Status() Status { return p.status }

// VisibleTo reports whether a may see the product: everyone sees an ACTIVE
// product of a seller who is not blocked; the seller and staff see it in
// any status.
func (p *Product) VisibleTo(a user.Actor) bool {
	return p.Public() || a.Is(p.sellerID) || a.IsStaff()
}

// Public reports whether anyone may see and order the product: it is
// ACTIVE and its seller is not blocked.
func (p *Product) Public() bool { return p.status == StatusActive && !p.sellerBlocked }

// SellerBlocked reports whether the product is hidden because staff
// blocked its seller.
func (p *Product) SellerBlocked() bool { return p.sellerBlocked }

// Reserve takes qty from stock for an order. It returns ErrNotAvailable
// unless the product is ACTIVE and ErrOutOfStock when fewer than qty are
// left; the product is unchanged then.
func (p *Product) Reserve(qty int, now time.Time) error {
	if qty < 1 {
		return domain.Invalid("quantity", "must be at least 1")
	}
	if p.status != StatusActive {
		return ErrNotAvailable
	}
	if qty > p.quantity {
		return ErrOutOfStock
	}
	p.quantity -= qty
	p.updatedAt = now.UTC()
	return nil
}

// Release returns qty to stock (a cancelled order), in any status. It
// returns a validation error if the result would exceed MaxQuantity.
func (p *Product) Release(qty int, now time.Time) error {
	if qty < 1 || qty > MaxQuantity-p.quantity { // p.quantity+qty could overflow
		return domain.Invalid("quantity", "cannot be released")
	}
	p.quantity += qty
	p.updatedAt = now.UTC()
	return nil
}

// NewParams are the values of a new listing.
type NewParams struct {
	ID          string
	Slug        string
	Title       i18n.Localized
	Description i18n.Localized
	Price       int64
	Currency    string
	Quantity    int
	CategoryID  string
	// Class must name a condition and a size; the place is optional.
	Class    Classification
	SellerID string
	Images   []Image
	// Publish makes the product ACTIVE at once (staff sellers, or
	// moderation turned off); otherwise it starts PENDING.
	Publish bool
}

// New returns a validated new product. It returns a validation error naming
// every bad field. Images are validated with ValidateImages and stored in
// position order.
func New(p NewParams, now time.Time) (*Product, error) {
	var v domain.Validation
	v.Merge("title", p.Title.Check(TitleRule))
	v.Merge("description", p.Description.Check(DescriptionRule))
	if p.Price < 1 || p.Price > maxPrice {
		v.Add("price", "must be an integer from 1 to 10^15 minor units")
	}
	cur, err := parseCurrency(p.Currency)
	v.Merge("currency", err)
	if p.Quantity < 0 || p.Quantity > MaxQuantity {
		v.Add("quantity", "must be an integer from 0 to 1000000")
	}
	if p.CategoryID == "" {
		v.Add("categoryId", "is required")
	}
	if p.Class.ConditionID == "" {
		v.Add("conditionId", "is required")
	}
	if p.Class.SizeID == "" {
		v.Add("sizeId", "is required")
	}
	checkPlace(&v, p.Class)
	images, err := ValidateImages(p.Images)
	v.Merge("images", err)
	if err := v.Err(); err != nil {
		return nil, err
	}
	now = now.UTC()
	status := StatusPending
	if p.Publish {
		status = StatusActive
	}
	return &Product{id: p.ID, slug: p.Slug, title: p.Title, description: p.Description, price: p.Price, currency: cur,
		quantity: p.Quantity, categoryID: p.CategoryID, class: p.Class, sellerID: p.SellerID, status: status,
		images: images, createdAt: now, updatedAt: now}, nil
}

// Limits of listing text.
const (
	MaxTitleLength       = 200
	MaxDescriptionLength = 5000
)

// The rules of the localized texts: a title of 1..200 characters in at
// least one locale, and an optional description of up to 5000 characters
// in each.
var (
	TitleRule       = i18n.Rule{Field: "title", Max: MaxTitleLength, Required: true}
	DescriptionRule = i18n.Rule{Field: "description", Max: MaxDescriptionLength, Multiline: true}
)

// Classification files a product under the reference lists: its condition
// and size (required on new products, "" on products listed before they
// existed) and its optional city and district. Whether the ids exist, and
// whether the district lies in the city, the caller checks against the
// lists.
type Classification struct {
	ConditionID string
	SizeID      string
	CityID      string
	DistrictID  string
}

// checkPlace requires a city whenever a district is named.
func checkPlace(v *domain.Validation, c Classification) {
	if c.DistrictID != "" && c.CityID == "" {
		v.Add("cityId", "is required with districtId")
	}
}
