package http

import (
	"testing"

	"github.com/secondbloom/marketplace/domain/i18n"
)

func TestNegotiate(t *testing.T) {
	tests := []struct {
		header string
		want   i18n.Locale
		ok     bool
	}{
		{"ru-RU,ru;q=0.9", i18n.Russian, true},
		{"en-GB", i18n.English, true},
		{"uz", i18n.Uzbek, true},
		{"uz-Latn-UZ", i18n.Uzbek, true},
		{"uz-Cyrl", i18n.Uzbek, true},
		{"de, en;q=0.5", i18n.English, true},
		{"en;q=0.3, ru;q=0.8", i18n.Russian, true},
		{"fr-CH, fr;q=0.9, en;q=0.8", i18n.English, true},
		{"de", "", false},
		{"kk", "", false}, // the matcher would offer Russian; the reader did not ask for it
		{"*", "", false},
		{"", "", false},
		{"garbage!!", "", false},
		{"ru;q=abc", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.header, func(t *testing.T) {
			got, ok := negotiate(tc.header)
			if got != tc.want || ok != tc.ok {
				t.Errorf("negotiate(%q) = %q, %v; want %q, %v", tc.header, got, ok, tc.want, tc.ok)
			}
		})
	}
}
