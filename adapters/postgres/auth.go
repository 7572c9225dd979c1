package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

var (
	_ ports.UserRepository      = (*userRepo)(nil)
	_ ports.ChallengeRepository = (*challengeRepo)(nil)
	_ ports.SessionRepository   = (*sessionRepo)(nil)
)

type userRow struct {
	bun.BaseModel `bun:"table:users"`

	ID        string    `bun:"id,pk,type:uuid"`
	Phone     string    `bun:"phone"`
	Role      string    `bun:"role"`
	Status    string    `bun:"status"`
	FirstName string    `bun:"first_name"`
	LastName  string    `bun:"last_name"`
	Language  *string   `bun:"language"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

func userToRow(u *user.User) *userRow {
	return &userRow{ID: u.ID(), Phone: u.Phone().String(), Role: string(u.Role()), Status: string(u.Status()),
		FirstName: u.FirstName(), LastName: u.LastName(), Language: nullString(string(u.Language())), CreatedAt: u.CreatedAt(),
		UpdatedAt: u.UpdatedAt()}
}

func (r *userRow) toDomain() (*user.User, error) {
	p, err := phone.Parse(r.Phone)
	if err != nil {
		return nil, err
	}
	return user.Rehydrate(user.Fields{ID: r.ID, Phone: p, Role: user.Role(r.Role), Status: user.Status(r.Status),
		FirstName: r.FirstName, LastName: r.LastName, Language: i18n.Locale(deref(r.Language)), CreatedAt: r.CreatedAt,
		UpdatedAt: r.UpdatedAt}), nil
}

type userRepo struct{ db bun.IDB }

func (r *userRepo) get(ctx context.Context, db bun.IDB, where string, arg any, lock bool) (*user.User, error) {
	row := new(userRow)
	if err := selectOne(ctx, db, row, user.ErrNotFound, lock, where, arg); err != nil {
		return nil, err
	}
	return row.toDomain()
}

func (r *userRepo) Get(ctx context.Context, id string) (*user.User, error) {
	if !domain.ValidID(id) {
		return nil, user.ErrNotFound
	}
	return r.get(ctx, r.db, "id = ?", id, false)
}

func (r *userRepo) GetByPhone(ctx context.Context, p phone.Number) (*user.User, error) {
	return r.get(ctx, r.db, "phone = ?", p.String(), false)
}

func (r *userRepo) Create(ctx context.Context, u *user.User) error {
	_, err := r.db.NewInsert().Model(userToRow(u)).Exec(ctx)
	if sqlState(err) == uniqueViolation {
		return user.ErrPhoneTaken
	}
	return translate(err)
}

func (r *userRepo) Update(ctx context.Context, id string, fn func(*user.User) error) (*user.User, error) {
	if !domain.ValidID(id) {
		return nil, user.ErrNotFound
	}
	load := func(ctx context.Context, tx bun.IDB) (*user.User, error) { return r.get(ctx, tx, "id = ?", id, true) }
	save := func(ctx context.Context, tx bun.IDB, u *user.User) error {
		_, err := tx.NewUpdate().Model(userToRow(u)).WherePK().Exec(ctx)
		return translate(err)
	}
	return updateLocked(ctx, r.db, load, fn, save)
}

type challengeRow struct {
	bun.BaseModel `bun:"table:otp_challenges"`

	Phone     string      `bun:"phone,pk"`
	CodeHash  []byte      `bun:"code_hash"`
	ExpiresAt time.Time   `bun:"expires_at"`
	Attempts  int         `bun:"attempts"`
	Consumed  bool        `bun:"consumed"`
	Sends     []time.Time `bun:"sends,array"`
}

type challengeRepo struct{ db bun.IDB }

func (r *challengeRepo) Update(ctx context.Context, p phone.Number, fn func(*auth.Challenge) error) error {
	load := func(ctx context.Context, tx bun.IDB) (*auth.Challenge, error) {
		// Make sure a row exists so that concurrent first sends lock the same row.
		if _, err := tx.NewInsert().Model(&challengeRow{Phone: p.String(), Consumed: true, Sends: []time.Time{}}).
			On("CONFLICT (phone) DO NOTHING").Exec(ctx); err != nil {
			return nil, translate(err)
		}
		row := new(challengeRow)
		if err := tx.NewSelect().Model(row).Where("phone = ?", p.String()).For("UPDATE").Scan(ctx); err != nil {
			return nil, translate(err)
		}
		return auth.RehydrateChallenge(p, row.CodeHash, row.ExpiresAt, row.Attempts, row.Consumed, row.Sends), nil
	}
	save := func(ctx context.Context, tx bun.IDB, c *auth.Challenge) error {
		sends := c.Sends()
		if sends == nil {
			sends = []time.Time{}
		}
		_, err := tx.NewUpdate().Model(&challengeRow{Phone: p.String(), CodeHash: c.CodeHash(), ExpiresAt: c.ExpiresAt(),
			Attempts: c.Attempts(), Consumed: c.Consumed(), Sends: sends}).WherePK().Exec(ctx)
		return translate(err)
	}
	_, err := updateLocked(ctx, r.db, load, fn, save)
	return err
}

type sessionRow struct {
	bun.BaseModel `bun:"table:sessions"`

	ID          string     `bun:"id,pk,type:uuid"`
	UserID      string     `bun:"user_id,type:uuid"`
	RefreshHash []byte     `bun:"refresh_hash"`
	RotatedAt   time.Time  `bun:"rotated_at"`
	CreatedAt   time.Time  `bun:"created_at"`
	ExpiresAt   time.Time  `bun:"expires_at"`
	RevokedAt   *time.Time `bun:"revoked_at"`
}

func sessionToRow(s *auth.Session) *sessionRow {
	return &sessionRow{ID: s.ID(), UserID: s.UserID(), RefreshHash: s.RefreshHash(), RotatedAt: s.RotatedAt(),
		CreatedAt: s.CreatedAt(), ExpiresAt: s.ExpiresAt(), RevokedAt: s.RevokedAt()}
}

func (r *sessionRow) toDomain() *auth.Session {
	return auth.RehydrateSession(r.ID, r.UserID, r.RefreshHash, r.RotatedAt, r.CreatedAt, r.ExpiresAt, r.RevokedAt)
}

type retiredTokenRow struct {
	bun.BaseModel `bun:"table:session_retired_tokens"`

	TokenHash []byte    `bun:"token_hash,pk"`
	SessionID string    `bun:"session_id,type:uuid"`
	RetiredAt time.Time `bun:"retired_at"`
}

type sessionRepo struct{ db bun.IDB }

func (r *sessionRepo) Create(ctx context.Context, s *auth.Session) error {
	_, err := r.db.NewInsert().Model(sessionToRow(s)).Exec(ctx)
	return translate(err)
}

func (r *sessionRepo) get(ctx context.Context, db bun.IDB, id string, lock bool) (*auth.Session, error) {
	if !domain.ValidID(id) {
		return nil, auth.ErrSessionNotFound
	}
	row := new(sessionRow)
	if err := selectOne(ctx, db, row, auth.ErrSessionNotFound, lock, "id = ?", id); err != nil {
		return nil, err
	}
	return row.toDomain(), nil
}

func (r *sessionRepo) Get(ctx context.Context, id string) (*auth.Session, error) {
	return r.get(ctx, r.db, id, false)
}

func (r *sessionRepo) FindByRefreshHash(ctx context.Context, hash []byte) (string, *time.Time, error) {
	var id string
	err := r.db.NewSelect().Model((*sessionRow)(nil)).Column("id").Where("refresh_hash = ?", hash).Scan(ctx, &id)
	if err == nil {
		return id, nil, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", nil, translate(err)
	}
	row := new(retiredTokenRow)
	if err := selectOne(ctx, r.db, row, auth.ErrSessionNotFound, false, "token_hash = ?", hash); err != nil {
		return "", nil, err
	}
	return row.SessionID, &row.RetiredAt, nil
}

func (r *sessionRepo) Update(ctx context.Context, id string, fn func(*auth.Session) error) (*auth.Session, error) {
	// The hash as loaded, before fn rotates it: a rotation retires it.
	var oldHash []byte
	load := func(ctx context.Context, tx bun.IDB) (*auth.Session, error) {
		s, err := r.get(ctx, tx, id, true)
		if err != nil {
			return nil, err
		}
		oldHash = s.RefreshHash()
		return s, nil
	}
	save := func(ctx context.Context, tx bun.IDB, s *auth.Session) error {
		if string(s.RefreshHash()) != string(oldHash) {
			if _, err := tx.NewInsert().Model(&retiredTokenRow{TokenHash: oldHash, SessionID: id, RetiredAt: s.RotatedAt()}).Exec(ctx); err != nil {
				return translate(err)
			}
		}
		_, err := tx.NewUpdate().Model(sessionToRow(s)).WherePK().Exec(ctx)
		return translate(err)
	}
	return updateLocked(ctx, r.db, load, fn, save)
}
