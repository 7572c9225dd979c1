// Package user defines marketplace users and their roles.
package user

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/phone"
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
	return &User{id: id, phone: p, role: role, createdAt: now.UTC(), updatedAt: now.UTC()}, nil
}

// Rehydrate rebuilds a stored user. Only storage adapters call it.
func Rehydrate(id string, p phone.Number, role Role, firstName, lastName string, createdAt, updatedAt time.Time) *User {
	return &User{id: id, phone: p, role: role, firstName: firstName, lastName: lastName, createdAt: createdAt.UTC(), updatedAt: updatedAt.UTC()}
}

// ID returns the user's id.
func (u *User) ID() string { return u.id }

// Phone returns the user's phone number.
func (u *User) Phone() phone.Number { return u.phone }

// Role returns the user's role.
func (u *User) Role() Role { return u.role }

// Language returns the locale the user chose, or "" when they chose none
// (the server's default locale applies then).
func (u *User) Language() i18n.Locale { return u.language }

// WithLanguage returns u with the stored language l, for storage adapters
// rebuilding a user ("" for none). It is part of rehydration: other code
// changes the language through UpdateProfile.
func (u *User) WithLanguage(l i18n.Locale) *User {
	out := *u
	if l.Valid() {
		out.language = l
	}
	return &out
}

// FirstName returns the first name, possibly empty.
func (u *User) FirstName() string { return u.firstName }

// LastName returns the last name, possibly empty.
func (u *User) LastName() string { return u.lastName }

// CreatedAt returns when the user first signed in.
func (u *User) CreatedAt() time.Time { return u.createdAt }

// UpdatedAt returns when the profile last changed.
func (u *User) UpdatedAt() time.Time { return u.updatedAt }

// ProfileChange lists the profile fields to set; nil fields stay as they are.
type ProfileChange struct {
	FirstName *string
	LastName  *string
	Language  *i18n.Locale
}

// UpdateProfile applies c. Names are trimmed and must be 1..100 characters;
// it returns a validation error naming each bad field and changes nothing
// then.
func (u *User) UpdateProfile(c ProfileChange, now time.Time) error {
	var v domain.Validation
	first, last := u.firstName, u.lastName
	if c.FirstName != nil {
		first = strings.TrimSpace(*c.FirstName)
		if err := validName(first); err != "" {
			v.Add("firstName", err)
		}
	}
	if c.LastName != nil {
		last = strings.TrimSpace(*c.LastName)
		if err := validName(last); err != "" {
			v.Add("lastName", err)
		}
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
	u.firstName, u.lastName, u.language, u.updatedAt = first, last, lang, now.UTC()
	return nil
}

func validName(s string) string {
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0:
		return "must not be empty"
	case n > MaxNameLength:
		return "must be at most 100 characters"
	}
	for _, r := range s {
		if unicode.IsControl(r) { // C0, DEL and the C1 range U+0080..U+009F
			return "must not contain control characters"
		}
	}
	return ""
}

// ErrPhoneTaken is returned when a second user would get the same phone.
var ErrPhoneTaken = domain.New(domain.KindConflict, domain.CodeConflict, "a user with this phone already exists")

// ErrInvalidRole is returned by SetRole for an unknown role.
// Its message is its own, so errors.Is tells it from other validation errors.
var ErrInvalidRole = domain.New(domain.KindInvalid, domain.CodeValidationFailed, "invalid role").
	WithDetails(domain.Detail{Field: "role", Message: "must be USER, MODERATOR or ADMIN"})

// SetRole changes the user's role (an operator's action; there is no API
// for it). It returns ErrInvalidRole for an unknown role.
func (u *User) SetRole(r Role, now time.Time) error {
	if !r.Valid() {
		return ErrInvalidRole
	}
	u.role, u.updatedAt = r, now.UTC()
	return nil
}
