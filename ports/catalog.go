package ports

//go:generate go tool mockgen -source=catalog.go -destination=../mocks/catalog.go -package=mocks

import (
	"context"

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
}

// ProductRepository stores products.
type ProductRepository interface {
	// Create stores a new product. It returns product.ErrDuplicate when the
	// seller already has a live (not ARCHIVED) product with the same title
	// (compared case-insensitively), and product.ErrSlugTaken when another
	// product has the slug.
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
	// on each other.
	Update(ctx context.Context, id string, fn func(p *product.Product) error) (*product.Product, error)
}
