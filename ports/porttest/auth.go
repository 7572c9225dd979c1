package porttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

var errBoom = errors.New("boom")

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// NewUser stores a user with a fresh id and a phone derived from n.
func NewUser(t testing.TB, r ports.Repos, n int, role user.Role) *user.User {
	t.Helper()
	u, err := user.New(newID(), phone.MustParse(fmt.Sprintf("+99890%07d", n)), role, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Users.Create(context.Background(), u); err != nil {
		t.Fatalf("Users.Create: %v", err)
	}
	return u
}

func testUsers(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	r := newStore(t).Repos()
	u := NewUser(t, r, 1, user.RoleUser)

	got, err := r.Users.Get(ctx, u.ID())
	if err != nil || got.Phone() != u.Phone() || got.Role() != user.RoleUser || !got.CreatedAt().Equal(t0) {
		t.Fatalf("Get = %+v, %v; want the stored user", got, err)
	}
	if got, err := r.Users.GetByPhone(ctx, u.Phone()); err != nil || got.ID() != u.ID() {
		t.Fatalf("GetByPhone = %v, %v; want %s", got, err, u.ID())
	}
	if _, err := r.Users.Get(ctx, newID()); !errors.Is(err, user.ErrNotFound) {
		t.Errorf("Get(unknown) error = %v, want user.ErrNotFound", err)
	}
	if _, err := r.Users.Get(ctx, "not-a-uuid"); !errors.Is(err, user.ErrNotFound) {
		t.Errorf("Get(not-a-uuid) error = %v, want user.ErrNotFound", err)
	}
	twin, _ := user.New(newID(), u.Phone(), user.RoleUser, t0)
	if err := r.Users.Create(ctx, twin); !errors.Is(err, user.ErrPhoneTaken) {
		t.Errorf("Create(same phone) error = %v, want user.ErrPhoneTaken", err)
	}

	name := "Dilnoza"
	if _, err := r.Users.Update(ctx, u.ID(), func(u *user.User) error {
		_ = u.UpdateProfile(user.ProfileChange{FirstName: &name}, t0)
		return errBoom
	}); !errors.Is(err, errBoom) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	if got, _ := r.Users.Get(ctx, u.ID()); got.FirstName() != "" {
		t.Errorf("after a failed Update FirstName = %q, want it unchanged", got.FirstName())
	}
	if _, err := r.Users.Update(ctx, u.ID(), func(u *user.User) error {
		return u.UpdateProfile(user.ProfileChange{FirstName: &name}, t0)
	}); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Users.Get(ctx, u.ID()); got.FirstName() != name {
		t.Errorf("after Update FirstName = %q, want %q", got.FirstName(), name)
	}
}

func testChallenges(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	r := newStore(t).Repos()
	p := phone.MustParse("+998901112233")
	key := []byte("0123456789abcdef0123456789abcdef")
	hash := auth.HashCode(key, p, "123456")

	if err := r.Challenges.Update(ctx, p, func(c *auth.Challenge) error {
		if !c.Consumed() || c.CodeHash() != nil {
			t.Errorf("a new challenge has a code")
		}
		return c.Issue(hash, t0)
	}); err != nil {
		t.Fatal(err)
	}
	// A failing fn stores nothing.
	if err := r.Challenges.Update(ctx, p, func(c *auth.Challenge) error {
		_ = c.Verify(hash, t0)
		return errBoom
	}); !errors.Is(err, errBoom) {
		t.Fatalf("Update returned %v, want fn's error", err)
	}
	// Attempts are stored.
	for i := 0; i < 2; i++ {
		if err := r.Challenges.Update(ctx, p, func(c *auth.Challenge) error {
			if err := c.Verify(auth.HashCode(key, p, "000000"), t0); !errors.Is(err, auth.ErrInvalidCode) {
				t.Errorf("wrong code: Verify = %v", err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Challenges.Update(ctx, p, func(c *auth.Challenge) error {
		if c.Attempts() != 2 || c.Consumed() || len(c.Sends()) != 1 || !c.Sends()[0].Equal(t0) || !c.ExpiresAt().Equal(t0.Add(auth.CodeTTL)) {
			t.Errorf("stored challenge: attempts %d consumed %v sends %v expires %v; want 2, false, [t0], t0+5m",
				c.Attempts(), c.Consumed(), c.Sends(), c.ExpiresAt())
		}
		return c.Verify(hash, t0)
	}); err != nil {
		t.Fatal(err)
	}
	if err := r.Challenges.Update(ctx, p, func(c *auth.Challenge) error {
		if !c.Consumed() {
			t.Errorf("a used code is not consumed after storing")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func testSessions(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	r := newStore(t).Repos()
	u := NewUser(t, r, 2, user.RoleUser)
	first, _ := auth.NewRefreshToken()
	s := auth.NewSession(newID(), u.ID(), first.Hash(), t0)
	if err := r.Sessions.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Sessions.Get(ctx, s.ID()); err != nil || got.UserID() != u.ID() || got.RevokedAt() != nil {
		t.Fatalf("Get = %v, %v; want the active session", got, err)
	}
	if _, err := r.Sessions.Get(ctx, newID()); !errors.Is(err, auth.ErrSessionNotFound) {
		t.Errorf("Get(unknown) error = %v, want auth.ErrSessionNotFound", err)
	}
	id, retired, err := r.Sessions.FindByRefreshHash(ctx, first.Hash())
	if err != nil || id != s.ID() || retired != nil {
		t.Fatalf("FindByRefreshHash(current) = %q, %v, %v; want %q, nil, nil", id, retired, err, s.ID())
	}

	second, _ := auth.NewRefreshToken()
	later := t0.Add(auth.AccessTokenTTL)
	if _, err := r.Sessions.Update(ctx, s.ID(), func(se *auth.Session) error {
		return se.Refresh(first.Hash(), nil, second.Hash(), later)
	}); err != nil {
		t.Fatal(err)
	}
	id, retired, err = r.Sessions.FindByRefreshHash(ctx, first.Hash())
	if err != nil || id != s.ID() || retired == nil || !retired.Equal(later) {
		t.Fatalf("FindByRefreshHash(rotated) = %q, %v, %v; want %q retired at %v", id, retired, err, s.ID(), later)
	}
	if id, retired, err := r.Sessions.FindByRefreshHash(ctx, second.Hash()); err != nil || id != s.ID() || retired != nil {
		t.Fatalf("FindByRefreshHash(new) = %q, %v, %v; want current", id, retired, err)
	}
	if _, _, err := r.Sessions.FindByRefreshHash(ctx, []byte("unknown")); !errors.Is(err, auth.ErrSessionNotFound) {
		t.Errorf("FindByRefreshHash(unknown) error = %v, want auth.ErrSessionNotFound", err)
	}
	got, err := r.Sessions.Update(ctx, s.ID(), func(se *auth.Session) error { se.Revoke(later); return nil })
	if err != nil || got.RevokedAt() == nil {
		t.Fatalf("Revoke: %v, %v", got, err)
	}
	if got, _ := r.Sessions.Get(ctx, s.ID()); got.Active(later) == nil {
		t.Errorf("a revoked session is still active after storing")
	}
}

func testTransactor(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t)

	t.Run("rollback undoes every write", func(t *testing.T) {
		var u *user.User
		err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			u = NewUser(t, r, 3, user.RoleUser)
			s := auth.NewSession(newID(), u.ID(), []byte("h1"), t0)
			if err := r.Sessions.Create(ctx, s); err != nil {
				return err
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("WithinTx = %v, want fn's error", err)
		}
		if _, err := st.Repos().Users.Get(ctx, u.ID()); !errors.Is(err, user.ErrNotFound) {
			t.Errorf("user written in a rolled-back tx: Get error = %v, want not found", err)
		}
		if _, _, err := st.Repos().Sessions.FindByRefreshHash(ctx, []byte("h1")); !errors.Is(err, auth.ErrSessionNotFound) {
			t.Errorf("session written in a rolled-back tx is visible: %v", err)
		}
	})

	t.Run("commit keeps every write", func(t *testing.T) {
		var u *user.User
		if err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			u = NewUser(t, r, 4, user.RoleUser)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Repos().Users.Get(ctx, u.ID()); err != nil {
			t.Errorf("committed user: %v", err)
		}
	})

	t.Run("20 concurrent verifications of one code give one session", func(t *testing.T) {
		p := phone.MustParse("+998905550000")
		key := []byte("0123456789abcdef0123456789abcdef")
		hash := auth.HashCode(key, p, "424242")
		if err := st.Repos().Challenges.Update(ctx, p, func(c *auth.Challenge) error { return c.Issue(hash, t0) }); err != nil {
			t.Fatal(err)
		}
		u := NewUser(t, st.Repos(), 5, user.RoleUser)
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			sessions int
			failures []error
		)
		// The first two verifications to read the challenge wait for each
		// other before either writes. Under the lock the second cannot read
		// until the first has stored, so they never meet; without it they
		// always do, and both see the code unused.
		meet := newOverlap(2)
		var met atomic.Bool
		start := make(chan struct{})
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				var verr error
				err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
					if err := r.Challenges.Update(ctx, p, func(c *auth.Challenge) error {
						if meet.wait() {
							met.Store(true)
						}
						verr = c.Verify(hash, t0.Add(auth.CodeTTL/2))
						return nil
					}); err != nil {
						return err
					}
					if verr != nil {
						return nil
					}
					return r.Sessions.Create(ctx, auth.NewSession(newID(), u.ID(), []byte(fmt.Sprintf("race-%d", i)), t0))
				})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					failures = append(failures, err)
				case verr == nil:
					sessions++
				case !errors.Is(verr, auth.ErrInvalidCode) || domain.KindOf(verr) != domain.KindUnauthenticated:
					failures = append(failures, verr)
				}
			}(i)
		}
		close(start)
		wg.Wait()
		if len(failures) > 0 {
			t.Fatalf("unexpected errors: %v", failures)
		}
		if met.Load() {
			t.Errorf("two verifications read the challenge at once: Update does not lock it")
		}
		if sessions != 1 {
			t.Fatalf("%d goroutines got a session, want exactly 1", sessions)
		}
	})
}
