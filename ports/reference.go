package ports

//go:generate go tool mockgen -source=reference.go -destination=../mocks/reference.go -package=mocks

import (
	"context"

	"github.com/secondbloom/marketplace/domain/reference"
)

// ReferenceRepository stores the reference lists (conditions, sizes,
// cities, districts). Every method takes the list's kind; an id of another
// list is reference.ErrNotFound.
type ReferenceRepository interface {
	// Create stores a new item. It returns reference.ErrCodeTaken when the
	// list (for a district, its city) already has the code, and
	// reference.ErrNotFound when a district's city does not exist.
	Create(ctx context.Context, it *reference.Item) error
	// Get returns the item of kind with id, or reference.ErrNotFound.
	Get(ctx context.Context, kind reference.Kind, id string) (*reference.Item, error)
	// List returns one page of the items of kind ordered by position, then
	// code, then id, and what the page says about the list. For districts,
	// cityID selects the city's; it is ignored for the other kinds.
	List(ctx context.Context, kind reference.Kind, cityID string, p Page) ([]*reference.Item, Listed, error)
	// All returns every item of every list, for caches; the lists are
	// short.
	All(ctx context.Context) ([]*reference.Item, error)
	// Update loads the item under a row lock, calls fn, and stores the
	// result if fn returns nil. It returns reference.ErrNotFound,
	// reference.ErrCodeTaken, or fn's error unchanged (storing nothing).
	Update(ctx context.Context, kind reference.Kind, id string, fn func(*reference.Item) error) (*reference.Item, error)
	// Delete removes the item. It returns reference.ErrNotFound, or
	// reference.ErrInUse while any product in any status (or, for a city,
	// any district) refers to it.
	Delete(ctx context.Context, kind reference.Kind, id string) error
}
