// Package text holds the one rule every free-text field of the domain
// follows (titles, descriptions, names, reasons, notes, addresses): text
// is stored NFC-normalised and trimmed; control characters and the bidi
// override and isolate characters are refused; lengths count characters
// (code points after normalisation, as PostgreSQL's char_length does),
// not bytes.
package text

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/secondbloom/marketplace/domain"
)

// Clean returns s NFC-normalised, with surrounding white space trimmed,
// and CRLF line ends turned into LF when multiline. It returns a
// validation error with an empty field (callers name it, for example with
// domain.Validation.Merge) when s is not valid UTF-8; holds a C0 or C1
// control character (NUL and DEL included), other than newline and tab in
// a multiline field; holds a bidi override or isolate character (U+202A to
// U+202E, U+2066 to U+2069), which can make text display differently from
// what it says; or is shorter than min or longer than max characters.
func Clean(s string, multiline bool, min, max int) (string, error) {
	if !utf8.ValidString(s) {
		return "", domain.Invalid("", "must be valid UTF-8")
	}
	// Surrounding white space goes first, so a form's trailing newline is
	// no reason to refuse a title.
	s = strings.TrimSpace(s)
	if multiline {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	for _, r := range s {
		switch {
		case multiline && (r == '\n' || r == '\t'):
		case unicode.IsControl(r): // C0, DEL and C1 (U+0080 to U+009F)
			if multiline {
				return "", domain.Invalid("", "must not contain control characters other than newline and tab")
			}
			return "", domain.Invalid("", "must not contain control characters (no newlines or tabs either)")
		case isBidiControl(r):
			return "", domain.Invalid("", "must not contain bidirectional override or isolate characters (U+202A-U+202E, U+2066-U+2069)")
		}
	}
	s = norm.NFC.String(s)
	if n := utf8.RuneCountInString(s); n < min || n > max {
		return "", domain.Invalid("", lengthRule(min, max))
	}
	return s, nil
}

// isBidiControl reports the explicit embedding, override and isolate
// characters.
func isBidiControl(r rune) bool {
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069'
}

func lengthRule(min, max int) string {
	switch {
	case min <= 0:
		return "must be at most " + strconv.Itoa(max) + " characters"
	case min == max:
		return "must be exactly " + strconv.Itoa(max) + " characters"
	default:
		return "must be " + strconv.Itoa(min) + " to " + strconv.Itoa(max) + " characters"
	}
}
