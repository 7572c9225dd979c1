// Package user defines marketplace users and their roles.
package user

import (
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/text"
)

// Role is what a user may do beyond their own objects.
type Role string

// The roles. Staff (moderators and admins) may see and moderate every product.
const (
	RoleUser      Role = "USER"
	RoleModerator Role = "MODERATOR"
	RoleAdmin     Role = "ADMIN"
)

// IsStaff reports whether r is MODERATOR or ADMIN.
func (r Role) IsStaff() bool { return r == RoleModerator || r == RoleAdmin }

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool { return r == RoleUser || r == RoleModerator || r == RoleAdmin }

// Status says whether a user may sign in and act.
type Status string

// The statuses. A BLOCKED user's sessions are revoked, sign-in is refused
// and their products are hidden from everyone but staff.
const (
	StatusActive  Status = "ACTIVE"
	StatusBlocked Status = "BLOCKED"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == StatusActive || s == StatusBlocked }

// ErrNotFound is returned when a user does not exist.
var ErrNotFound = domain.New(domain.KindNotFound, domain.CodeNotFound, "user not found")

// MaxNameLength is the longest first or last name, in characters.
const MaxNameLength = 100

// User is a person who signed in at least once. Fields change only through
// methods, so a User is always valid.
type User struct {
	id        string
	phone     phone.Number
	role      Role
	status    Status
	firstName string
	lastName  string
	language  i18n.Locale
	createdAt time.Time
	updatedAt time.Time
}

// New returns a user created at its first sign-in.
func New(id string, p phone.Number, role Role, now time.Time) (*User, error) {
	if id == "" || p.IsZero() || !role.Valid() {
		return nil, domain.New(domain.KindInternal, domain.CodeInternal, "user.New: id, phone and role are required")
	}
	return &User{id: id, phone: p, role: role, status: StatusActive, createdAt: now.UTC(), updatedAt: now.UTC()}, nil
}

// Fields are a user's stored values.
type Fields struct {
	ID        string
	Phone     phone.Number
	Role      Role
	Status    Status
	FirstName string
	LastName  string
	// Language is the locale the user chose, "" for none.
	Language  i18n.Locale
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Rehydrate rebuilds a stored user. Only storage adapters call it. An
// empty status (a row from before statuses existed) is ACTIVE.
func Rehydrate(f Fields) *User {
	if f.Status == "" {
		f.Status = StatusActive
	}
	if !f.Language.Valid() {
		f.Language = ""
	}
	return &User{id: f.ID, phone: f.Phone, role: f.Role, status: f.Status, firstName: f.FirstName, lastName: f.LastName,
		language: f.Language, createdAt: f.CreatedAt.UTC(), updatedAt: f.UpdatedAt.UTC()}
}

// Fields returns the user's stored values.
func (u *User) Fields() Fields {
	return Fields{ID: u.id, Phone: u.phone, Role: u.role, Status: u.status, FirstName: u.firstName, LastName: u.lastName,
		Language: u.language, CreatedAt: u.createdAt, UpdatedAt: u.updatedAt}
}

// Status returns whether the user is ACTIVE or BLOCKED.
func (u *User) Status() Status { return u.status }

// Blocked reports whether staff blocked the user.
func (u *User) Blocked() bool { return u.status == StatusBlocked }

// ID returns the user's id.
func (u *User) ID() string { return u.id }

// Phone returns the user's phone number.
func (u *User) Phone() phone.Number { return u.phone }

// Role returns the user's role.
func (u *User) Role() Role { return u.role }

// Language returns the locale the user chose, or "" when they chose none
// (the server's default locale applies then).
func (u *User) Language() i18n.Locale { return u.language }

// FirstName returns the first name, possibly empty.
func (u *User) FirstName() string { return u.firstName }

// LastName returns the last name, possibly empty.
func (u *User) LastName() string { return u.lastName }

// CreatedAt returns when the user first signed in.
func (u *User) CreatedAt() time.Time { return u.createdAt }

// UpdatedAt returns when the profile last changed.
func (u *User) UpdatedAt() time.Time { return u.updatedAt }

// ProfileChange lists the profile fields to set; nil fields stay as they
// are, and the Clear flags empty a name.
type ProfileChange struct {
	FirstName      *string
	LastName       *string
	ClearFirstName bool
	ClearLastName  bool
	Language       *i18n.Locale
}

// UpdateProfile applies c. Names are trimmed and must be 1..100 characters;
// it returns a validation error naming each bad field and changes nothing
// then.
func (u *User) UpdateProfile(c ProfileChange, now time.Time) error {
	var v domain.Validation
	first, last := u.firstName, u.lastName
	if c.FirstName != nil {
		var err error
		first, err = text.Clean(*c.FirstName, false, 1, MaxNameLength)
		v.Merge("firstName", err)
	}
	if c.LastName != nil {
		var err error
		last, err = text.Clean(*c.LastName, false, 1, MaxNameLength)
		v.Merge("lastName", err)
	}
	lang := u.language
	if c.Language != nil {
		lang = *c.Language
		if !lang.Valid() {
			v.Add("language", "must be uz, ru or en")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if c.ClearFirstName {
		first = ""
	}
	if c.ClearLastName {
		last = ""
	}
	u.firstName, u.lastName, u.language, u.updatedAt = first, last, lang, now.UTC()
	return nil
}

// ErrPhoneTaken is returned when a second user would get the same phone.
var ErrPhoneTaken = domain.New(domain.KindConflict, domain.CodeConflict, "a user with this phone already exists")

// ErrInvalidRole is returned by SetRole for an unknown role.
// Its message is its own, so errors.Is tells it from other validation errors.
var ErrInvalidRole = domain.New(domain.KindInvalid, domain.CodeValidationFailed, "invalid role").
	WithDetails(domain.Detail{Field: "role", Message: "must be USER, MODERATOR or ADMIN"})

// ErrInvalidStatus is returned by SetStatus for an unknown status.
var ErrInvalidStatus = domain.New(domain.KindInvalid, domain.CodeValidationFailed, "invalid status").
	WithDetails(domain.Detail{Field: "status", Message: "must be ACTIVE or BLOCKED"})

// ErrOwnAccount refuses an admin's change of their own role or status, so
// no admin locks themselves out by mistake.
var ErrOwnAccount = domain.New(domain.KindConflict, domain.CodeInvalidState, "you cannot change your own role or status")

// ErrLastAdmin refuses to demote or block the last ACTIVE admin.
var ErrLastAdmin = domain.New(domain.KindConflict, domain.CodeInvalidState, "the last active admin cannot be demoted or blocked")

// ErrAccountBlocked refuses sign-in to a blocked user (after a correct
// code only, so it tells a stranger nothing).
var ErrAccountBlocked = domain.New(domain.KindForbidden, domain.CodeAccountBlocked, "this account is blocked")

// SetRole changes the user's role. It returns ErrInvalidRole for an
// unknown role.
func (u *User) SetRole(r Role, now time.Time) error {
	if !r.Valid() {
		return ErrInvalidRole
	}
	u.role, u.updatedAt = r, now.UTC()
	return nil
}

// SetStatus blocks or unblocks the user. It returns ErrInvalidStatus for
// an unknown status.
func (u *User) SetStatus(s Status, now time.Time) error {
	if !s.Valid() {
		return ErrInvalidStatus
	}
	u.status, u.updatedAt = s, now.UTC()
	return nil
}

// ActiveAdmin reports whether the user is an ADMIN who is not blocked.
func (u *User) ActiveAdmin() bool { return u.role == RoleAdmin && u.status == StatusActive }
