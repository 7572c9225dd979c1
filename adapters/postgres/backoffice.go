package postgres

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/audit"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

var _ ports.AuditRepository = (*auditRepo)(nil)

// newestFirst is the order of the users and the audit log.
var newestFirst = keyset{cols: []string{"created_at", "id"}, desc: true,
	vals: func(at ports.Position) []any { return []any{at.Time, at.ID} }}

func (r *userRepo) List(ctx context.Context, f ports.UserFilter, p ports.Page) ([]*user.User, ports.Listed, error) {
	var rows []userRow
	q := r.db.NewSelect().Model(&rows)
	if f.Role != "" {
		q = q.Where("role = ?", string(f.Role))
	}
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
	}
	if f.PhoneDigits != "" {
		q = q.Where("strpos(phone, ?) > 0", f.PhoneDigits)
	}
	if f.NamePrefix != "" {
		pat := likeEscaper.Replace(strings.ToLower(f.NamePrefix)) + "%"
		q = q.Where(`(lower(first_name) LIKE ? ESCAPE '\' OR lower(last_name) LIKE ? ESCAPE '\')`, pat, pat)
	}
	pos := func(r *userRow) ports.Position { return ports.Position{Time: r.CreatedAt, ID: r.ID} }
	var bad error
	out, l, err := scanPage(ctx, q, &rows, p, newestFirst, pos, func(r *userRow) *user.User {
		u, err := r.toDomain()
		if err != nil && bad == nil {
			bad = translate(err)
		}
		return u
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return nil, ports.Listed{}, err
	}
	return out, l, nil
}

func (r *userRepo) LockActiveAdmins(ctx context.Context) ([]string, error) {
	var ids []string
	err := r.db.NewSelect().Model((*userRow)(nil)).Column("id").
		Where("role = 'ADMIN' AND status = 'ACTIVE'").OrderExpr("id").For("UPDATE").Scan(ctx, &ids)
	return ids, translate(err)
}

func (r *sessionRepo) RevokeAll(ctx context.Context, userID string, now time.Time) error {
	if !domain.ValidID(userID) {
		return nil
	}
	_, err := r.db.NewUpdate().Model((*sessionRow)(nil)).Set("revoked_at = ?", now).
		Where("user_id = ? AND revoked_at IS NULL", userID).Exec(ctx)
	return translate(err)
}

func (r *productRepo) SetSellerBlocked(ctx context.Context, sellerID string, blocked bool) ([]string, error) {
	if !domain.ValidID(sellerID) {
		return nil, nil
	}
	var ids []string
	err := r.db.NewUpdate().Model((*productRow)(nil)).Set("seller_blocked = ?", blocked).
		Where("seller_id = ? AND seller_blocked <> ?", sellerID, blocked).Returning("id").Scan(ctx, &ids)
	return ids, translate(err)
}

type auditRow struct {
	bun.BaseModel `bun:"table:audit_log"`

	ID         string          `bun:"id,pk,type:uuid"`
	ActorID    *string         `bun:"actor_id,type:uuid"`
	Action     string          `bun:"action"`
	TargetType string          `bun:"target_type"`
	TargetID   string          `bun:"target_id"`
	Details    json.RawMessage `bun:"details,type:jsonb"`
	CreatedAt  time.Time       `bun:"created_at"`
}

// auditDetails is the stored shape of an entry's details (API.md section 8).
type auditDetails struct {
	Before map[string]any `json:"before"`
	After  map[string]any `json:"after"`
	Actor  string         `json:"actor,omitempty"`
}

type auditRepo struct{ db bun.IDB }

func (r *auditRepo) Add(ctx context.Context, entries ...audit.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	rows := make([]auditRow, len(entries))
	for i, e := range entries {
		d := auditDetails{Before: e.Before, After: e.After, Actor: e.Actor}
		if d.Before == nil {
			d.Before = map[string]any{}
		}
		if d.After == nil {
			d.After = map[string]any{}
		}
		raw, err := json.Marshal(d)
		if err != nil {
			return err
		}
		rows[i] = auditRow{ID: e.ID, ActorID: nullString(e.ActorID), Action: e.Action, TargetType: e.TargetType,
			TargetID: e.TargetID, Details: raw, CreatedAt: e.CreatedAt}
	}
	_, err := r.db.NewInsert().Model(&rows).Exec(ctx)
	return translate(err)
}

func (r *auditRepo) List(ctx context.Context, f ports.AuditFilter, p ports.Page) ([]audit.Entry, ports.Listed, error) {
	var rows []auditRow
	q := r.db.NewSelect().Model(&rows)
	if f.ActorID != "" {
		if !domain.ValidID(f.ActorID) {
			return []audit.Entry{}, ports.Listed{}, nil
		}
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.TargetID != "" {
		q = q.Where("target_id = ?", f.TargetID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	pos := func(r *auditRow) ports.Position { return ports.Position{Time: r.CreatedAt, ID: r.ID} }
	return scanPage(ctx, q, &rows, p, newestFirst, pos, func(r *auditRow) audit.Entry {
		var d auditDetails
		_ = json.Unmarshal(r.Details, &d)
		return audit.Entry{ID: r.ID, ActorID: deref(r.ActorID), Actor: d.Actor, Action: r.Action, TargetType: r.TargetType,
			TargetID: r.TargetID, Before: d.Before, After: d.After, CreatedAt: r.CreatedAt.UTC()}
	})
}
