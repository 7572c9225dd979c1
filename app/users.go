package app

import (
	"context"
	"errors"
	"slices"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// Errors of user management.
var (
	// ErrUsersAdminOnly refuses user management to anyone but admins (and
	// to an admin whose own demotion committed first).
	ErrUsersAdminOnly = domain.New(domain.KindForbidden, domain.CodeForbidden, "only administrators may manage users")
	// ErrStaffOnlyUsers refuses reading a user to anyone but staff.
	ErrStaffOnlyUsers = domain.New(domain.KindForbidden, domain.CodeForbidden, "only staff may read users")
	// ErrEmptyUserChange refuses a change that names neither role nor
	// status.
	ErrEmptyUserChange = domain.Invalid("body", "must change role or status")
)

// UserService lets staff find users and admins change roles and statuses.
type UserService struct {
	tx    ports.Transactor
	users ports.UserRepository
	clock ports.Clock
}

// List returns one page of users, newest first. It returns
// ErrUsersAdminOnly unless by is an admin.
func (s *UserService) List(ctx context.Context, by user.Actor, f ports.UserFilter, p ports.Page) ([]*user.User, ports.Listed, error) {
	if !by.CanManageUsers() {
		return nil, ports.Listed{}, ErrUsersAdminOnly
	}
	return s.users.List(ctx, f, p)
}

// Get returns the user with id. Staff only: ErrStaffOnlyUsers otherwise,
// checked before the id so nothing leaks; user.ErrNotFound.
func (s *UserService) Get(ctx context.Context, by user.Actor, id string) (*user.User, error) {
	if !by.IsStaff() {
		return nil, ErrStaffOnlyUsers
	}
	return s.users.Get(ctx, id)
}

// UserChange is an admin's change of a user; nil fields stay.
type UserChange struct {
	Role   *user.Role
	Status *user.Status
}

// validate returns ErrEmptyUserChange or a validation error naming every
// unknown value.
func (ch UserChange) validate() error {
	if ch.Role == nil && ch.Status == nil {
		return ErrEmptyUserChange
	}
	var v domain.Validation
	if ch.Role != nil && !ch.Role.Valid() {
		v.Add("role", "must be USER, MODERATOR or ADMIN")
	}
	if ch.Status != nil && !ch.Status.Valid() {
		v.Add("status", "must be ACTIVE or BLOCKED")
	}
	return v.Err()
}

// Change applies ch to the user with id on behalf of by. It returns
// ErrUsersAdminOnly unless by is (still, under the lock) an ACTIVE admin,
// a validation error for an unknown role or status or an empty change,
// user.ErrOwnAccount for by's own account, user.ErrNotFound, and
// user.ErrLastAdmin when no ACTIVE admin would be left. All admins' rows
// are locked first, so two admins demoting each other cannot both
// succeed. Blocking revokes every session of the user and hides their
// products; unblocking shows the products again (sessions stay revoked).
func (s *UserService) Change(ctx context.Context, by user.Actor, id string, ch UserChange) (*user.User, error) {
	if !by.CanManageUsers() {
		return nil, ErrUsersAdminOnly
	}
	if err := ch.validate(); err != nil {
		return nil, err
	}
	if by.Is(id) {
		return nil, user.ErrOwnAccount
	}
	var out *user.User
	err := s.tx.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		admins, err := r.Users.LockActiveAdmins(ctx)
		if err != nil {
			return err
		}
		if !slices.Contains(admins, by.UserID) {
			return ErrUsersAdminOnly
		}
		u, err := setRoleAndStatus(ctx, r, by, id, ch, admins, s.clock)
		out = u
		return err
	})
	return out, err
}

// setRoleAndStatus changes the user in r's transaction, after the caller
// locked the ACTIVE admins (admins), and records what changed.
func setRoleAndStatus(ctx context.Context, r ports.Repos, by user.Actor, id string, ch UserChange, admins []string, clock ports.Clock) (*user.User, error) {
	now := clock.Now()
	var before user.Fields
	u, err := r.Users.Update(ctx, id, func(u *user.User) error {
		before = u.Fields()
		if ch.Role != nil {
			if err := u.SetRole(*ch.Role, now); err != nil {
				return err
			}
		}
		if ch.Status != nil {
			if err := u.SetStatus(*ch.Status, now); err != nil {
				return err
			}
		}
		if before.Role == user.RoleAdmin && before.Status == user.StatusActive && !u.ActiveAdmin() && len(admins) <= 1 {
			return user.ErrLastAdmin
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if u.Role() != before.Role {
		r.Events.Record(audited(userEvent(by, u, "role"), "user.role",
			map[string]any{"role": before.Role}, map[string]any{"role": u.Role()}))
	}
	if u.Status() != before.Status {
		r.Events.Record(audited(userEvent(by, u, "status"), "user.status",
			map[string]any{"status": before.Status}, map[string]any{"status": u.Status()}))
		if u.Blocked() {
			if err := r.Sessions.RevokeAll(ctx, id, now); err != nil {
				return nil, err
			}
		}
		ids, err := r.Products.SetSellerBlocked(ctx, id, u.Blocked())
		if err != nil {
			return nil, err
		}
		for _, pid := range ids {
			r.Events.Record(event.New(event.ProductChanged, by, event.SubjectProduct, pid, "action", "seller-status",
				"sellerId", id))
		}
	}
	return u, nil
}

func userEvent(by user.Actor, u *user.User, field string) event.Event {
	return event.New(event.UserChanged, by, event.SubjectUser, u.ID(), "field", field, "role", string(u.Role()),
		"status", string(u.Status()))
}

// CLIActor names the command line as the actor of what it changes.
const CLIActor = "cli"

// ChangeFromCLI applies ch to the user of phone p on behalf of an operator
// at the command line (actor "cli"): for the first admin of a new
// deployment and for emergencies. A phone that never signed in gets its
// user created. The last-admin rule still holds (user.ErrLastAdmin), and
// the change is audited with details.actor "cli".
func (s *UserService) ChangeFromCLI(ctx context.Context, p phone.Number, ch UserChange) (*user.User, error) {
	if err := ch.validate(); err != nil {
		return nil, err
	}
	var out *user.User
	err := s.tx.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		admins, err := r.Users.LockActiveAdmins(ctx)
		if err != nil {
			return err
		}
		u, err := r.Users.GetByPhone(ctx, p)
		if errors.Is(err, user.ErrNotFound) {
			if u, err = user.New(newID(), p, user.RoleUser, s.clock.Now()); err == nil {
				err = r.Users.Create(ctx, u)
			}
		}
		if err != nil {
			return err
		}
		out, err = setRoleAndStatus(ctx, r, user.SystemActor(CLIActor), u.ID(), ch, admins, s.clock)
		return err
	})
	return out, err
}
