package category

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/i18n"
)

// name returns s stored as Uzbek without checking it, so New's own checks
// are what the cases exercise.
func name(s string) i18n.Localized {
	l, _ := i18n.Text(i18n.Uzbek, s, i18n.Rule{Field: "name", Max: 1 << 20})
	return l
}

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestNew(t *testing.T) {
	tests := []struct {
		name     string
		catName  string
		position int
		ok       bool
	}{
		{"plain", "Roses", 0, true},
		{"cyrillic name is trimmed", "  Тюльпаны ", 3, true},
		{"empty name", "   ", 0, false},
		{"101 characters", strings.Repeat("я", 101), 0, false},
		{"negative position", "Roses", -1, false},
		{"NUL in the name", "Ro\x00ses", 0, false},
		{"newline in the name", "Ro\nses", 0, false},
		{"bidi override in the name", "\u202Eseso", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New("id", name(tc.catName), "slug", "", tc.position, t0)
			if (err == nil) != tc.ok {
				t.Fatalf("New(%q, %d) = %v, want ok=%v", tc.catName, tc.position, err, tc.ok)
			}
			if tc.ok && (!c.Active() || c.Name().In(i18n.Uzbek) != strings.TrimSpace(tc.catName)) {
				t.Errorf("New = %+v, want active with the trimmed name", c.Fields())
			}
		})
	}
}

func TestEdit(t *testing.T) {
	str := func(s string) *string { return &s }
	uzName := func(s string) i18n.Patch { return i18n.Patch{i18n.Uzbek: &s} }
	num := func(n int) *int { return &n }
	off := false
	tests := []struct {
		name    string
		change  Change
		wantErr error
		invalid bool
		check   func(c *Category) bool
	}{
		{"rename", Change{Name: uzName("Red roses"), Slug: str("red-roses")}, nil, false, func(c *Category) bool { return c.Name().In(i18n.Uzbek) == "Red roses" && c.Slug() == "red-roses" }},
		{"deactivate", Change{Active: &off}, nil, false, func(c *Category) bool { return !c.Active() }},
		{"move to root", Change{ParentID: str("")}, nil, false, func(c *Category) bool { return c.ParentID() == "" }},
		{"own parent is a cycle", Change{ParentID: str("c1")}, ErrCycle, false, nil},
		{"empty name and negative position", Change{Name: uzName(""), Position: num(-1)}, nil, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Rehydrate(Fields{ID: "c1", Name: name("Roses"), Slug: "roses", ParentID: "p1", Active: true, CreatedAt: t0, UpdatedAt: t0})
			err := c.Edit(tc.change, t0.Add(time.Hour))
			switch {
			case tc.invalid:
				var de *domain.Error
				if !errors.As(err, &de) || len(de.Details) != 2 {
					t.Fatalf("Edit = %v, want a validation error with 2 details", err)
				}
			case !errors.Is(err, tc.wantErr):
				t.Fatalf("Edit = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				if c.Name() != name("Roses") || c.ParentID() != "p1" || !c.UpdatedAt().Equal(t0) {
					t.Errorf("category after failed edit = %+v, want unchanged", c.Fields())
				}
				return
			}
			if !tc.check(c) || !c.UpdatedAt().Equal(t0.Add(time.Hour)) {
				t.Errorf("category after edit = %+v", c.Fields())
			}
		})
	}
}
