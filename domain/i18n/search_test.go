package i18n_test

import (
	"strings"
	"testing"

	"github.com/secondbloom/marketplace/domain/i18n"
)

func TestSearchWords(t *testing.T) {
	tests := []struct{ in, want string }{
		{"O‘zbek  atirgullari", "ozbek atirgullari"},
		{"oʻzbek o’zbek o'zbek o`zbek", "ozbek ozbek ozbek ozbek"},
		{"АТИРГУЛ, Ёлка!", "атиргул елка"},
		{"Çiçek café-glass 30cm", "cicek cafe glass 30cm"},
		{"  %_* ", ""},
	}
	for _, tc := range tests {
		if got := strings.Join(i18n.SearchWords(tc.in), " "); got != tc.want {
			t.Errorf("SearchWords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMatches(t *testing.T) {
	texts := []string{"Qizil atirgullar", "Красные розы", "", "From an Oʻzbek garden"}
	tests := []struct {
		q    string
		want bool
	}{
		{"atir", true}, {"ATIRGULLAR", true}, {"красн роз", true}, {"o'zbek garden", true},
		{"irgul", false}, {"atir tulip", false}, {"розы красные", true},
	}
	for _, tc := range tests {
		if got := i18n.Matches(i18n.SearchWords(tc.q), texts...); got != tc.want {
			t.Errorf("Matches(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}
}
