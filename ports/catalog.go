package ports

//go:generate go tool mockgen -source=catalog.go -destination=../mocks/catalog.go -package=mocks

import (
	"context"

	"github.com/secondbloom/marketplace/domain/product"
)

// ProductRepository stores products.
type ProductRepository interface {
	// Get returns the product with id in any status, or product.ErrNotFound.
	Get(ctx context.Context, id string) (*product.Product, error)
	// Update loads the product with id under a row lock, calls fn, and
	// stores the result if fn returns nil. It returns product.ErrNotFound,
	// or fn's error unchanged (storing nothing). Updates of different
	// products never wait on each other.
	Update(ctx context.Context, id string, fn func(p *product.Product) error) (*product.Product, error)
}
