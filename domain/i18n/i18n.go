// Package i18n holds the marketplace's languages: the Locale a request is
// served in and Localized, a text value stored in up to three languages and
// read in one of them with a fixed fallback order.
package i18n

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/text"
)

// Locale is one of the languages the marketplace speaks, as a lower-case
// ISO 639-1 code. The zero Locale means "none chosen".
type Locale string

// The supported locales.
const (
	Uzbek   Locale = "uz"
	Russian Locale = "ru"
	English Locale = "en"
)

// all lists the locales in fallback order: a text missing in the requested
// locale is read in Uzbek, then Russian, then English.
var all = [...]Locale{Uzbek, Russian, English}

// Locales returns the supported locales in fallback order.
func Locales() []Locale { return all[:] }

// index returns the position of l in all, or -1 for an unsupported locale.
func (l Locale) index() int {
	for i, x := range all {
		if x == l {
			return i
		}
	}
	return -1
}

// Valid reports whether l is one of the supported locales.
func (l Locale) Valid() bool { return l.index() >= 0 }

// ErrInvalidLocale is the validation error of an unsupported locale code.
var ErrInvalidLocale = domain.Invalid("language", "must be uz, ru or en")

// ParseLocale returns the locale named exactly by s ("uz", "ru" or "en").
// It returns ErrInvalidLocale for anything else.
func ParseLocale(s string) (Locale, error) {
	if l := Locale(s); l.Valid() {
		return l, nil
	}
	return "", ErrInvalidLocale
}

// Rule says what a localized field accepts: Max characters in each locale
// (counted after normalisation), whether at least one locale is required,
// and whether inner white space is collapsed (titles and names) or kept
// (descriptions, where new lines matter).
type Rule struct {
	Field     string
	Max       int
	Required  bool
	Multiline bool
}

// Localized is a text in up to three locales. It is an immutable value: its
// methods return new values, and two Localized with the same texts are ==.
// A locale is present when its text is not empty.
type Localized struct {
	v [len(all)]string
}

// normalize applies the free-text rule (text.Clean: valid UTF-8, NFC, no
// control characters but newline and tab in multi-line fields, no bidi
// overrides) to the text of one locale; single-line fields also collapse
// inner runs of spaces. The error names no field; callers add r.Field.
func (r Rule) normalize(s string) (string, error) {
	s, err := text.Clean(s, r.Multiline, 0, math.MaxInt)
	if err != nil || r.Multiline {
		return s, err
	}
	return strings.Join(strings.Fields(s), " "), nil
}

// New returns the text of values, each normalised (see Rule). Empty values
// are dropped. It returns a validation error naming r.Field when a locale is
// not supported, a text is not valid UTF-8 or longer than r.Max
// characters, or when r.Required and no text is left.
func New(values map[Locale]string, r Rule) (Localized, error) {
	var out Localized
	var v domain.Validation
	for l, s := range values {
		i := l.index()
		if i < 0 {
			v.Add(r.Field, fmt.Sprintf("has unsupported locale %q (want uz, ru or en)", string(l)))
			continue
		}
		n, err := r.normalize(s)
		v.Merge(r.Field, err)
		out.v[i] = n
	}
	if err := v.Err(); err != nil {
		return Localized{}, err
	}
	if err := out.Check(r); err != nil {
		return Localized{}, err
	}
	return out, nil
}

// Text returns s stored under locale l; it is New with one value.
func Text(l Locale, s string, r Rule) (Localized, error) {
	return New(map[Locale]string{l: s}, r)
}

// Must returns l, and panics if err is not nil. It is for literals in
// tests and seed data.
func Must(l Localized, err error) Localized {
	if err != nil {
		panic(err)
	}
	return l
}

// Check returns a validation error naming r.Field when a text is not valid
// UTF-8 or longer than r.Max characters, or when r.Required and l is empty.
func (l Localized) Check(r Rule) error {
	var v domain.Validation
	for i, s := range l.v {
		if !utf8.ValidString(s) {
			v.Add(r.Field, fmt.Sprintf("%s: must be valid UTF-8 text", all[i]))
		} else if n := utf8.RuneCountInString(s); n > r.Max {
			v.Add(r.Field, fmt.Sprintf("%s: must be at most %d characters", all[i], r.Max))
		}
	}
	if r.Required && l.IsZero() {
		v.Add(r.Field, fmt.Sprintf("must have a text of 1 to %d characters in at least one of uz, ru, en", r.Max))
	}
	return v.Err()
}

// IsZero reports whether l has no text in any locale.
func (l Localized) IsZero() bool { return l == Localized{} }

// Get returns the text in exactly locale loc, and whether there is one.
func (l Localized) Get(loc Locale) (string, bool) {
	i := loc.index()
	if i < 0 || l.v[i] == "" {
		return "", false
	}
	return l.v[i], true
}

// In returns the text in loc, or, when there is none, the first present in
// fallback order (uz, ru, en); "" when l is empty.
func (l Localized) In(loc Locale) string {
	if s, ok := l.Get(loc); ok {
		return s
	}
	return l.First()
}

// First returns the first text present in fallback order, or "". Slugs are
// made from it.
func (l Localized) First() string {
	for _, s := range l.v {
		if s != "" {
			return s
		}
	}
	return ""
}

// Map returns the present texts by locale; a new map on each call.
func (l Localized) Map() map[Locale]string {
	out := make(map[Locale]string, len(all))
	for i, s := range l.v {
		if s != "" {
			out[all[i]] = s
		}
	}
	return out
}

// Patch is a partial edit of a Localized: a text sets its locale, nil (or
// an empty text) removes it, and locales not named stay as they are.
type Patch map[Locale]*string

// Merge returns l with p applied, normalised and checked as New does. It
// returns a validation error when p names an unsupported locale, a text
// breaks r, or r.Required and p would remove every locale.
func (l Localized) Merge(p Patch, r Rule) (Localized, error) {
	out := l
	var v domain.Validation
	for loc, s := range p {
		i := loc.index()
		switch {
		case i < 0:
			v.Add(r.Field, fmt.Sprintf("has unsupported locale %q (want uz, ru or en)", string(loc)))
		case s == nil:
			out.v[i] = ""
		default:
			n, err := r.normalize(*s)
			v.Merge(r.Field, err)
			out.v[i] = n
		}
	}
	if err := v.Err(); err != nil {
		return Localized{}, err
	}
	if r.Required && out.IsZero() && !l.IsZero() {
		return Localized{}, domain.Invalid(r.Field, "must keep a text in at least one locale")
	}
	if err := out.Check(r); err != nil {
		return Localized{}, err
	}
	return out, nil
}

// EqualFold reports whether l and o share a locale whose texts are equal
// ignoring case: the duplicate-listing rule.
func (l Localized) EqualFold(o Localized) bool {
	for i, s := range l.v {
		if s != "" && strings.EqualFold(s, o.v[i]) {
			return true
		}
	}
	return false
}
