package money_test

import (
	"errors"
	"testing"

	"github.com/secondbloom/marketplace/domain/money"
)

func TestParseCurrency(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"", "UZS", true},
		{"UZS", "UZS", true},
		{"USD", "USD", true},
		{"EUR", "EUR", true},
		{"RUB", "RUB", true},
		{"KZT", "KZT", true},
		{"VES", "VES", true}, // current Venezuelan code, missing from x/text's table
		{"MRU", "MRU", true},
		{"uzs", "", false}, // codes are upper case
		{"Usd", "", false},
		{"XXX", "", false}, // "no currency"
		{"XTS", "", false}, // reserved for testing
		{"XAU", "", false}, // gold is not a currency
		{"HRK", "", false}, // replaced by EUR in 2023
		{"DEM", "", false},
		{"VEF", "", false},
		{"ABC", "", false}, // three capital letters are not enough
		{"US", "", false},
		{"USDX", "", false},
		{"U$D", "", false},
	}
	for _, tc := range tests {
		got, err := money.ParseCurrency(tc.in)
		if tc.ok && (err != nil || got != tc.want) {
			t.Errorf("ParseCurrency(%q) = %q, %v; want %q, nil", tc.in, got, err, tc.want)
		}
		if !tc.ok && !errors.Is(err, money.ErrInvalidCurrency) {
			t.Errorf("ParseCurrency(%q) = %q, %v; want ErrInvalidCurrency", tc.in, got, err)
		}
	}
}
