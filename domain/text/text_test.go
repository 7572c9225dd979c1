package text_test

import (
	"strings"
	"testing"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/text"
)

func TestClean(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		multiline bool
		min, max  int
		want      string
		wantErr   string // part of the detail message; "" means success
	}{
		{"plain", "Red roses", false, 1, 200, "Red roses", ""},
		{"trimmed", "  Red roses \n", false, 1, 200, "Red roses", ""},
		{"NFC: e + combining acute becomes é", "Cafe\u0301", false, 1, 200, "Caf\u00e9", ""},
		{"NFC: Hangul jamo compose", "\u1100\u1161", false, 1, 10, "\uac00", ""},
		{"Cyrillic and Uzbek Latin are text", "Атиргул — O‘zbekiston", false, 1, 200, "Атиргул — O‘zbekiston", ""},
		{"emoji count as characters", "🌹🌹🌹", false, 1, 3, "🌹🌹🌹", ""},
		{"NUL refused", "Rose\x00s", false, 1, 200, "", "control characters"},
		{"NUL refused in multiline", "Rose\x00s", true, 0, 200, "", "control characters"},
		{"escape refused", "\x1b[31mred", false, 1, 200, "", "control characters"},
		{"DEL refused", "a\x7fb", false, 1, 200, "", "control characters"},
		{"C1 refused", "a\u0085b", true, 0, 200, "", "control characters"},
		{"newline refused in a single line", "two\nlines", false, 1, 200, "", "control characters"},
		{"tab refused in a single line", "a\tb", false, 1, 200, "", "control characters"},
		{"newline and tab kept in multiline", "line one\n\tline two", true, 0, 200, "line one\n\tline two", ""},
		{"CRLF stored as LF", "line one\r\nline two", true, 0, 200, "line one\nline two", ""},
		{"lone CR refused", "line one\rline two", true, 0, 200, "", "control characters"},
		{"RLO refused", "gpj.\u202Eexe", false, 1, 200, "", "bidirectional"},
		{"LRE refused", "\u202Ax", true, 0, 200, "", "bidirectional"},
		{"PDF refused", "x\u202C", false, 1, 200, "", "bidirectional"},
		{"LRI refused", "\u2066x", false, 1, 200, "", "bidirectional"},
		{"PDI refused", "x\u2069", false, 1, 200, "", "bidirectional"},
		{"LRM mark allowed (not an override)", "a\u200Eb", false, 1, 200, "a\u200Eb", ""},
		{"invalid UTF-8", "a\xffb", false, 1, 200, "", "UTF-8"},
		{"empty refused when required", "   ", false, 1, 200, "", "must be 1 to 200 characters"},
		{"empty allowed when optional", "", true, 0, 500, "", ""},
		{"max counts characters not bytes", strings.Repeat("ў", 100), false, 1, 100, strings.Repeat("ў", 100), ""},
		{"one over max", strings.Repeat("ў", 101), false, 1, 100, "", "must be 1 to 100 characters"},
		{"optional over max", strings.Repeat("a", 6), true, 0, 5, "", "must be at most 5 characters"},
		{"length counted after NFC", strings.Repeat("e\u0301", 5), false, 1, 5, strings.Repeat("é", 5), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := text.Clean(tc.in, tc.multiline, tc.min, tc.max)
			if tc.wantErr == "" {
				if err != nil || got != tc.want {
					t.Fatalf("Clean(%q) = %q, %v; want %q, nil", tc.in, got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Clean(%q) = %q, nil; want an error about %q", tc.in, got, tc.wantErr)
			}
			if domain.KindOf(err) != domain.KindInvalid || domain.CodeOf(err) != domain.CodeValidationFailed {
				t.Errorf("Clean(%q) error kind %v code %s, want a validation error", tc.in, domain.KindOf(err), domain.CodeOf(err))
			}
			var v domain.Validation
			v.Merge("title", err)
			e := v.Err().(*domain.Error)
			if len(e.Details) != 1 || e.Details[0].Field != "title" || !strings.Contains(e.Details[0].Message, tc.wantErr) {
				t.Errorf("Clean(%q) details = %+v, want one for the named field about %q", tc.in, e.Details, tc.wantErr)
			}
		})
	}
}
