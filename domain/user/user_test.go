package user_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/user"
)

var (
	t0 = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Hour)
	p1 = phone.MustParse("+998901234567")
)

func ptr(s string) *string { return &s }

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		id      string
		phone   phone.Number
		role    user.Role
		wantErr bool
	}{
		{name: "user", id: "u1", phone: p1, role: user.RoleUser},
		{name: "moderator", id: "u1", phone: p1, role: user.RoleModerator},
		{name: "admin", id: "u1", phone: p1, role: user.RoleAdmin},
		{name: "no id", phone: p1, role: user.RoleUser, wantErr: true},
		{name: "zero phone", id: "u1", role: user.RoleUser, wantErr: true},
		{name: "empty role", id: "u1", phone: p1, wantErr: true},
		{name: "unknown role", id: "u1", phone: p1, role: "ROOT", wantErr: true},
		{name: "lower-case role", id: "u1", phone: p1, role: "admin", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := user.New(tc.id, tc.phone, tc.role, t0)
			if tc.wantErr {
				if err == nil || u != nil {
					t.Fatalf("New(%q, %q, %q) = %v, %v, want nil and an error", tc.id, tc.phone, tc.role, u, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%q, %q, %q) error = %v, want nil", tc.id, tc.phone, tc.role, err)
			}
			if u.ID() != tc.id || u.Phone() != tc.phone || u.Role() != tc.role {
				t.Errorf("New(...) = {%q %q %q}, want {%q %q %q}", u.ID(), u.Phone(), u.Role(), tc.id, tc.phone, tc.role)
			}
			if u.FirstName() != "" || u.LastName() != "" {
				t.Errorf("names = %q %q, want empty", u.FirstName(), u.LastName())
			}
			if !u.CreatedAt().Equal(t0) || !u.UpdatedAt().Equal(t0) {
				t.Errorf("CreatedAt(), UpdatedAt() = %v, %v, want %v", u.CreatedAt(), u.UpdatedAt(), t0)
			}
		})
	}
}

func TestRole(t *testing.T) {
	tests := []struct {
		role      user.Role
		wantValid bool
		wantStaff bool
	}{
		{user.RoleUser, true, false},
		{user.RoleModerator, true, true},
		{user.RoleAdmin, true, true},
		{"", false, false},
		{"Admin", false, false},
	}
	for _, tc := range tests {
		t.Run(string(tc.role), func(t *testing.T) {
			if got := tc.role.Valid(); got != tc.wantValid {
				t.Errorf("Role(%q).Valid() = %v, want %v", tc.role, got, tc.wantValid)
			}
			if got := tc.role.IsStaff(); got != tc.wantStaff {
				t.Errorf("Role(%q).IsStaff() = %v, want %v", tc.role, got, tc.wantStaff)
			}
		})
	}
}

func TestUpdateProfile(t *testing.T) {
	cyr100 := strings.Repeat("Ж", 100) // 200 bytes, 100 runes
	tests := []struct {
		name      string
		change    user.ProfileChange
		wantFirst string
		wantLast  string
		badFields []string // nil means success
	}{
		{name: "nothing", change: user.ProfileChange{}, wantFirst: "Old", wantLast: "Name"},
		{name: "first only", change: user.ProfileChange{FirstName: ptr("Aziz")}, wantFirst: "Aziz", wantLast: "Name"},
		{name: "last only", change: user.ProfileChange{LastName: ptr("Karimov")}, wantFirst: "Old", wantLast: "Karimov"},
		{name: "both trimmed", change: user.ProfileChange{FirstName: ptr("  Aziz\t"), LastName: ptr("\nKarimov ")}, wantFirst: "Aziz", wantLast: "Karimov"},
		{name: "inner space kept", change: user.ProfileChange{FirstName: ptr("Anna Maria")}, wantFirst: "Anna Maria", wantLast: "Name"},
		{name: "one rune", change: user.ProfileChange{FirstName: ptr("Я")}, wantFirst: "Я", wantLast: "Name"},
		{name: "100 Cyrillic runes", change: user.ProfileChange{FirstName: ptr(cyr100)}, wantFirst: cyr100, wantLast: "Name"},
		{name: "100 runes after trimming", change: user.ProfileChange{LastName: ptr("  " + cyr100 + "  ")}, wantFirst: "Old", wantLast: cyr100},
		{name: "101 Cyrillic runes", change: user.ProfileChange{FirstName: ptr(cyr100 + "Ж")}, badFields: []string{"firstName"}},
		{name: "101 ASCII", change: user.ProfileChange{LastName: ptr(strings.Repeat("a", 101))}, badFields: []string{"lastName"}},
		{name: "empty", change: user.ProfileChange{FirstName: ptr("")}, badFields: []string{"firstName"}},
		{name: "only spaces", change: user.ProfileChange{LastName: ptr(" \t\n ")}, badFields: []string{"lastName"}},
		{name: "inner tab", change: user.ProfileChange{FirstName: ptr("Az\tiz")}, badFields: []string{"firstName"}},
		{name: "inner newline", change: user.ProfileChange{FirstName: ptr("Az\niz")}, badFields: []string{"firstName"}},
		{name: "NUL", change: user.ProfileChange{FirstName: ptr("Az\x00iz")}, badFields: []string{"firstName"}},
		{name: "escape", change: user.ProfileChange{FirstName: ptr("\x1b[31mAziz")}, badFields: []string{"firstName"}},
		{name: "DEL", change: user.ProfileChange{FirstName: ptr("Aziz\x7f")}, badFields: []string{"firstName"}},
		{name: "C1 control", change: user.ProfileChange{FirstName: ptr("Az\u0085iz")}, badFields: []string{"firstName"}},
		{name: "C1 CSI", change: user.ProfileChange{LastName: ptr("Kari\u009bmov")}, badFields: []string{"lastName"}},
		{name: "bidi override", change: user.ProfileChange{LastName: ptr("\u202Evomirak")}, badFields: []string{"lastName"}},
		{name: "bidi isolate", change: user.ProfileChange{FirstName: ptr("Aziz\u2068")}, badFields: []string{"firstName"}},
		{name: "NFC", change: user.ProfileChange{FirstName: ptr("Zoe\u0308")}, wantFirst: "Zo\u00eb", wantLast: "Name"},
		{name: "first bad, last good: nothing changes", change: user.ProfileChange{FirstName: ptr(""), LastName: ptr("Karimov")}, badFields: []string{"firstName"}},
		{name: "both bad", change: user.ProfileChange{FirstName: ptr(""), LastName: ptr("a\x00")}, badFields: []string{"firstName", "lastName"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := user.Rehydrate(user.Fields{ID: "u1", Phone: p1, Role: user.RoleUser, FirstName: "Old", LastName: "Name", CreatedAt: t0, UpdatedAt: t0})
			err := u.UpdateProfile(tc.change, t1)
			if tc.badFields == nil {
				if err != nil {
					t.Fatalf("UpdateProfile(...) = %v, want nil", err)
				}
				if u.FirstName() != tc.wantFirst || u.LastName() != tc.wantLast {
					t.Errorf("names = %q %q, want %q %q", u.FirstName(), u.LastName(), tc.wantFirst, tc.wantLast)
				}
				if !u.UpdatedAt().Equal(t1) {
					t.Errorf("UpdatedAt() = %v, want %v", u.UpdatedAt(), t1)
				}
				return
			}
			var e *domain.Error
			if !errors.As(err, &e) || e.Kind != domain.KindInvalid {
				t.Fatalf("UpdateProfile(...) = %v, want a validation error", err)
			}
			var got []string
			for _, d := range e.Details {
				got = append(got, d.Field)
			}
			if strings.Join(got, ",") != strings.Join(tc.badFields, ",") {
				t.Errorf("bad fields = %v, want %v", got, tc.badFields)
			}
			if u.FirstName() != "Old" || u.LastName() != "Name" || !u.UpdatedAt().Equal(t0) {
				t.Errorf("after a refused update: names %q %q, UpdatedAt %v, want %q %q, %v", u.FirstName(), u.LastName(), u.UpdatedAt(), "Old", "Name", t0)
			}
		})
	}
}

func TestSetRole(t *testing.T) {
	tests := []struct {
		name     string
		role     user.Role
		wantErr  error
		wantRole user.Role
	}{
		{name: "to admin", role: user.RoleAdmin, wantRole: user.RoleAdmin},
		{name: "to moderator", role: user.RoleModerator, wantRole: user.RoleModerator},
		{name: "to user", role: user.RoleUser, wantRole: user.RoleUser},
		{name: "unknown", role: "OWNER", wantErr: user.ErrInvalidRole, wantRole: user.RoleModerator},
		{name: "empty", role: "", wantErr: user.ErrInvalidRole, wantRole: user.RoleModerator},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := user.Rehydrate(user.Fields{ID: "u1", Phone: p1, Role: user.RoleModerator, FirstName: "", LastName: "", CreatedAt: t0, UpdatedAt: t0})
			err := u.SetRole(tc.role, t1)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("SetRole(%q) = %v, want %v", tc.role, err, tc.wantErr)
			}
			// errors.Is matches any validation error against ErrInvalidRole
			// (same code and message), so check the field too.
			var e *domain.Error
			if tc.wantErr != nil && (!errors.As(err, &e) || len(e.Details) != 1 || e.Details[0].Field != "role") {
				t.Errorf("SetRole(%q) error details = %+v, want one naming role", tc.role, e)
			}
			if u.Role() != tc.wantRole {
				t.Errorf("Role() = %q, want %q", u.Role(), tc.wantRole)
			}
			wantUpdated := t1
			if tc.wantErr != nil {
				wantUpdated = t0
			}
			if !u.UpdatedAt().Equal(wantUpdated) {
				t.Errorf("UpdatedAt() = %v, want %v", u.UpdatedAt(), wantUpdated)
			}
		})
	}
}
