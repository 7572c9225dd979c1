package ports

//go:generate go tool mockgen -source=catalog.go -destination=../mocks/catalog.go -package=mocks

import (
	"context"
	"time"

	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/product"
)

// CategoryRepository stores categories.
type CategoryRepository interface {
	// Create stores a new category. It returns category.ErrSlugTaken when
	// another category has the same slug.
	Create(ctx context.Context, c *category.Category) error
	// Get returns the category with id, active or not, or
	// category.ErrNotFound.
	Get(ctx context.Context, id string) (*category.Category, error)
	// List returns one page of categories ordered by position, then name,
	// then id, and the total count of categories the filter matches.
	// Positions: Int = position, Text = the name the store orders by, ID.
	List(ctx context.Context, f CategoryFilter, p Page) ([]*category.Category, Listed, error)
	// Update loads the category with id under a row lock, calls fn, and
	// stores the result if fn returns nil. It returns category.ErrNotFound
	// (also when the new parent does not exist), category.ErrSlugTaken, or
	// fn's error unchanged (storing nothing).
	Update(ctx context.Context, id string, fn func(c *category.Category) error) (*category.Category, error)
	// Delete removes the category with id. It returns category.ErrNotFound,
	// or category.ErrInUse while any product (in any status) or
	// sub-category refers to it.
	Delete(ctx context.Context, id string) error
}

// CategoryFilter selects categories for CategoryRepository.List.
type CategoryFilter struct {
	// ActiveOnly leaves out inactive categories.
	ActiveOnly bool
}

// ProductRepository stores products.
type ProductRepository interface {
	// Create stores a new product. It returns product.ErrDuplicate when the
	// seller already has a live (not ARCHIVED) product with the same title
	// in any one locale (compared case-insensitively), and
	// product.ErrSlugTaken when another product has the slug. Whether the
	// reference ids exist and agree the caller checks; the store refuses
	// (with a validation error naming the field) an id it does not know.
	// It returns media.ErrNotAttachable when an image names a photo that
	// does not exist (deleted meanwhile); the photos it shows count as
	// attached from then on.
	Create(ctx context.Context, p *product.Product) error
	// Get returns the product with id in any status, or product.ErrNotFound.
	Get(ctx context.Context, id string) (*product.Product, error)
	// GetBySlug returns the product with slug in any status, or
	// product.ErrNotFound.
	GetBySlug(ctx context.Context, slug string) (*product.Product, error)
	// Update loads the product with id under a row lock, calls fn, and
	// stores the result if fn returns nil. It returns product.ErrNotFound,
	// product.ErrInvalidState when the product has an ACTIVE auction and
	// fn would take it out of ACTIVE or leave it without stock (the
	// auction's winner must be able to take one item), or fn's error
	// unchanged (storing nothing). Updates of different products never wait
	// on each other. Like Create it returns media.ErrNotAttachable for an
	// image of a photo that does not exist; photos the update removes count
	// as detached at the product's new updatedAt.
	Update(ctx context.Context, id string, fn func(p *product.Product) error) (*product.Product, error)
	// Reserve takes qty (at least 1) items of the product with id for an
	// order by buyerID at now, as one atomic step, when order.Orderable
	// allows it on the product as it is when the step takes effect (with
	// its open auction, if any), and returns the product after the
	// change. Otherwise it changes nothing and returns order.Orderable's
	// refusal; product.ErrNotAvailable also for an unknown or malformed
	// id. However many reservations race, the stock never goes below zero
	// and an auction opened concurrently is either seen or sees the new
	// stock. It is the checkout's short path: one statement on Postgres
	// where Update takes three.
	Reserve(ctx context.Context, id string, qty int, buyerID string, now time.Time) (*product.Product, error)
	// List returns one page of the products f matches, in order s (with the
	// id as tie-breaker, so pages never overlap), and the total count of
	// matches. Sort fields are SortCreatedAt and SortPrice; any other field
	// is a validation error. A filter id that matches nothing gives an
	// empty page, never an error. Positions: by createdAt Time = createdAt;
	// by price Int = price and Time = createdAt (the order is price, then
	// createdAt, then id). A large total may be an estimate (see Listed).
	List(ctx context.Context, f ProductFilter, s Sort, p Page) ([]*product.Product, Listed, error)
	// SetSellerBlocked marks every product of the seller as hidden (or no
	// longer hidden) because staff blocked (or unblocked) the seller, and
	// returns the ids of the products it changed.
	SetSellerBlocked(ctx context.Context, sellerID string, blocked bool) ([]string, error)
}

// Sort fields of ProductRepository.List.
const (
	SortCreatedAt = "createdAt"
	SortPrice     = "price"
)

// ProductFilter selects products for ProductRepository.List. Zero fields
// select everything.
type ProductFilter struct {
	// Statuses keeps products in one of these statuses; empty keeps every
	// status.
	Statuses []product.Status
	// ExcludeBlockedSellers leaves out the products of blocked sellers.
	ExcludeBlockedSellers bool
	// CategoryID keeps products of this category and of all its
	// sub-categories, at any depth.
	CategoryID string
	// SellerID keeps the products of one seller.
	SellerID string
	// MinPrice and MaxPrice bound the price, inclusively.
	MinPrice, MaxPrice *int64
	// Query keeps products with every one of these words (see
	// i18n.SearchWords) as a word or word prefix of the title or the
	// description, in any locale (i18n.Matches).
	Query []string
	// Class keeps the products with each non-empty id of it.
	Class product.Classification
	// InStock keeps products with a quantity above zero.
	InStock bool
}

// ProductCache is the read-through cache in front of ProductRepository,
// as far as the core needs it: to forget a product whose stored state
// changed. The core's event relay calls Evict for every committed event
// that changed a product, on the instance that wrote it (before WithinTx
// returns) and on every other instance that heard of it.
type ProductCache interface {
	// Evict forgets the product with id on this instance at once. It never
	// fails.
	Evict(id string)
}

// ProductUsage tells whether open orders still need a product, so it must
// not be archived. Storage adapters implement it over their orders (an
// order not yet DELIVERED or CANCELLED). Running auctions are asked through
// Repos.OpenAuctions.
type ProductUsage interface {
	// InUse reports whether an open order needs the product with id. The
	// catalogue calls it while it holds the product's row lock, so an
	// order placed under the same lock cannot slip in between. It returns
	// an error wrapping domain.ErrUnavailable when the store cannot answer.
	InUse(ctx context.Context, productID string) (bool, error)
}
