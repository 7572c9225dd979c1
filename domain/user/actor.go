package user

import "github.com/secondbloom/marketplace/domain/i18n"

// Actor is whoever performs a use case: a signed-in user (UserID, Role and
// the session they act through), nobody (the zero Actor: an anonymous
// visitor), or the system itself (System: workers and the command line),
// which has no user id but a name for the record. Its methods are the
// marketplace's named access policies; rules about one aggregate (may this
// actor see this product?) are methods of the aggregate taking an Actor.
type Actor struct {
	UserID    string
	Role      Role
	SessionID string
	// System names a non-human actor ("cli", "auction-closer"); empty for
	// people.
	System string
	// Language is the locale a signed-in user chose, or "" for none.
	Language i18n.Locale
}

// SystemActor returns the actor for work the marketplace does by itself or
// that an operator does from the command line; name says which.
func SystemActor(name string) Actor { return Actor{System: name} }

// Anonymous reports whether the actor is a visitor who has not signed in.
func (a Actor) Anonymous() bool { return a.UserID == "" && a.System == "" }

// IsStaff reports whether the actor is a moderator or an admin.
func (a Actor) IsStaff() bool { return a.UserID != "" && a.Role.IsStaff() }

// IsAdmin reports whether the actor is an admin.
func (a Actor) IsAdmin() bool { return a.UserID != "" && a.Role == RoleAdmin }

// CanModerate reports whether the actor may approve and reject listings.
func (a Actor) CanModerate() bool { return a.IsStaff() }

// CanManageCategories reports whether the actor may create, edit and
// delete categories.
func (a Actor) CanManageCategories() bool { return a.IsAdmin() }

// CanManageReference reports whether the actor may create, edit and delete
// reference data (conditions, sizes, cities, districts).
func (a Actor) CanManageReference() bool { return a.IsAdmin() }

// CanManageUsers reports whether the actor may change other users' roles
// and statuses.
func (a Actor) CanManageUsers() bool { return a.IsAdmin() }

// CanSeeAllOrders reports whether the actor may read and cancel any order.
func (a Actor) CanSeeAllOrders() bool { return a.IsAdmin() }

// Is reports whether the actor is the user with id (never true for an
// empty id).
func (a Actor) Is(id string) bool { return id != "" && a.UserID == id }
