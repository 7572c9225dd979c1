// Package phone parses and normalises E.164 phone numbers.
package phone

import (
	"strings"

	"github.com/secondbloom/marketplace/domain"
)

// Number is a normalised E.164 phone number: '+' followed by 8 to 15 ASCII
// digits, the first of which is not 0. The zero Number is not valid.
type Number struct{ s string }

// ErrInvalid is returned by Parse for input that is not an E.164 number.
var ErrInvalid = domain.New(domain.KindInvalid, domain.CodeValidationFailed, "must be an E.164 phone number such as +998901234567")

// Parse removes spaces, dashes and parentheses from s and validates the rest
// as E.164. It returns an error wrapping ErrInvalid for anything else
// (letters, tabs, non-ASCII digits, a leading 0, wrong length).
func Parse(s string) (Number, error) {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch r {
		case ' ', '-', '(', ')':
			continue
		}
		b.WriteRune(r)
	}
	n := b.String()
	if len(n) < 9 || len(n) > 16 || n[0] != '+' || n[1] == '0' {
		return Number{}, ErrInvalid
	}
	for i := 1; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return Number{}, ErrInvalid
		}
	}
	return Number{s: n}, nil
}

// MustParse is Parse for constants in tests and demo data; it panics on
// invalid input.
func MustParse(s string) Number {
	n, err := Parse(s)
	if err != nil {
		panic("phone.MustParse(" + s + "): " + err.Error())
	}
	return n
}

// String returns the number in E.164 form.
func (n Number) String() string { return n.s }

// IsZero reports whether n is the zero Number.
func (n Number) IsZero() bool { return n.s == "" }

// Masked returns the number with all but the country prefix and the last two
// digits hidden, for logs and error reports.
func (n Number) Masked() string {
	if len(n.s) < 6 {
		return "***"
	}
	return n.s[:4] + strings.Repeat("*", len(n.s)-6) + n.s[len(n.s)-2:]
}
