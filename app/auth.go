package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// AuthService signs users in with one-time codes and manages their
// sessions.
type AuthService struct {
	tx         ports.Transactor
	users      ports.UserRepository
	challenges ports.ChallengeRepository
	sessions   ports.SessionRepository
	clock      ports.Clock
	sms        ports.SMSSender
	tokens     ports.TokenIssuer
	metrics    ports.Metrics
	cfg        Config
	admins     map[string]bool
}

func newAuthService(tx ports.Transactor, users ports.UserRepository, challenges ports.ChallengeRepository,
	sessions ports.SessionRepository, clock ports.Clock, sms ports.SMSSender, tokens ports.TokenIssuer,
	metrics ports.Metrics, cfg Config,
) *AuthService {
	admins := make(map[string]bool, len(cfg.AdminPhones))
	for _, p := range cfg.AdminPhones {
		admins[p.String()] = true
	}
	return &AuthService{tx: tx, users: users, challenges: challenges, sessions: sessions, clock: clock, sms: sms,
		tokens: tokens, metrics: metrics, cfg: cfg, admins: admins}
}

// CodeSent describes an accepted send-otp request.
type CodeSent struct {
	ExpiresIn  time.Duration
	RetryAfter time.Duration
}

// SendCode issues a new one-time code for p and delivers it (after the
// store has committed it). It returns auth.ErrResendTooSoon or
// auth.ErrTooManySends when the phone's limits refuse it; no SMS is sent
// then.
func (s *AuthService) SendCode(ctx context.Context, p phone.Number) (CodeSent, error) {
	code, fixed := s.cfg.TestCodes[p.String()]
	if !fixed {
		var err error
		if code, err = auth.NewCode(); err != nil {
			return CodeSent{}, fmt.Errorf("generate code: %w", err)
		}
	}
	hash := auth.HashCode(s.cfg.CodeHashKey, p, code)
	now := s.clock.Now()
	err := s.challenges.Update(ctx, p, func(c *auth.Challenge) error {
		return c.Issue(hash, now)
	})
	if err != nil {
		return CodeSent{}, err
	}
	if !fixed {
		if err := s.sms.SendCode(ctx, p, code); err != nil {
			return CodeSent{}, fmt.Errorf("send code to %s: %w", p.Masked(), err)
		}
	}
	s.metrics.OTPSent()
	return CodeSent{ExpiresIn: auth.CodeTTL, RetryAfter: auth.ResendCooldown}, nil
}

// SignIn is the result of a successful sign-in or refresh.
type SignIn struct {
	AccessToken  string
	RefreshToken auth.RefreshToken
	ExpiresIn    time.Duration
	User         *user.User
}

// VerifyCode signs in with the code sent to p, creating the user at the
// first sign-in. Every failure is auth.ErrInvalidCode; wrong attempts are
// counted even though the call fails. Of concurrent calls with one correct
// code exactly one succeeds.
func (s *AuthService) VerifyCode(ctx context.Context, p phone.Number, code string) (SignIn, error) {
	var hash []byte
	if auth.ValidCodeFormat(code) {
		hash = auth.HashCode(s.cfg.CodeHashKey, p, auth.Code(code))
	}
	refresh, err := auth.NewRefreshToken()
	if err != nil {
		return SignIn{}, fmt.Errorf("generate refresh token: %w", err)
	}
	now := s.clock.Now()
	var (
		verifyErr error
		u         *user.User
		sess      *auth.Session
	)
	err = s.tx.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		if err := r.Challenges.Update(ctx, p, func(c *auth.Challenge) error {
			verifyErr = c.Verify(hash, now)
			return nil // keep the attempt count whatever the outcome
		}); err != nil {
			return err
		}
		if verifyErr != nil {
			return nil
		}
		var err error
		u, err = s.userFor(ctx, r, p, now)
		if err != nil {
			return err
		}
		if u.Blocked() {
			// Only now, after a correct code, is the block told: a
			// wrong code is INVALID_OTP for everyone alike.
			verifyErr = user.ErrAccountBlocked
			return nil
		}
		sess = auth.NewSession(newID(), u.ID(), refresh.Hash(), now)
		return r.Sessions.Create(ctx, sess)
	})
	if err != nil {
		return SignIn{}, err
	}
	if verifyErr != nil {
		if !errors.Is(verifyErr, user.ErrAccountBlocked) {
			s.metrics.OTPVerifyFailed()
		}
		return SignIn{}, verifyErr
	}
	return s.signIn(u, sess, refresh, now)
}

// userFor returns the user of p, creating it at the first sign-in (as
// ADMIN when p is in AdminPhones). A listed phone whose user is not an
// ACTIVE admin is promoted only while the deployment has no ACTIVE admin
// at all: the list bootstraps and recovers, it does not undo demotions.
func (s *AuthService) userFor(ctx context.Context, r ports.Repos, p phone.Number, now time.Time) (*user.User, error) {
	u, err := r.Users.GetByPhone(ctx, p)
	if err == nil && s.admins[p.String()] && !u.ActiveAdmin() {
		return s.recoverAdmin(ctx, r, u, now)
	}
	if err == nil {
		return u, nil
	}
	if !errors.Is(err, user.ErrNotFound) {
		return nil, err
	}
	role := user.RoleUser
	if s.admins[p.String()] {
		role = user.RoleAdmin
	}
	u, err = user.New(newID(), p, role, now)
	if err != nil {
		return nil, err
	}
	if err := r.Users.Create(ctx, u); err != nil {
		return nil, err
	}
	if role == user.RoleAdmin {
		r.Events.Record(audited(userEvent(user.SystemActor(AdminPhonesActor), u, "role"), "user.role",
			map[string]any{}, map[string]any{"role": role}))
	}
	return u, nil
}

// AdminPhonesActor is the actor of promotions made by ADMIN_PHONES.
const AdminPhonesActor = "ADMIN_PHONES"

func (s *AuthService) recoverAdmin(ctx context.Context, r ports.Repos, u *user.User, now time.Time) (*user.User, error) {
	admins, err := r.Users.LockActiveAdmins(ctx)
	if err != nil || len(admins) > 0 {
		return u, err
	}
	role, status := user.RoleAdmin, user.StatusActive
	return setRoleAndStatus(ctx, r, user.SystemActor(AdminPhonesActor), u.ID(), UserChange{Role: &role, Status: &status}, admins, s.clock)
}

func (s *AuthService) signIn(u *user.User, sess *auth.Session, refresh auth.RefreshToken, now time.Time) (SignIn, error) {
	access, err := s.tokens.Issue(ports.AccessClaims{UserID: u.ID(), SessionID: sess.ID(), ExpiresAt: now.Add(auth.AccessTokenTTL)})
	if err != nil {
		return SignIn{}, fmt.Errorf("issue access token: %w", err)
	}
	return SignIn{AccessToken: access, RefreshToken: refresh, ExpiresIn: auth.AccessTokenTTL, User: u}, nil
}

// Refresh exchanges a refresh token for a new token pair. Every failure is
// reported as an auth error (401); a token presented again more than
// auth.RefreshReuseGap after its rotation also revokes its session.
func (s *AuthService) Refresh(ctx context.Context, token auth.RefreshToken) (SignIn, error) {
	if token == "" {
		return SignIn{}, auth.ErrSessionNotFound
	}
	next, err := auth.NewRefreshToken()
	if err != nil {
		return SignIn{}, fmt.Errorf("generate refresh token: %w", err)
	}
	presented := token.Hash()
	now := s.clock.Now()
	var (
		refreshErr error
		sess       *auth.Session
		u          *user.User
	)
	err = s.tx.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		id, retiredAt, err := r.Sessions.FindByRefreshHash(ctx, presented)
		if err != nil {
			return err
		}
		sess, err = r.Sessions.Update(ctx, id, func(se *auth.Session) error {
			refreshErr = se.Refresh(presented, retiredAt, next.Hash(), now)
			return nil // a revocation must be stored even though the call fails
		})
		if err != nil || refreshErr != nil {
			return err
		}
		u, err = r.Users.Get(ctx, sess.UserID())
		return err
	})
	if err != nil {
		return SignIn{}, err
	}
	if refreshErr != nil {
		return SignIn{}, refreshErr
	}
	return s.signIn(u, sess, next, now)
}

// Authenticate checks an access token and that its session is still active,
// and returns the caller as the actor of what the request does. It returns
// auth.ErrUnauthenticated or auth.ErrSessionEnded on failure.
func (s *AuthService) Authenticate(ctx context.Context, accessToken string) (user.Actor, error) {
	now := s.clock.Now()
	claims, err := s.tokens.Verify(accessToken, now)
	if err != nil {
		return user.Actor{}, auth.ErrUnauthenticated
	}
	sess, err := s.sessions.Get(ctx, claims.SessionID)
	if err != nil {
		return user.Actor{}, unauthenticated(err)
	}
	if err := sess.Active(now); err != nil || sess.UserID() != claims.UserID {
		return user.Actor{}, auth.ErrSessionEnded
	}
	u, err := s.users.Get(ctx, claims.UserID)
	if err != nil {
		return user.Actor{}, unauthenticated(err)
	}
	if u.Blocked() {
		// Blocking revokes the sessions too; this covers a request that
		// read its session just before the block committed.
		return user.Actor{}, auth.ErrSessionEnded
	}
	return user.Actor{UserID: u.ID(), SessionID: sess.ID(), Role: u.Role(), Language: u.Language()}, nil
}

// unauthenticated turns a missing session or user into a 401 and passes
// infrastructure errors through.
func unauthenticated(err error) error {
	if k := domain.KindOf(err); k == domain.KindNotFound || k == domain.KindUnauthenticated {
		return auth.ErrUnauthenticated
	}
	return err
}

// Logout revokes the caller's session at once.
func (s *AuthService) Logout(ctx context.Context, p user.Actor) error {
	now := s.clock.Now()
	_, err := s.sessions.Update(ctx, p.SessionID, func(se *auth.Session) error {
		se.Revoke(now)
		return nil
	})
	return err
}

// Me returns the caller's user record.
func (s *AuthService) Me(ctx context.Context, p user.Actor) (*user.User, error) {
	return s.users.Get(ctx, p.UserID)
}

// UpdateProfile changes the caller's names; see user.User.UpdateProfile.
func (s *AuthService) UpdateProfile(ctx context.Context, p user.Actor, c user.ProfileChange) (*user.User, error) {
	now := s.clock.Now()
	return s.users.Update(ctx, p.UserID, func(u *user.User) error {
		return u.UpdateProfile(c, now)
	})
}
