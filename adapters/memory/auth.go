package memory

import (
	"context"
	"time"

	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

var (
	_ ports.UserRepository      = (*userRepo)(nil)
	_ ports.ChallengeRepository = (*challengeRepo)(nil)
	_ ports.SessionRepository   = (*sessionRepo)(nil)
)

type userRepo struct{ se *session }

func (r *userRepo) Get(ctx context.Context, id string) (*user.User, error) {
	var out *user.User
	err := r.se.do(func(db *data, _ *session) error {
		u, ok := db.users[id]
		if !ok {
			return user.ErrNotFound
		}
		out = &u
		return nil
	})
	return out, err
}

func (r *userRepo) GetByPhone(ctx context.Context, p phone.Number) (*user.User, error) {
	var out *user.User
	err := r.se.do(func(db *data, _ *session) error {
		id, ok := db.userByPhone[p.String()]
		if !ok {
			return user.ErrNotFound
		}
		u := db.users[id]
		out = &u
		return nil
	})
	return out, err
}

func (r *userRepo) Create(ctx context.Context, u *user.User) error {
	return r.se.do(func(db *data, log *session) error {
		if _, taken := db.userByPhone[u.Phone().String()]; taken {
			return user.ErrPhoneTaken
		}
		db.users.put(log, u.ID(), *u)
		db.userByPhone.put(log, u.Phone().String(), u.ID())
		return nil
	})
}

func (r *userRepo) Update(ctx context.Context, id string, fn func(*user.User) error) (*user.User, error) {
	var out *user.User
	err := r.se.do(func(db *data, log *session) error {
		u, ok := db.users[id]
		if !ok {
			return user.ErrNotFound
		}
		if err := fn(&u); err != nil {
			return err
		}
		db.users.put(log, id, u)
		out = &u
		return nil
	})
	return out, err
}

type challengeRepo struct{ se *session }

func (r *challengeRepo) Update(ctx context.Context, p phone.Number, fn func(*auth.Challenge) error) error {
	return r.se.do(func(db *data, log *session) error {
		c, ok := db.challenges[p.String()]
		if !ok {
			c = *auth.NewChallenge(p)
		}
		if err := fn(&c); err != nil {
			return err
		}
		db.challenges.put(log, p.String(), c)
		return nil
	})
}

type sessionRepo struct{ se *session }

func (r *sessionRepo) Create(ctx context.Context, s *auth.Session) error {
	return r.se.do(func(db *data, log *session) error {
		db.sessions.put(log, s.ID(), *s)
		db.refreshIndex.put(log, string(s.RefreshHash()), refreshEntry{sessionID: s.ID()})
		return nil
	})
}

func (r *sessionRepo) Get(ctx context.Context, id string) (*auth.Session, error) {
	var out *auth.Session
	err := r.se.do(func(db *data, _ *session) error {
		s, ok := db.sessions[id]
		if !ok {
			return auth.ErrSessionNotFound
		}
		out = &s
		return nil
	})
	return out, err
}

func (r *sessionRepo) FindByRefreshHash(ctx context.Context, hash []byte) (string, *time.Time, error) {
	var e refreshEntry
	err := r.se.do(func(db *data, _ *session) error {
		var ok bool
		if e, ok = db.refreshIndex[string(hash)]; !ok {
			return auth.ErrSessionNotFound
		}
		return nil
	})
	return e.sessionID, e.retiredAt, err
}

func (r *sessionRepo) Update(ctx context.Context, id string, fn func(*auth.Session) error) (*auth.Session, error) {
	var out *auth.Session
	err := r.se.do(func(db *data, log *session) error {
		s, ok := db.sessions[id]
		if !ok {
			return auth.ErrSessionNotFound
		}
		oldHash := string(s.RefreshHash())
		if err := fn(&s); err != nil {
			return err
		}
		if newHash := string(s.RefreshHash()); newHash != oldHash {
			at := s.RotatedAt()
			db.refreshIndex.put(log, oldHash, refreshEntry{sessionID: id, retiredAt: &at})
			db.refreshIndex.put(log, newHash, refreshEntry{sessionID: id})
		}
		db.sessions.put(log, id, s)
		out = &s
		return nil
	})
	return out, err
}
