package porttest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/domain/audit"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

func testBackOffice(t *testing.T, newStore NewStore) {
	ctx := context.Background()

	t.Run("LockActiveAdmins makes a second admin change wait for the first", func(t *testing.T) {
		s := newStore(t)
		a := NewUser(t, s.Repos(), 1, user.RoleAdmin)
		b := NewUser(t, s.Repos(), 2, user.RoleAdmin)
		locked := make(chan struct{})
		firstDone := make(chan error, 1)
		go func() {
			firstDone <- s.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
				if _, err := r.Users.LockActiveAdmins(ctx); err != nil {
					return err
				}
				if _, err := r.Users.Update(ctx, b.ID(), func(u *user.User) error { return u.SetRole(user.RoleUser, t0) }); err != nil {
					return err
				}
				close(locked)
				// Hold the lock long enough for the second transaction to
				// try; it must wait, not read the admins as they were.
				time.Sleep(300 * time.Millisecond)
				return nil
			})
		}()
		<-locked
		var seen []string
		err := s.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			var err error
			seen, err = r.Users.LockActiveAdmins(ctx)
			return err
		})
		if err := <-firstDone; err != nil {
			t.Fatalf("first transaction: %v", err)
		}
		if err != nil || !slices.Equal(seen, []string{a.ID()}) {
			t.Errorf("second LockActiveAdmins = %v, %v; want only %s, the state after the first commit", seen, err, a.ID())
		}
	})

	t.Run("RevokeAll ends every session of the user only", func(t *testing.T) {
		s := newStore(t)
		r := s.Repos()
		u := NewUser(t, r, 3, user.RoleUser)
		other := NewUser(t, r, 4, user.RoleUser)
		s1, s2, s3 := newSession(t, r, u.ID()), newSession(t, r, u.ID()), newSession(t, r, other.ID())
		if err := r.Sessions.RevokeAll(ctx, u.ID(), t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{s1, s2} {
			if got, _ := r.Sessions.Get(ctx, id); got.RevokedAt() == nil {
				t.Errorf("session %s of the user survived RevokeAll", id)
			}
		}
		if got, _ := r.Sessions.Get(ctx, s3); got.RevokedAt() != nil {
			t.Error("RevokeAll revoked another user's session")
		}
	})

	t.Run("audit entries commit with their transaction", func(t *testing.T) {
		s := newStore(t)
		e := audit.Entry{ID: newID(), ActorID: newID(), Action: "user.role", TargetType: audit.TargetUser, TargetID: newID(),
			Before: map[string]any{"role": "USER"}, After: map[string]any{"role": "ADMIN"}, CreatedAt: t0}
		if err := s.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			if err := r.Audit.Add(ctx, e); err != nil {
				return err
			}
			return errBoom
		}); !errors.Is(err, errBoom) {
			t.Fatalf("WithinTx = %v, want %v", err, errBoom)
		}
		if got, n, _ := s.Repos().Audit.List(ctx, ports.AuditFilter{}, ports.Page{Number: 1, Limit: 10}); n.Total != 0 {
			t.Errorf("after a rollback the log holds %v", got)
		}
		cli := audit.Entry{ID: newID(), Actor: "cli", Action: "user.status", TargetType: audit.TargetUser, TargetID: e.TargetID,
			Before: map[string]any{"status": "ACTIVE"}, After: map[string]any{"status": "BLOCKED"}, CreatedAt: t0.Add(time.Second)}
		if err := s.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error { return r.Audit.Add(ctx, e, cli) }); err != nil {
			t.Fatal(err)
		}
		got, n, err := s.Repos().Audit.List(ctx, ports.AuditFilter{TargetID: e.TargetID}, ports.Page{Number: 1, Limit: 10})
		if err != nil || n.Total != 2 || got[0].ID != cli.ID || got[0].Actor != "cli" || got[0].ActorID != "" || got[1].After["role"] != "ADMIN" {
			t.Errorf("List = %+v, %d, %v; want the cli entry first (newest), then the role change", got, n.Total, err)
		}
		if _, n, _ := s.Repos().Audit.List(ctx, ports.AuditFilter{Action: "user.role"}, ports.Page{Number: 1, Limit: 10}); n.Total != 1 {
			t.Errorf("List by action = %d entries, want 1", n.Total)
		}
	})
}

// newSession stores a fresh session of the user and returns its id.
func newSession(t *testing.T, r ports.Repos, userID string) string {
	t.Helper()
	s := auth.NewSession(newID(), userID, []byte(newID()), t0)
	if err := r.Sessions.Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s.ID()
}
