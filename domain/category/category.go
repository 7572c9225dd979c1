// Package category holds the catalogue's tree of categories.
package category

import (
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/i18n"
)

// Errors of categories.
var (
	ErrNotFound  = domain.New(domain.KindNotFound, domain.CodeNotFound, "category not found")
	ErrInUse     = domain.New(domain.KindConflict, domain.CodeConflict, "category is used by products or sub-categories")
	ErrSlugTaken = domain.New(domain.KindConflict, domain.CodeConflict, "a category with this name already exists")
)

// MaxNameLength is the longest category name, in characters.
const MaxNameLength = 100

// NameRule is the rule of a category's name: 1..100 characters in at least
// one locale.
var NameRule = i18n.Rule{Field: "name", Max: MaxNameLength, Required: true}

// Category is a node of the catalogue tree.
type Category struct {
	id        string
	name      i18n.Localized
	slug      string
	parentID  string
	position  int
	active    bool
	createdAt time.Time
	updatedAt time.Time
}

// Fields are a category's stored values.
type Fields struct {
	ID        string
	Name      i18n.Localized
	Slug      string
	ParentID  string // "" for a root category
	Position  int
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// New returns an active category. It returns a validation error for a
// name breaking NameRule or a negative position.
func New(id string, name i18n.Localized, slug, parentID string, position int, now time.Time) (*Category, error) {
	var v domain.Validation
	v.Merge("name", name.Check(NameRule))
	if position < 0 {
		v.Add("position", "must not be negative")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now = now.UTC()
	return &Category{id: id, name: name, slug: slug, parentID: parentID, position: position, active: true, createdAt: now, updatedAt: now}, nil
}

// Rehydrate rebuilds a stored category. Only storage adapters call it.
func Rehydrate(f Fields) *Category {
	return &Category{id: f.ID, name: f.Name, slug: f.Slug, parentID: f.ParentID, position: f.Position, active: f.Active,
		createdAt: f.CreatedAt.UTC(), updatedAt: f.UpdatedAt.UTC()}
}

// Fields returns a copy of the category's values.
func (c *Category) Fields() Fields {
	return Fields{ID: c.id, Name: c.name, Slug: c.slug, ParentID: c.parentID, Position: c.position, Active: c.active,
		CreatedAt: c.createdAt, UpdatedAt: c.updatedAt}
}

// ID returns the category id.
func (c *Category) ID() string { return c.id }

// ParentID returns the parent's id, or "" for a root category.
func (c *Category) ParentID() string { return c.parentID }

// Active reports whether products may be listed in the category.
func (c *Category) Active() bool { return c.active }

// Name returns the localized display name.
func (c *Category) Name() i18n.Localized { return c.name }

// Slug returns the URL name.
func (c *Category) Slug() string { return c.slug }

// Position returns the order among siblings.
func (c *Category) Position() int { return c.position }

// CreatedAt returns when the category was made.
func (c *Category) CreatedAt() time.Time { return c.createdAt }

// UpdatedAt returns when the category last changed.
func (c *Category) UpdatedAt() time.Time { return c.updatedAt }

// ErrCycle is returned when a category would become its own ancestor.
var ErrCycle = domain.Invalid("parentId", "must not be the category itself or one of its sub-categories")

// Change is a partial edit; nil fields stay as they are. A non-nil ParentID
// of "" makes the category a root.
type Change struct {
	Name     i18n.Patch
	Slug     *string
	ParentID *string
	Position *int
	Active   *bool
}

// Empty reports whether ch changes nothing.
func (ch Change) Empty() bool {
	return ch.Name == nil && ch.Slug == nil && ch.ParentID == nil && ch.Position == nil && ch.Active == nil
}

// ErrEmptyChange refuses an edit that names no field.
var ErrEmptyChange = domain.Invalid("body", "must change at least one field")

// Edit applies ch. It returns a validation error naming every bad field,
// or ErrCycle when the category would become its own parent (deeper cycles
// need the tree, which the caller checks); the category is unchanged then.
func (c *Category) Edit(ch Change, now time.Time) error {
	next := *c
	var v domain.Validation
	if ch.Name != nil {
		name, err := c.name.Merge(ch.Name, NameRule)
		v.Merge("name", err)
		next.name = name
	}
	if ch.Slug != nil {
		next.slug = *ch.Slug
	}
	if ch.Position != nil {
		next.position = *ch.Position
		if next.position < 0 {
			v.Add("position", "must not be negative")
		}
	}
	if ch.ParentID != nil {
		next.parentID = *ch.ParentID
		if next.parentID == c.id {
			return ErrCycle
		}
	}
	if ch.Active != nil {
		next.active = *ch.Active
	}
	if err := v.Err(); err != nil {
		return err
	}
	next.updatedAt = now.UTC()
	*c = next
	return nil
}
