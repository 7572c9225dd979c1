package http

import (
	"fmt"
	"strings"
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
			for range 2 { // the second answer comes from the memo
				got, ok := negotiate(tc.header)
				if got != tc.want || ok != tc.ok {
					t.Errorf("negotiate(%q) = %q, %v; want %q, %v", tc.header, got, ok, tc.want, tc.ok)
				}
			}
		})
	}
}

// TestNegotiateMemoIsBounded sends more distinct headers than the memo
// keeps: the memo stops growing, and headers past it are still answered.
func TestNegotiateMemoIsBounded(t *testing.T) {
	for i := range 2 * maxNegotiated {
		if l, ok := negotiate(fmt.Sprintf("ru;q=0.%d, en;q=0.1", i%9+1) + strings.Repeat(" ", i/9)); l != i18n.Russian || !ok {
			t.Fatalf("header %d: %q, %v; want ru", i, l, ok)
		}
	}
	n := 0
	negotiated.Range(func(any, any) bool { n++; return true })
	if n > maxNegotiated || negotiatedCount.Load() > maxNegotiated {
		t.Fatalf("the memo holds %d headers (count %d), want at most %d", n, negotiatedCount.Load(), maxNegotiated)
	}
}
