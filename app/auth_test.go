package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/mocks"
	"github.com/secondbloom/marketplace/ports"
)

var (
	t0        = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	hashKey   = []byte("0123456789abcdef0123456789abcdef")
	buyer     = phone.MustParse("+998901234567")
	admin     = phone.MustParse("+998900000009")
	tester    = phone.MustParse("+998900000001")
	testCode  = auth.Code("111111")
	errBroken = errors.New("connection reset")
)

// fixture is an app built from mocks. Each test states the calls it expects;
// any other call fails the test.
type fixture struct {
	tx         *mocks.MockTransactor
	users      *mocks.MockUserRepository
	challenges *mocks.MockChallengeRepository
	sessions   *mocks.MockSessionRepository
	sms        *mocks.MockSMSSender
	tokens     *mocks.MockTokenIssuer
	metrics    *mocks.MockMetrics
	auth       *app.AuthService

	// challenge is what the challenge store holds for buyer, admin or
	// tester; see expectChallengeUpdates.
	challenge *auth.Challenge
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	f := &fixture{
		tx:         mocks.NewMockTransactor(ctrl),
		users:      mocks.NewMockUserRepository(ctrl),
		challenges: mocks.NewMockChallengeRepository(ctrl),
		sessions:   mocks.NewMockSessionRepository(ctrl),
		sms:        mocks.NewMockSMSSender(ctrl),
		tokens:     mocks.NewMockTokenIssuer(ctrl),
		metrics:    mocks.NewMockMetrics(ctrl),
	}
	clock := mocks.NewMockClock(ctrl)
	clock.EXPECT().Now().Return(t0).AnyTimes()
	a, err := app.New(app.Deps{
		Tx:      f.tx,
		Repos:   fullRepos(ctrl, f.repos()),
		Clock:   clock,
		Pinger:  mocks.NewMockPinger(ctrl),
		SMS:     f.sms,
		Tokens:  f.tokens,
		Metrics: f.metrics,
		Config: app.Config{
			AdminPhones: []phone.Number{admin},
			TestCodes:   map[string]auth.Code{tester.String(): testCode},
			CodeHashKey: hashKey,
		},
	})
	if err != nil {
		t.Fatalf("app.New(...) error = %v", err)
	}
	f.auth = a.Auth
	return f
}

func (f *fixture) repos() ports.Repos {
	return ports.Repos{Users: f.users, Challenges: f.challenges, Sessions: f.sessions, Events: &recorder{}, Audit: acceptAudit{}}
}

// expectTx makes WithinTx run fn with the mocked repositories, once.
func (f *fixture) expectTx() {
	f.tx.EXPECT().WithinTx(gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, fn func(context.Context, ports.Repos) error) error {
			return fn(ctx, f.repos())
		})
}

// expectChallengeUpdates makes the challenge store behave as the port
// says, n times: fn gets a copy of f.challenge, which is replaced by the
// copy only when fn returns nil.
func (f *fixture) expectChallengeUpdates(p phone.Number, n int) *gomock.Call {
	if f.challenge == nil {
		f.challenge = auth.NewChallenge(p)
	}
	return f.challenges.EXPECT().Update(gomock.Any(), p, gomock.Any()).Times(n).DoAndReturn(
		func(_ context.Context, _ phone.Number, fn func(*auth.Challenge) error) error {
			c := f.challenge
			work := auth.RehydrateChallenge(c.Phone(), c.CodeHash(), c.ExpiresAt(), c.Attempts(), c.Consumed(), append([]time.Time(nil), c.Sends()...))
			if err := fn(work); err != nil {
				return err
			}
			f.challenge = work
			return nil
		})
}

// withCode puts a challenge whose code was sent at sentAt into the store.
func (f *fixture) withCode(p phone.Number, code auth.Code, sentAt time.Time) {
	f.challenge = auth.NewChallenge(p)
	if err := f.challenge.Issue(auth.HashCode(hashKey, p, code), sentAt); err != nil {
		panic(err)
	}
}

func TestSendCode(t *testing.T) {
	t.Run("an accepted request sends one SMS with the stored code, after storing it", func(t *testing.T) {
		f := newFixture(t)
		stored := f.expectChallengeUpdates(buyer, 1)
		var sent auth.Code
		f.sms.EXPECT().SendCode(gomock.Any(), buyer, gomock.Any()).Times(1).After(stored).DoAndReturn(
			func(_ context.Context, _ phone.Number, c auth.Code) error { sent = c; return nil })
		f.metrics.EXPECT().OTPSent().Times(1)

		got, err := f.auth.SendCode(context.Background(), buyer)
		if err != nil {
			t.Fatalf("SendCode(%v) error = %v", buyer, err)
		}
		if want := (app.CodeSent{ExpiresIn: 5 * time.Minute, RetryAfter: time.Minute}); got != want {
			t.Errorf("SendCode(%v) = %+v, want %+v", buyer, got, want)
		}
		if !auth.ValidCodeFormat(string(sent)) {
			t.Fatalf("SMS code = %q, want 6 digits", sent)
		}
		if want := auth.HashCode(hashKey, buyer, sent); !bytes.Equal(f.challenge.CodeHash(), want) {
			t.Errorf("stored code hash = %x, want the hash of the SMS code %x", f.challenge.CodeHash(), want)
		}
		if got, want := f.challenge.ExpiresAt(), t0.Add(auth.CodeTTL); !got.Equal(want) {
			t.Errorf("stored ExpiresAt = %v, want %v", got, want)
		}
	})

	t.Run("a second request within the cooldown is refused and sends nothing", func(t *testing.T) {
		f := newFixture(t)
		f.expectChallengeUpdates(buyer, 2)
		f.sms.EXPECT().SendCode(gomock.Any(), buyer, gomock.Any()).Times(1).Return(nil)
		f.metrics.EXPECT().OTPSent().Times(1)

		if _, err := f.auth.SendCode(context.Background(), buyer); err != nil {
			t.Fatalf("first SendCode error = %v", err)
		}
		stored := f.challenge.CodeHash()
		_, err := f.auth.SendCode(context.Background(), buyer)
		if !errors.Is(err, auth.ErrResendTooSoon) {
			t.Fatalf("second SendCode = %v, want %v", err, auth.ErrResendTooSoon)
		}
		var e *domain.Error
		if !errors.As(err, &e) || e.RetryAfterSeconds != 60 {
			t.Errorf("second SendCode RetryAfterSeconds = %+v, want 60", e)
		}
		if !bytes.Equal(f.challenge.CodeHash(), stored) {
			t.Errorf("a refused request changed the stored code")
		}
	})

	t.Run("a phone at its hourly limit gets no SMS", func(t *testing.T) {
		f := newFixture(t)
		f.challenge = auth.RehydrateChallenge(buyer, []byte("h"), t0, 0, false, []time.Time{
			t0.Add(-50 * time.Minute), t0.Add(-40 * time.Minute), t0.Add(-30 * time.Minute), t0.Add(-20 * time.Minute), t0.Add(-10 * time.Minute),
		})
		f.expectChallengeUpdates(buyer, 1)
		if _, err := f.auth.SendCode(context.Background(), buyer); !errors.Is(err, auth.ErrTooManySends) {
			t.Fatalf("SendCode = %v, want %v", err, auth.ErrTooManySends)
		}
	})

	t.Run("a test phone gets its fixed code and no SMS", func(t *testing.T) {
		f := newFixture(t)
		f.expectChallengeUpdates(tester, 1)
		f.metrics.EXPECT().OTPSent().Times(1)

		if _, err := f.auth.SendCode(context.Background(), tester); err != nil {
			t.Fatalf("SendCode(%v) error = %v", tester, err)
		}
		if want := auth.HashCode(hashKey, tester, testCode); !bytes.Equal(f.challenge.CodeHash(), want) {
			t.Errorf("stored code hash = %x, want the hash of the fixed code %x", f.challenge.CodeHash(), want)
		}
	})

	t.Run("an SMS failure is reported", func(t *testing.T) {
		f := newFixture(t)
		f.expectChallengeUpdates(buyer, 1)
		f.sms.EXPECT().SendCode(gomock.Any(), buyer, gomock.Any()).Times(1).
			Return(fmt.Errorf("provider: %w", domain.ErrUnavailable))

		_, err := f.auth.SendCode(context.Background(), buyer)
		if !errors.Is(err, domain.ErrUnavailable) {
			t.Fatalf("SendCode with a failing SMS provider = %v, want %v", err, domain.ErrUnavailable)
		}
		if strings.Contains(err.Error(), buyer.String()) {
			t.Errorf("error %q contains the full phone number, want it masked", err)
		}
	})

	t.Run("a store failure is reported and sends nothing", func(t *testing.T) {
		f := newFixture(t)
		f.challenges.EXPECT().Update(gomock.Any(), buyer, gomock.Any()).Return(errBroken)

		if _, err := f.auth.SendCode(context.Background(), buyer); !errors.Is(err, errBroken) {
			t.Fatalf("SendCode with a failing store = %v, want %v", err, errBroken)
		}
	})
}

// signedIn holds what a successful VerifyCode stored and issued.
type signedIn struct {
	user    *user.User
	session *auth.Session
	claims  ports.AccessClaims
}

func (f *fixture) expectSignIn(p phone.Number, existing *user.User) *signedIn {
	var got signedIn
	if existing != nil {
		f.users.EXPECT().GetByPhone(gomock.Any(), p).Return(existing, nil)
		got.user = existing
	} else {
		f.users.EXPECT().GetByPhone(gomock.Any(), p).Return(nil, user.ErrNotFound)
		f.users.EXPECT().Create(gomock.Any(), gomock.Any()).Times(1).DoAndReturn(
			func(_ context.Context, u *user.User) error { got.user = u; return nil })
	}
	f.sessions.EXPECT().Create(gomock.Any(), gomock.Any()).Times(1).DoAndReturn(
		func(_ context.Context, s *auth.Session) error { got.session = s; return nil })
	f.tokens.EXPECT().Issue(gomock.Any()).Times(1).DoAndReturn(
		func(c ports.AccessClaims) (string, error) { got.claims = c; return "access-token", nil })
	return &got
}

func TestVerifyCodeSignsIn(t *testing.T) {
	tests := []struct {
		name     string
		phone    phone.Number
		wantRole user.Role
	}{
		{name: "a newcomer becomes a USER", phone: buyer, wantRole: user.RoleUser},
		{name: "an admin phone becomes an ADMIN", phone: admin, wantRole: user.RoleAdmin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.withCode(tc.phone, "123456", t0.Add(-time.Minute))
			f.expectTx()
			f.expectChallengeUpdates(tc.phone, 1)
			want := f.expectSignIn(tc.phone, nil)

			got, err := f.auth.VerifyCode(context.Background(), tc.phone, "123456")
			if err != nil {
				t.Fatalf("VerifyCode(%v, right code) error = %v", tc.phone, err)
			}
			if want.user == nil || want.session == nil {
				t.Fatalf("VerifyCode created user %v and session %v, want both", want.user, want.session)
			}
			if got.User != want.user {
				t.Errorf("SignIn.User = %v, want the created user %v", got.User, want.user)
			}
			if want.user.Role() != tc.wantRole || want.user.Phone() != tc.phone {
				t.Errorf("created user role, phone = %q, %v, want %q, %v", want.user.Role(), want.user.Phone(), tc.wantRole, tc.phone)
			}
			if want.session.UserID() != want.user.ID() {
				t.Errorf("session.UserID() = %q, want %q", want.session.UserID(), want.user.ID())
			}
			if !bytes.Equal(want.session.RefreshHash(), got.RefreshToken.Hash()) {
				t.Errorf("session refresh hash does not match the returned refresh token")
			}
			wantClaims := ports.AccessClaims{UserID: want.user.ID(), SessionID: want.session.ID(), ExpiresAt: t0.Add(auth.AccessTokenTTL)}
			if want.claims != wantClaims {
				t.Errorf("Issue(%+v), want Issue(%+v)", want.claims, wantClaims)
			}
			if got.AccessToken != "access-token" || got.ExpiresIn != auth.AccessTokenTTL {
				t.Errorf("SignIn = {%q %v}, want {%q %v}", got.AccessToken, got.ExpiresIn, "access-token", auth.AccessTokenTTL)
			}
			if !f.challenge.Consumed() {
				t.Errorf("the stored challenge is not consumed after a sign-in")
			}
		})
	}
}

func TestVerifyCodeExistingUser(t *testing.T) {
	f := newFixture(t)
	f.withCode(admin, "123456", t0)
	f.expectTx()
	f.expectChallengeUpdates(admin, 1)
	existing := user.Rehydrate(user.Fields{ID: "u-old", Phone: admin, Role: user.RoleModerator, FirstName: "Old", LastName: "Timer", CreatedAt: t0.Add(-time.Hour), UpdatedAt: t0.Add(-time.Hour)})
	// The phone is in AdminPhones, but an ACTIVE admin exists: the list
	// does not undo a demotion.
	f.users.EXPECT().LockActiveAdmins(gomock.Any()).Return([]string{"u-admin"}, nil)
	want := f.expectSignIn(admin, existing) // no Users.Create expected

	got, err := f.auth.VerifyCode(context.Background(), admin, "123456")
	if err != nil {
		t.Fatalf("VerifyCode error = %v", err)
	}
	if got.User != existing || got.User.Role() != user.RoleModerator {
		t.Errorf("SignIn.User = %v (role %q), want the existing MODERATOR", got.User, got.User.Role())
	}
	if want.session.UserID() != "u-old" {
		t.Errorf("session.UserID() = %q, want %q", want.session.UserID(), "u-old")
	}
}

func TestVerifyCodeTestPhone(t *testing.T) {
	f := newFixture(t)
	f.expectChallengeUpdates(tester, 1)
	f.metrics.EXPECT().OTPSent()
	if _, err := f.auth.SendCode(context.Background(), tester); err != nil {
		t.Fatalf("SendCode error = %v", err)
	}
	f.expectTx()
	f.expectChallengeUpdates(tester, 1)
	f.expectSignIn(tester, nil)
	if _, err := f.auth.VerifyCode(context.Background(), tester, string(testCode)); err != nil {
		t.Fatalf("VerifyCode(%v, fixed code) error = %v", tester, err)
	}
}

func TestVerifyCodeRefused(t *testing.T) {
	tests := []struct {
		name         string
		code         string
		sentAt       time.Time
		wantAttempts int
	}{
		{name: "wrong code", code: "654321", sentAt: t0, wantAttempts: 1},
		{name: "malformed code", code: "12a456", sentAt: t0, wantAttempts: 1},
		{name: "empty code", code: "", sentAt: t0, wantAttempts: 1},
		{name: "expired code", code: "123456", sentAt: t0.Add(-auth.CodeTTL), wantAttempts: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.withCode(buyer, "123456", tc.sentAt)
			f.expectTx()
			f.expectChallengeUpdates(buyer, 1)
			f.metrics.EXPECT().OTPVerifyFailed().Times(1)
			// No Users, Sessions or Tokens call is expected: any would fail.

			got, err := f.auth.VerifyCode(context.Background(), buyer, tc.code)
			if !errors.Is(err, auth.ErrInvalidCode) {
				t.Fatalf("VerifyCode(%q) = %+v, %v, want %v", tc.code, got, err, auth.ErrInvalidCode)
			}
			if got.AccessToken != "" || got.RefreshToken != "" || got.User != nil {
				t.Errorf("VerifyCode(%q) = %+v with an error, want the zero SignIn", tc.code, got)
			}
			if a := f.challenge.Attempts(); a != tc.wantAttempts {
				t.Errorf("stored Attempts() = %d, want %d", a, tc.wantAttempts)
			}
		})
	}
}

func TestVerifyCodeBurnedAfterMaxAttempts(t *testing.T) {
	f := newFixture(t)
	f.withCode(buyer, "123456", t0)
	f.tx.EXPECT().WithinTx(gomock.Any(), gomock.Any()).Times(auth.MaxAttempts + 1).DoAndReturn(
		func(ctx context.Context, fn func(context.Context, ports.Repos) error) error {
			return fn(ctx, f.repos())
		})
	f.expectChallengeUpdates(buyer, auth.MaxAttempts+1)
	f.metrics.EXPECT().OTPVerifyFailed().Times(auth.MaxAttempts + 1)
	for i := 0; i < auth.MaxAttempts; i++ {
		if _, err := f.auth.VerifyCode(context.Background(), buyer, "000000"); !errors.Is(err, auth.ErrInvalidCode) {
			t.Fatalf("wrong try %d: VerifyCode = %v, want %v", i+1, err, auth.ErrInvalidCode)
		}
	}
	if _, err := f.auth.VerifyCode(context.Background(), buyer, "123456"); !errors.Is(err, auth.ErrInvalidCode) {
		t.Fatalf("right code after %d wrong tries: VerifyCode = %v, want %v", auth.MaxAttempts, err, auth.ErrInvalidCode)
	}
}

func TestVerifyCodeStoreFailures(t *testing.T) {
	t.Run("challenge store", func(t *testing.T) {
		f := newFixture(t)
		f.expectTx()
		f.challenges.EXPECT().Update(gomock.Any(), buyer, gomock.Any()).Return(errBroken)
		if _, err := f.auth.VerifyCode(context.Background(), buyer, "123456"); !errors.Is(err, errBroken) {
			t.Fatalf("VerifyCode = %v, want %v", err, errBroken)
		}
	})
	t.Run("user lookup", func(t *testing.T) {
		f := newFixture(t)
		f.withCode(buyer, "123456", t0)
		f.expectTx()
		f.expectChallengeUpdates(buyer, 1)
		f.users.EXPECT().GetByPhone(gomock.Any(), buyer).Return(nil, errBroken)
		if _, err := f.auth.VerifyCode(context.Background(), buyer, "123456"); !errors.Is(err, errBroken) {
			t.Fatalf("VerifyCode = %v, want %v", err, errBroken)
		}
	})
	t.Run("session create", func(t *testing.T) {
		f := newFixture(t)
		f.withCode(buyer, "123456", t0)
		f.expectTx()
		f.expectChallengeUpdates(buyer, 1)
		f.users.EXPECT().GetByPhone(gomock.Any(), buyer).Return(nil, user.ErrNotFound)
		f.users.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
		f.sessions.EXPECT().Create(gomock.Any(), gomock.Any()).Return(errBroken)
		if _, err := f.auth.VerifyCode(context.Background(), buyer, "123456"); !errors.Is(err, errBroken) {
			t.Fatalf("VerifyCode = %v, want %v", err, errBroken)
		}
	})
	t.Run("token issuer", func(t *testing.T) {
		f := newFixture(t)
		f.withCode(buyer, "123456", t0)
		f.expectTx()
		f.expectChallengeUpdates(buyer, 1)
		f.users.EXPECT().GetByPhone(gomock.Any(), buyer).Return(nil, user.ErrNotFound)
		f.users.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
		f.sessions.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
		f.tokens.EXPECT().Issue(gomock.Any()).Return("", errBroken)
		if _, err := f.auth.VerifyCode(context.Background(), buyer, "123456"); !errors.Is(err, errBroken) {
			t.Fatalf("VerifyCode = %v, want %v", err, errBroken)
		}
	})
}

// expectSessionUpdate makes Sessions.Update behave as the port says, once:
// fn gets a copy of *stored, which replaces it only when fn returns nil.
func (f *fixture) expectSessionUpdate(stored **auth.Session) {
	s := *stored
	f.sessions.EXPECT().Update(gomock.Any(), s.ID(), gomock.Any()).Times(1).DoAndReturn(
		func(_ context.Context, _ string, fn func(*auth.Session) error) (*auth.Session, error) {
			var revoked *time.Time
			if r := s.RevokedAt(); r != nil {
				t := *r
				revoked = &t
			}
			work := auth.RehydrateSession(s.ID(), s.UserID(), s.RefreshHash(), s.RotatedAt(), s.CreatedAt(), s.ExpiresAt(), revoked)
			if err := fn(work); err != nil {
				return nil, err
			}
			*stored = work
			return work, nil
		})
}

func TestRefresh(t *testing.T) {
	const old = auth.RefreshToken("old-refresh-token")
	u := user.Rehydrate(user.Fields{ID: "u1", Phone: buyer, Role: user.RoleUser, FirstName: "", LastName: "", CreatedAt: t0, UpdatedAt: t0})

	t.Run("the current token rotates and new tokens are issued", func(t *testing.T) {
		f := newFixture(t)
		s := auth.NewSession("s1", "u1", old.Hash(), t0.Add(-time.Hour))
		f.expectTx()
		f.sessions.EXPECT().FindByRefreshHash(gomock.Any(), old.Hash()).Return("s1", nil, nil)
		f.expectSessionUpdate(&s)
		f.users.EXPECT().Get(gomock.Any(), "u1").Return(u, nil)
		f.tokens.EXPECT().Issue(ports.AccessClaims{UserID: "u1", SessionID: "s1", ExpiresAt: t0.Add(auth.AccessTokenTTL)}).
			Return("access-2", nil)

		got, err := f.auth.Refresh(context.Background(), old)
		if err != nil {
			t.Fatalf("Refresh error = %v", err)
		}
		if got.RefreshToken == "" || got.RefreshToken == old {
			t.Errorf("Refresh returned refresh token %q, want a new one", got.RefreshToken)
		}
		if !bytes.Equal(s.RefreshHash(), got.RefreshToken.Hash()) {
			t.Errorf("session refresh hash = %x, want the hash of the new token", s.RefreshHash())
		}
		if !s.RotatedAt().Equal(t0) {
			t.Errorf("session RotatedAt() = %v, want %v", s.RotatedAt(), t0)
		}
		if got.AccessToken != "access-2" || got.User != u || got.ExpiresIn != auth.AccessTokenTTL {
			t.Errorf("Refresh = {%q %v %v}, want {%q %v %v}", got.AccessToken, got.User, got.ExpiresIn, "access-2", u, auth.AccessTokenTTL)
		}
	})

	t.Run("an empty token is refused without a lookup", func(t *testing.T) {
		f := newFixture(t)
		if _, err := f.auth.Refresh(context.Background(), ""); !errors.Is(err, auth.ErrSessionNotFound) {
			t.Fatalf("Refresh(\"\") = %v, want %v", err, auth.ErrSessionNotFound)
		}
	})

	t.Run("an unknown token is refused", func(t *testing.T) {
		f := newFixture(t)
		f.expectTx()
		f.sessions.EXPECT().FindByRefreshHash(gomock.Any(), old.Hash()).Return("", nil, auth.ErrSessionNotFound)
		if _, err := f.auth.Refresh(context.Background(), old); !errors.Is(err, auth.ErrSessionNotFound) {
			t.Fatalf("Refresh(unknown) = %v, want %v", err, auth.ErrSessionNotFound)
		}
	})

	t.Run("a reused old token revokes the session and issues nothing", func(t *testing.T) {
		f := newFixture(t)
		s := auth.NewSession("s1", "u1", []byte("current"), t0.Add(-time.Hour))
		retired := t0.Add(-time.Minute)
		f.expectTx()
		f.sessions.EXPECT().FindByRefreshHash(gomock.Any(), old.Hash()).Return("s1", &retired, nil)
		f.expectSessionUpdate(&s)

		if _, err := f.auth.Refresh(context.Background(), old); !errors.Is(err, auth.ErrRefreshReused) {
			t.Fatalf("Refresh(reused) = %v, want %v", err, auth.ErrRefreshReused)
		}
		if r := s.RevokedAt(); r == nil || !r.Equal(t0) {
			t.Errorf("session RevokedAt() = %v, want %v", r, t0)
		}
	})

	t.Run("a revoked session refuses", func(t *testing.T) {
		f := newFixture(t)
		s := auth.NewSession("s1", "u1", old.Hash(), t0.Add(-time.Hour))
		s.Revoke(t0.Add(-time.Minute))
		f.expectTx()
		f.sessions.EXPECT().FindByRefreshHash(gomock.Any(), old.Hash()).Return("s1", nil, nil)
		f.expectSessionUpdate(&s)

		if _, err := f.auth.Refresh(context.Background(), old); !errors.Is(err, auth.ErrSessionEnded) {
			t.Fatalf("Refresh on a revoked session = %v, want %v", err, auth.ErrSessionEnded)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	claims := ports.AccessClaims{UserID: "u1", SessionID: "s1", ExpiresAt: t0.Add(10 * time.Minute)}
	u := user.Rehydrate(user.Fields{ID: "u1", Phone: buyer, Role: user.RoleModerator, FirstName: "", LastName: "", CreatedAt: t0, UpdatedAt: t0})
	active := func() *auth.Session { return auth.NewSession("s1", "u1", []byte("h"), t0.Add(-time.Hour)) }

	t.Run("a valid token of an active session", func(t *testing.T) {
		f := newFixture(t)
		f.tokens.EXPECT().Verify("tok", t0).Return(claims, nil)
		f.sessions.EXPECT().Get(gomock.Any(), "s1").Return(active(), nil)
		f.users.EXPECT().Get(gomock.Any(), "u1").Return(u, nil)

		got, err := f.auth.Authenticate(context.Background(), "tok")
		if err != nil {
			t.Fatalf("Authenticate error = %v", err)
		}
		if want := (user.Actor{UserID: "u1", SessionID: "s1", Role: user.RoleModerator}); got != want {
			t.Errorf("Authenticate = %+v, want %+v", got, want)
		}
	})

	tests := []struct {
		name    string
		setup   func(f *fixture)
		wantErr error
	}{
		{name: "a token the issuer rejects", wantErr: auth.ErrUnauthenticated, setup: func(f *fixture) {
			f.tokens.EXPECT().Verify("tok", t0).Return(ports.AccessClaims{}, errors.New("bad signature"))
		}},
		{name: "a revoked session", wantErr: auth.ErrSessionEnded, setup: func(f *fixture) {
			s := active()
			s.Revoke(t0.Add(-time.Second))
			f.tokens.EXPECT().Verify("tok", t0).Return(claims, nil)
			f.sessions.EXPECT().Get(gomock.Any(), "s1").Return(s, nil)
		}},
		{name: "an expired session", wantErr: auth.ErrSessionEnded, setup: func(f *fixture) {
			f.tokens.EXPECT().Verify("tok", t0).Return(claims, nil)
			f.sessions.EXPECT().Get(gomock.Any(), "s1").Return(auth.NewSession("s1", "u1", nil, t0.Add(-auth.SessionTTL)), nil)
		}},
		{name: "a token whose user differs from the session's", wantErr: auth.ErrSessionEnded, setup: func(f *fixture) {
			f.tokens.EXPECT().Verify("tok", t0).Return(claims, nil)
			f.sessions.EXPECT().Get(gomock.Any(), "s1").Return(auth.NewSession("s1", "u2", nil, t0), nil)
		}},
		{name: "an unknown session", wantErr: auth.ErrUnauthenticated, setup: func(f *fixture) {
			f.tokens.EXPECT().Verify("tok", t0).Return(claims, nil)
			f.sessions.EXPECT().Get(gomock.Any(), "s1").Return(nil, auth.ErrSessionNotFound)
		}},
		{name: "a deleted user", wantErr: auth.ErrUnauthenticated, setup: func(f *fixture) {
			f.tokens.EXPECT().Verify("tok", t0).Return(claims, nil)
			f.sessions.EXPECT().Get(gomock.Any(), "s1").Return(active(), nil)
			f.users.EXPECT().Get(gomock.Any(), "u1").Return(nil, user.ErrNotFound)
		}},
		{name: "an unreachable session store is not a 401", wantErr: domain.ErrUnavailable, setup: func(f *fixture) {
			f.tokens.EXPECT().Verify("tok", t0).Return(claims, nil)
			f.sessions.EXPECT().Get(gomock.Any(), "s1").Return(nil, fmt.Errorf("get: %w", domain.ErrUnavailable))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.setup(f)
			got, err := f.auth.Authenticate(context.Background(), "tok")
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Authenticate = %+v, %v, want %v", got, err, tc.wantErr)
			}
			if got != (user.Actor{}) {
				t.Errorf("Authenticate = %+v with an error, want the zero user.Actor", got)
			}
		})
	}
}

func TestLogout(t *testing.T) {
	f := newFixture(t)
	s := auth.NewSession("s1", "u1", []byte("h"), t0.Add(-time.Hour))
	f.expectSessionUpdate(&s)
	if err := f.auth.Logout(context.Background(), user.Actor{UserID: "u1", SessionID: "s1"}); err != nil {
		t.Fatalf("Logout error = %v", err)
	}
	if r := s.RevokedAt(); r == nil || !r.Equal(t0) {
		t.Errorf("RevokedAt() after Logout = %v, want %v", r, t0)
	}
}

func TestLogoutUnknownSession(t *testing.T) {
	f := newFixture(t)
	f.sessions.EXPECT().Update(gomock.Any(), "gone", gomock.Any()).Return(nil, auth.ErrSessionNotFound)
	if err := f.auth.Logout(context.Background(), user.Actor{SessionID: "gone"}); !errors.Is(err, auth.ErrSessionNotFound) {
		t.Fatalf("Logout(unknown session) = %v, want %v", err, auth.ErrSessionNotFound)
	}
}

func TestMe(t *testing.T) {
	f := newFixture(t)
	u := user.Rehydrate(user.Fields{ID: "u1", Phone: buyer, Role: user.RoleUser, FirstName: "A", LastName: "B", CreatedAt: t0, UpdatedAt: t0})
	f.users.EXPECT().Get(gomock.Any(), "u1").Return(u, nil)
	if got, err := f.auth.Me(context.Background(), user.Actor{UserID: "u1"}); err != nil || got != u {
		t.Fatalf("Me = %v, %v, want %v, nil", got, err, u)
	}
}

func TestUpdateProfile(t *testing.T) {
	name := "  Aziz "
	tests := []struct {
		name      string
		change    user.ProfileChange
		wantErr   bool
		wantFirst string
	}{
		{name: "valid", change: user.ProfileChange{FirstName: &name}, wantFirst: "Aziz"},
		{name: "invalid", change: user.ProfileChange{FirstName: new(string)}, wantErr: true, wantFirst: "Old"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			u := user.Rehydrate(user.Fields{ID: "u1", Phone: buyer, Role: user.RoleUser, FirstName: "Old", LastName: "", CreatedAt: t0.Add(-time.Hour), UpdatedAt: t0.Add(-time.Hour)})
			f.users.EXPECT().Update(gomock.Any(), "u1", gomock.Any()).DoAndReturn(
				func(_ context.Context, _ string, fn func(*user.User) error) (*user.User, error) {
					if err := fn(u); err != nil {
						return nil, err
					}
					return u, nil
				})
			got, err := f.auth.UpdateProfile(context.Background(), user.Actor{UserID: "u1"}, tc.change)
			if tc.wantErr != (err != nil) {
				t.Fatalf("UpdateProfile = %v, %v, want error %v", got, err, tc.wantErr)
			}
			if err != nil && domain.KindOf(err) != domain.KindInvalid {
				t.Errorf("UpdateProfile error kind = %v, want %v", domain.KindOf(err), domain.KindInvalid)
			}
			if u.FirstName() != tc.wantFirst {
				t.Errorf("FirstName() = %q, want %q", u.FirstName(), tc.wantFirst)
			}
			if !tc.wantErr && !u.UpdatedAt().Equal(t0) {
				t.Errorf("UpdatedAt() = %v, want the clock's %v", u.UpdatedAt(), t0)
			}
		})
	}
}
