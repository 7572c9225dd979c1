// Package reference holds the classifications a listing is filed under:
// conditions (how fresh), sizes, cities and the districts of each city. Each
// is a short list an administrator maintains, with a stable code and a name
// in every locale.
package reference

import (
	"regexp"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/i18n"
)

// Kind names one list of reference data.
type Kind string

// The lists. The API's audit log uses them as target types.
const (
	Conditions Kind = "condition"
	Sizes      Kind = "size"
	Cities     Kind = "city"
	Districts  Kind = "district"
)

// Valid reports whether k is one of the lists.
func (k Kind) Valid() bool { return k == Conditions || k == Sizes || k == Cities || k == Districts }

// Errors of reference data.
var (
	ErrNotFound  = domain.New(domain.KindNotFound, domain.CodeNotFound, "reference item not found")
	ErrCodeTaken = domain.New(domain.KindConflict, domain.CodeConflict, "an item with this code already exists in the list")
	ErrInUse     = domain.New(domain.KindConflict, domain.CodeConflict, "the item is used by products")
)

// Limits of reference items.
const (
	MaxCodeLength = 50
	MaxNameLength = 100
	MaxPosition   = 1_000_000
)

// NameRule is the rule of an item's name: 1..100 characters in at least one
// locale.
var NameRule = i18n.Rule{Field: "name", Max: MaxNameLength, Required: true}

var codePattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Item is one entry of a list. Districts belong to a city (CityID); the
// other kinds have none.
type Item struct {
	id       string
	kind     Kind
	cityID   string
	code     string
	name     i18n.Localized
	position int
}

// Fields are an item's stored values, for Rehydrate and for adapters.
type Fields struct {
	ID       string
	Kind     Kind
	CityID   string
	Code     string
	Name     i18n.Localized
	Position int
}

// New returns a validated item. It returns a validation error naming every
// bad field: a code that is not lower-case letters, digits and single
// dashes (1..50), a name breaking NameRule, a negative position, or a
// district without a city.
func New(f Fields) (*Item, error) {
	var v domain.Validation
	checkCode(&v, f.Code)
	v.Merge("name", f.Name.Check(NameRule))
	checkPosition(&v, f.Position)
	if !f.Kind.Valid() {
		v.Add("kind", "must be condition, size, city or district")
	}
	if f.Kind == Districts && f.CityID == "" {
		v.Add("cityId", "is required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if f.Kind != Districts {
		f.CityID = ""
	}
	return Rehydrate(f), nil
}

func checkCode(v *domain.Validation, code string) {
	if len(code) == 0 || len(code) > MaxCodeLength || !codePattern.MatchString(code) {
		v.Add("code", "must be 1 to 50 lower-case letters, digits and dashes (a-z, 0-9, -)")
	}
}

func checkPosition(v *domain.Validation, p int) {
	if p < 0 || p > MaxPosition {
		v.Add("position", "must be an integer from 0 to 1000000")
	}
}

// Rehydrate rebuilds a stored item. Only storage adapters call it.
func Rehydrate(f Fields) *Item {
	return &Item{id: f.ID, kind: f.Kind, cityID: f.CityID, code: f.Code, name: f.Name, position: f.Position}
}

// Fields returns a copy of the item's values.
func (it *Item) Fields() Fields {
	return Fields{ID: it.id, Kind: it.kind, CityID: it.cityID, Code: it.code, Name: it.name, Position: it.position}
}

// ID returns the item's id.
func (it *Item) ID() string { return it.id }

// Kind returns the list the item belongs to.
func (it *Item) Kind() Kind { return it.kind }

// CityID returns a district's city, or "" for other kinds.
func (it *Item) CityID() string { return it.cityID }

// Code returns the stable code, unique within its list (per city for
// districts).
func (it *Item) Code() string { return it.code }

// Name returns the localized display name.
func (it *Item) Name() i18n.Localized { return it.name }

// Position returns the order within the list.
func (it *Item) Position() int { return it.position }

// Change is a partial edit; nil fields stay as they are.
type Change struct {
	Code     *string
	Name     i18n.Patch
	Position *int
}

// Empty reports whether c changes nothing.
func (c Change) Empty() bool { return c.Code == nil && c.Name == nil && c.Position == nil }

// Edit applies c. It returns a validation error naming every bad field and
// leaves the item unchanged then.
func (it *Item) Edit(c Change) error {
	next := *it
	var v domain.Validation
	if c.Code != nil {
		next.code = *c.Code
		checkCode(&v, next.code)
	}
	if c.Name != nil {
		name, err := it.name.Merge(c.Name, NameRule)
		v.Merge("name", err)
		next.name = name
	}
	if c.Position != nil {
		next.position = *c.Position
		checkPosition(&v, next.position)
	}
	if err := v.Err(); err != nil {
		return err
	}
	*it = next
	return nil
}
