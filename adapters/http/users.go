package http

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/audit"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

func (s *Server) userRoutes(r fiber.Router) {
	r.Get("/users", s.authenticate, s.listUsers)
	r.Get("/users/:id", s.authenticate, s.getUser)
	r.Patch("/users/:id", s.authenticate, s.changeUser)
	r.Get("/audit-log", s.authenticate, s.listAudit)
}

// phoneQueryNoise is what a phone search ignores: the separators people
// type between digits.
var phoneQueryNoise = strings.NewReplacer("+", "", " ", "", "-", "", "(", "", ")", "")

func (s *Server) listUsers(c *fiber.Ctx) error {
	q := newQuery(c)
	p := q.cursorPage()
	var f ports.UserFilter
	if raw, ok := q.str("role"); ok {
		if f.Role = user.Role(raw); !f.Role.Valid() {
			q.v.Add("role", "must be USER, MODERATOR or ADMIN")
		}
	}
	if raw, ok := q.str("status"); ok {
		if f.Status = user.Status(raw); !f.Status.Valid() {
			q.v.Add("status", "must be ACTIVE or BLOCKED")
		}
	}
	if raw, ok := q.str("q"); ok {
		f.PhoneDigits, f.NamePrefix = userQuery(&q.v, raw)
	}
	q.keyset(&p, "users", f)
	if err := q.done(); err != nil {
		return err
	}
	by, _ := principal(c)
	users, l, err := s.core.Users.List(c.UserContext(), by, f, p)
	if err != nil {
		return err
	}
	out := make([]userDTO, 0, len(users))
	for _, u := range users {
		out = append(out, toUserDTO(u, s.opt.DefaultLocale))
	}
	return q.respondList(out, p, l)
}

// userQuery reads ?q= of the user list: digits (after dropping what
// people type between them) search phones and need at least 4; anything
// else is a name prefix.
func userQuery(v *domain.Validation, raw string) (digits, prefix string) {
	raw = strings.TrimSpace(raw)
	stripped := phoneQueryNoise.Replace(raw)
	allDigits := stripped != ""
	for _, r := range stripped {
		if r < '0' || r > '9' {
			allDigits = false
			break
		}
	}
	switch {
	case raw == "":
		v.Add("q", "must not be empty")
	case allDigits && len(stripped) < 4:
		v.Add("q", "must have at least 4 digits to search phone numbers")
	case allDigits:
		return stripped, ""
	case len([]rune(raw)) > maxQueryLength:
		v.Add("q", "must be at most 200 characters")
	default:
		return "", raw
	}
	return "", ""
}

func (s *Server) getUser(c *fiber.Ctx) error {
	by, _ := principal(c)
	if !by.IsStaff() {
		// Checked before the id, so a non-UUID tells nothing either.
		return app.ErrStaffOnlyUsers
	}
	id, err := pathID(c, user.ErrNotFound)
	if err != nil {
		return err
	}
	u, err := s.core.Users.Get(c.UserContext(), by, id)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toUserDTO(u, s.opt.DefaultLocale))
}

func (s *Server) changeUser(c *fiber.Ctx) error {
	by, _ := principal(c)
	if !by.CanManageUsers() {
		return app.ErrUsersAdminOnly
	}
	var role, status *string
	if err := decode(c, optional("role", &role), optional("status", &status)); err != nil {
		return err
	}
	id, err := pathID(c, user.ErrNotFound)
	if err != nil {
		return err
	}
	var ch app.UserChange
	if role != nil {
		r := user.Role(*role)
		ch.Role = &r
	}
	if status != nil {
		st := user.Status(*status)
		ch.Status = &st
	}
	u, err := s.core.Users.Change(c.UserContext(), by, id, ch)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toUserDTO(u, s.opt.DefaultLocale))
}

type auditDTO struct {
	ID         string         `json:"id"`
	ActorID    *string        `json:"actorId"`
	Action     string         `json:"action"`
	TargetType string         `json:"targetType"`
	TargetID   string         `json:"targetId"`
	Details    map[string]any `json:"details"`
	CreatedAt  string         `json:"createdAt"`
}

func toAuditDTO(e audit.Entry) auditDTO {
	details := map[string]any{"before": orEmpty(e.Before), "after": orEmpty(e.After)}
	if e.Actor != "" {
		details["actor"] = e.Actor
	}
	return auditDTO{ID: e.ID, ActorID: emptyToNil(e.ActorID), Action: e.Action, TargetType: e.TargetType,
		TargetID: e.TargetID, Details: details, CreatedAt: timestamp(e.CreatedAt)}
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func (s *Server) listAudit(c *fiber.Ctx) error {
	q := newQuery(c)
	p := q.cursorPage()
	f := ports.AuditFilter{ActorID: q.id("actorId"), TargetID: q.id("targetId")}
	if raw, ok := q.str("action"); ok {
		f.Action = raw
		if raw == "" || len(raw) > 64 {
			q.v.Add("action", "must be an action name such as user.role")
		}
	}
	q.keyset(&p, "audit-log", f)
	if err := q.done(); err != nil {
		return err
	}
	by, _ := principal(c)
	entries, l, err := s.core.Audit.List(c.UserContext(), by, f, p)
	if err != nil {
		return err
	}
	out := make([]auditDTO, 0, len(entries))
	for _, e := range entries {
		out = append(out, toAuditDTO(e))
	}
	return q.respondList(out, p, l)
}
