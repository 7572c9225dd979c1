package memory

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/secondbloom/marketplace/domain/audit"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

var _ ports.AuditRepository = (*auditRepo)(nil)

func (r *userRepo) List(ctx context.Context, f ports.UserFilter, p ports.Page) ([]*user.User, ports.Listed, error) {
	var all []user.User
	prefix := strings.ToLower(f.NamePrefix)
	_ = r.se.do(func(db *data, _ *session) error {
		for _, u := range db.users {
			switch {
			case f.Role != "" && u.Role() != f.Role,
				f.Status != "" && u.Status() != f.Status,
				f.PhoneDigits != "" && !strings.Contains(u.Phone().String(), f.PhoneDigits),
				prefix != "" && !strings.HasPrefix(strings.ToLower(u.FirstName()), prefix) &&
					!strings.HasPrefix(strings.ToLower(u.LastName()), prefix):
				continue
			}
			all = append(all, u)
		}
		return nil
	})
	page, l := ports.PageOf(all, p, true, func(u user.User) ports.Position {
		return ports.Position{Time: u.CreatedAt(), ID: u.ID()}
	})
	out := make([]*user.User, 0, len(page))
	for _, u := range page {
		out = append(out, &u)
	}
	return out, l, nil
}

// LockActiveAdmins returns the ACTIVE admins; the store lock that a
// transaction holds throughout already serializes their changes.
func (r *userRepo) LockActiveAdmins(ctx context.Context) ([]string, error) {
	var ids []string
	_ = r.se.do(func(db *data, _ *session) error {
		for id, u := range db.users {
			if u.ActiveAdmin() {
				ids = append(ids, id)
			}
		}
		return nil
	})
	slices.Sort(ids)
	return ids, nil
}

func (r *sessionRepo) RevokeAll(ctx context.Context, userID string, now time.Time) error {
	return r.se.do(func(db *data, log *session) error {
		for id, s := range db.sessions {
			if s.UserID() == userID && s.RevokedAt() == nil {
				s.Revoke(now)
				db.sessions.put(log, id, s)
			}
		}
		return nil
	})
}

func (r *productRepo) SetSellerBlocked(ctx context.Context, sellerID string, blocked bool) ([]string, error) {
	var ids []string
	err := r.se.do(func(db *data, log *session) error {
		for id, f := range db.products {
			if f.SellerID == sellerID && f.SellerBlocked != blocked {
				f.SellerBlocked = blocked
				db.products.put(log, id, f)
				ids = append(ids, id)
			}
		}
		return nil
	})
	slices.Sort(ids)
	return ids, err
}

// statusIn reports whether s is one of want (every status when empty).
func statusIn(s product.Status, want []product.Status) bool {
	return len(want) == 0 || slices.Contains(want, s)
}

type auditRepo struct{ se *session }

func (r *auditRepo) Add(ctx context.Context, entries ...audit.Entry) error {
	return r.se.do(func(db *data, log *session) error {
		for _, e := range entries {
			e.Before, e.After = maps.Clone(e.Before), maps.Clone(e.After)
			db.audit.put(log, e.ID, e)
		}
		return nil
	})
}

func (r *auditRepo) List(ctx context.Context, f ports.AuditFilter, p ports.Page) ([]audit.Entry, ports.Listed, error) {
	var all []audit.Entry
	_ = r.se.do(func(db *data, _ *session) error {
		for _, e := range db.audit {
			switch {
			case f.ActorID != "" && e.ActorID != f.ActorID,
				f.TargetID != "" && e.TargetID != f.TargetID,
				f.Action != "" && e.Action != f.Action:
				continue
			}
			all = append(all, e)
		}
		return nil
	})
	page, l := ports.PageOf(all, p, true, func(e audit.Entry) ports.Position {
		return ports.Position{Time: e.CreatedAt, ID: e.ID}
	})
	return page, l, nil
}
