package i18n_test

import (
	"strings"
	"testing"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/i18n"
)

var title = i18n.Rule{Field: "title", Max: 10, Required: true}

func ptr(s string) *string { return &s }

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		in      map[i18n.Locale]string
		rule    i18n.Rule
		want    map[i18n.Locale]string
		invalid bool
	}{
		{"one locale", map[i18n.Locale]string{i18n.Russian: "Розы"}, title, map[i18n.Locale]string{i18n.Russian: "Розы"}, false},
		{"spaces collapsed", map[i18n.Locale]string{i18n.Uzbek: "  Qizil \u00a0  gul "}, title, map[i18n.Locale]string{i18n.Uzbek: "Qizil gul"}, false},
		{"a tab in a title is a control character", map[i18n.Locale]string{i18n.Uzbek: "Qizil\tgul"}, title, nil, true},
		{"NUL refused", map[i18n.Locale]string{i18n.Russian: "Роза\x00"}, title, nil, true},
		{"bidi override refused", map[i18n.Locale]string{i18n.English: "rose \u202eesor"}, title, nil, true},
		{"NFC applied", map[i18n.Locale]string{i18n.English: "Cafe\u0301 roses"}, title, map[i18n.Locale]string{i18n.English: "Caf\u00e9 roses"}, false},
		{"multiline keeps new lines", map[i18n.Locale]string{i18n.English: " a\r\nb "}, i18n.Rule{Field: "d", Max: 10, Multiline: true}, map[i18n.Locale]string{i18n.English: "a\nb"}, false},
		{"empty values dropped", map[i18n.Locale]string{i18n.Uzbek: "gul", i18n.English: "  "}, title, map[i18n.Locale]string{i18n.Uzbek: "gul"}, false},
		{"ten Cyrillic characters fit", map[i18n.Locale]string{i18n.Russian: strings.Repeat("ж", 10)}, title, map[i18n.Locale]string{i18n.Russian: strings.Repeat("ж", 10)}, false},
		{"eleven are too many", map[i18n.Locale]string{i18n.Russian: strings.Repeat("ж", 11)}, title, nil, true},
		{"nothing left when required", map[i18n.Locale]string{i18n.Uzbek: " "}, title, nil, true},
		{"nothing is fine when optional", nil, i18n.Rule{Field: "d", Max: 10}, map[i18n.Locale]string{}, false},
		{"unsupported locale", map[i18n.Locale]string{"de": "Rosen"}, title, nil, true},
		{"invalid UTF-8", map[i18n.Locale]string{i18n.Uzbek: "a\xffb"}, title, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := i18n.New(tc.in, tc.rule)
			if tc.invalid {
				if domain.KindOf(err) != domain.KindInvalid {
					t.Fatalf("New(%v) = %v, %v, want a validation error", tc.in, got.Map(), err)
				}
				return
			}
			if err != nil {
				t.Fatalf("New(%v) = %v, want nil error", tc.in, err)
			}
			if m := got.Map(); len(m) != len(tc.want) || !sameMap(m, tc.want) {
				t.Errorf("New(%v) = %v, want %v", tc.in, m, tc.want)
			}
		})
	}
}

func sameMap(a, b map[i18n.Locale]string) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

func TestInFallsBackUzbekRussianEnglish(t *testing.T) {
	all := i18n.Must(i18n.New(map[i18n.Locale]string{i18n.Uzbek: "gul", i18n.Russian: "цветок", i18n.English: "flower"}, title))
	ruEn := i18n.Must(i18n.New(map[i18n.Locale]string{i18n.Russian: "цветок", i18n.English: "flower"}, title))
	enOnly := i18n.Must(i18n.Text(i18n.English, "flower", title))
	tests := []struct {
		name string
		l    i18n.Localized
		loc  i18n.Locale
		want string
	}{
		{"requested present", all, i18n.English, "flower"},
		{"requested missing: uz first", i18n.Must(i18n.New(map[i18n.Locale]string{i18n.Uzbek: "gul", i18n.Russian: "цветок"}, title)), i18n.English, "gul"},
		{"no uz: ru next", ruEn, i18n.Uzbek, "цветок"},
		{"only en", enOnly, i18n.Russian, "flower"},
		{"unsupported requested", all, "de", "gul"},
		{"empty", i18n.Localized{}, i18n.Uzbek, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.l.In(tc.loc); got != tc.want {
				t.Errorf("In(%q) = %q, want %q", tc.loc, got, tc.want)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	base := i18n.Must(i18n.New(map[i18n.Locale]string{i18n.Uzbek: "gul", i18n.Russian: "цветок"}, title))
	tests := []struct {
		name    string
		patch   i18n.Patch
		want    map[i18n.Locale]string
		invalid bool
	}{
		{"adds a locale", i18n.Patch{i18n.English: ptr("flower")}, map[i18n.Locale]string{i18n.Uzbek: "gul", i18n.Russian: "цветок", i18n.English: "flower"}, false},
		{"replaces one", i18n.Patch{i18n.Russian: ptr("роза")}, map[i18n.Locale]string{i18n.Uzbek: "gul", i18n.Russian: "роза"}, false},
		{"null removes", i18n.Patch{i18n.Uzbek: nil}, map[i18n.Locale]string{i18n.Russian: "цветок"}, false},
		{"removing every locale is refused", i18n.Patch{i18n.Uzbek: nil, i18n.Russian: ptr(" ")}, nil, true},
		{"too long", i18n.Patch{i18n.English: ptr(strings.Repeat("x", 11))}, nil, true},
		{"unsupported locale", i18n.Patch{"kk": ptr("gül")}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := base.Merge(tc.patch, title)
			if tc.invalid {
				if domain.KindOf(err) != domain.KindInvalid {
					t.Fatalf("Merge = %v, %v, want a validation error", got.Map(), err)
				}
				return
			}
			if err != nil || !sameMap(got.Map(), tc.want) {
				t.Fatalf("Merge = %v, %v, want %v, nil", got.Map(), err, tc.want)
			}
			if m := base.Map(); len(m) != 2 || m[i18n.Uzbek] != "gul" {
				t.Errorf("base after Merge = %v, want it unchanged", m)
			}
		})
	}
}

func TestFirstAndEqualFold(t *testing.T) {
	a := i18n.Must(i18n.New(map[i18n.Locale]string{i18n.English: "Roses", i18n.Russian: "Розы"}, title))
	if got := a.First(); got != "Розы" {
		t.Errorf("First() = %q, want the Russian title (ru before en)", got)
	}
	b := i18n.Must(i18n.Text(i18n.Russian, "РОЗЫ", title))
	c := i18n.Must(i18n.Text(i18n.Uzbek, "Roses", title))
	if !a.EqualFold(b) {
		t.Error("EqualFold(same Russian title in other case) = false, want true")
	}
	if a.EqualFold(c) {
		t.Error("EqualFold(same text under another locale) = true, want false")
	}
}

func TestParseLocale(t *testing.T) {
	for _, s := range []string{"uz", "ru", "en"} {
		if l, err := i18n.ParseLocale(s); err != nil || string(l) != s {
			t.Errorf("ParseLocale(%q) = %q, %v, want %q, nil", s, l, err, s)
		}
	}
	for _, s := range []string{"", "UZ", "ru-RU", "de", "*"} {
		if _, err := i18n.ParseLocale(s); err == nil {
			t.Errorf("ParseLocale(%q) = nil error, want one", s)
		}
	}
}
