// Package money represents prices as integer counts of a currency's minor
// units. There are no floats anywhere in money arithmetic.
package money

import (
	"github.com/bojanz/currency"

	"github.com/secondbloom/marketplace/domain"
)

// DefaultCurrency is the marketplace's home currency.
const DefaultCurrency = "UZS"

// MaxAmount bounds every amount so that sums and products of quantities up to
// 100 cannot overflow int64 (and stay exact in JSON numbers for clients).
const MaxAmount int64 = 1_000_000_000_000_000

// ErrInvalidAmount is returned for negative or too large amounts.
var ErrInvalidAmount = domain.New(domain.KindInvalid, domain.CodeValidationFailed, "amount must be between 0 and 10^15 minor units")

// ErrInvalidCurrency is returned for a currency that is not an active
// ISO 4217 code.
var ErrInvalidCurrency = domain.Invalid("", "must be an active ISO 4217 code in upper case, such as UZS")

// ValidateAmount returns ErrInvalidAmount unless 0 <= a <= MaxAmount.
func ValidateAmount(a int64) error {
	if a < 0 || a > MaxAmount {
		return ErrInvalidAmount
	}
	return nil
}

// ParseCurrency validates a currency code; an empty code means
// DefaultCurrency. It returns ErrInvalidCurrency for anything but an active
// ISO 4217 code in upper case: historic codes (HRK, VEF, MRO), the
// "no currency" and testing codes (XXX, XTS) and precious metals (XAU)
// are refused.
//
// The list comes from github.com/bojanz/currency, generated from the
// Unicode CLDR and kept current with it. golang.org/x/text/currency was
// tried first: its table is years old (it still takes HRK, VEF and MRO as
// current and refuses VES, MRU, SLE and ZWG).
func ParseCurrency(c string) (string, error) {
	if c == "" {
		return DefaultCurrency, nil
	}
	if len(c) != 3 || !currency.IsValid(c) {
		return "", ErrInvalidCurrency
	}
	for i := 0; i < 3; i++ {
		if c[i] < 'A' || c[i] > 'Z' {
			return "", ErrInvalidCurrency
		}
	}
	return c, nil
}
