package app

import (
	"context"
	"encoding/json"
	"maps"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/audit"
	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// Keys of event data that mark an event for the audit log.
const (
	auditAction = "audit"
	auditBefore = "auditBefore"
	auditAfter  = "auditAfter"
)

// ErrAdminOnlyAudit refuses the audit log to anyone but admins.
var ErrAdminOnlyAudit = domain.New(domain.KindForbidden, domain.CodeForbidden, "only administrators may read the audit log")

// audited marks e for the audit log as action, with the changed fields
// before and after (nil for none).
func audited(e event.Event, action string, before, after map[string]any) event.Event {
	e.Data = maps.Clone(e.Data)
	if e.Data == nil {
		e.Data = map[string]string{}
	}
	e.Data[auditAction] = action
	e.Data[auditBefore] = marshalFields(before)
	e.Data[auditAfter] = marshalFields(after)
	return e
}

func marshalFields(m map[string]any) string {
	if m == nil {
		m = map[string]any{}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// changed returns the entries of before and after whose values differ,
// keyed alike, for an audit entry that shows only what changed.
func changed(before, after map[string]any) (map[string]any, map[string]any) {
	b, a := map[string]any{}, map[string]any{}
	for k, v := range after {
		if old, ok := before[k]; !ok || !jsonEqual(old, v) {
			b[k], a[k] = before[k], v
		}
	}
	return b, a
}

func jsonEqual(x, y any) bool {
	bx, _ := json.Marshal(x)
	by, _ := json.Marshal(y)
	return string(bx) == string(by)
}

// auditProjection writes an audit entry for every event marked by
// audited, in the transaction of the change: no change without its entry,
// no entry for a change that rolled back.
func auditProjection(clock ports.Clock) Projection {
	return Projection{Name: "audit", Project: func(ctx context.Context, r ports.Repos, events []event.Event) error {
		var entries []audit.Entry
		for _, e := range events {
			action := e.Data[auditAction]
			if action == "" {
				continue
			}
			en := audit.Entry{ID: newID(), ActorID: e.Actor.UserID, Actor: e.Actor.System, Action: action,
				TargetType: e.SubjectType, TargetID: e.SubjectID, CreatedAt: clock.Now().UTC()}
			_ = json.Unmarshal([]byte(e.Data[auditBefore]), &en.Before)
			_ = json.Unmarshal([]byte(e.Data[auditAfter]), &en.After)
			entries = append(entries, en)
		}
		if len(entries) == 0 {
			return nil
		}
		return r.Audit.Add(ctx, entries...)
	}}
}

// AuditService reads the audit log.
type AuditService struct{ log ports.AuditRepository }

// List returns one page of entries, newest first. It returns
// ErrAdminOnlyAudit unless by is an admin.
func (s *AuditService) List(ctx context.Context, by user.Actor, f ports.AuditFilter, p ports.Page) ([]audit.Entry, ports.Listed, error) {
	if !by.IsAdmin() {
		return nil, ports.Listed{}, ErrAdminOnlyAudit
	}
	return s.log.List(ctx, f, p)
}
