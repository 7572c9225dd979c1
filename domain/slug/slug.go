// Package slug makes URL names from titles. Slugs keep every Unicode letter
// and digit, so Cyrillic and Uzbek Latin titles stay readable in URLs
// instead of being transliterated or dropped.
package slug

import (
	"strconv"
	"strings"
	"unicode"
)

// MaxBaseLength bounds a slug before its numeric suffix, in characters, so
// that a suffixed slug stays a comfortable URL segment.
const MaxBaseLength = 120

// Make returns the slug of s: lower case, Unicode letters, digits and
// combining marks kept, every other run of characters turned into one
// "-", and no "-" at either end. When nothing is left (a title of only
// punctuation or emoji) it returns fallback, so the result is never empty
// as long as fallback is not.
func Make(s, fallback string) string {
	var b strings.Builder
	dash := false
	n := 0
	for _, r := range s {
		if n >= MaxBaseLength {
			break
		}
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || (unicode.IsMark(r) && b.Len() > 0 && !dash):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
				n++
			}
			dash = false
			b.WriteRune(unicode.ToLower(r))
			n++
		default:
			dash = true
		}
	}
	if b.Len() == 0 {
		return fallback
	}
	return b.String()
}

// WithSuffix returns the n-th candidate for base: base itself for n <= 1,
// then base-2, base-3, ...
func WithSuffix(base string, n int) string {
	if n <= 1 {
		return base
	}
	return base + "-" + strconv.Itoa(n)
}
