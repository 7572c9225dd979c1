package phone_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/secondbloom/marketplace/domain/phone"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // "" means invalid
	}{
		{name: "plain E.164", in: "+998901234567", want: "+998901234567"},
		{name: "shortest, 8 digits", in: "+12345678", want: "+12345678"},
		{name: "longest, 15 digits", in: "+123456789012345", want: "+123456789012345"},
		{name: "spaces removed", in: "+998 90 123 45 67", want: "+998901234567"},
		{name: "dashes removed", in: "+998-90-123-45-67", want: "+998901234567"},
		{name: "parentheses removed", in: "+998 (90) 123-45-67", want: "+998901234567"},
		{name: "surrounding spaces removed", in: "  +998901234567  ", want: "+998901234567"},

		{name: "empty", in: ""},
		{name: "only plus", in: "+"},
		{name: "only separators", in: " -() "},
		{name: "7 digits is too short", in: "+1234567"},
		{name: "16 digits is too long", in: "+1234567890123456"},
		{name: "no plus", in: "998901234567"},
		{name: "plus not first", in: "9+98901234567"},
		{name: "two pluses", in: "++998901234567"},
		{name: "leading zero", in: "+0998901234"},
		{name: "tab", in: "+998\t901234567"},
		{name: "newline", in: "+998901234567\n"},
		{name: "letters", in: "+99890123456a"},
		{name: "dot separator", in: "+998.90.1234567"},
		{name: "Arabic-Indic digits", in: "+٩٩٨٩٠١٢٣٤٥٦٧"},
		{name: "one Arabic-Indic digit", in: "+99890123456٧"},
		{name: "fullwidth digits", in: "+９９８９０１２３４５６７"},
		{name: "fullwidth plus", in: "＋998901234567"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := phone.Parse(tc.in)
			if tc.want == "" {
				if !errors.Is(err, phone.ErrInvalid) {
					t.Fatalf("Parse(%q) = %q, %v, want error %v", tc.in, got, err, phone.ErrInvalid)
				}
				if !got.IsZero() {
					t.Errorf("Parse(%q) returned %q with an error, want the zero Number", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q) error = %v, want nil", tc.in, err)
			}
			if got.String() != tc.want {
				t.Errorf("Parse(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if got.IsZero() {
				t.Errorf("Parse(%q).IsZero() = true, want false", tc.in)
			}
		})
	}
}

func TestZeroNumber(t *testing.T) {
	var n phone.Number
	if !n.IsZero() {
		t.Errorf("Number{}.IsZero() = false, want true")
	}
	if got := n.String(); got != "" {
		t.Errorf("Number{}.String() = %q, want %q", got, "")
	}
	if got := n.Masked(); got != "***" {
		t.Errorf("Number{}.Masked() = %q, want %q", got, "***")
	}
}

func TestMustParse(t *testing.T) {
	if got := phone.MustParse("+998 90 123 45 67").String(); got != "+998901234567" {
		t.Errorf("MustParse(...) = %q, want %q", got, "+998901234567")
	}
	defer func() {
		if recover() == nil {
			t.Errorf("MustParse(%q) did not panic", "12")
		}
	}()
	phone.MustParse("12")
}

func TestMasked(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "Uzbek mobile", in: "+998901234567", want: "+998*******67"},
		{name: "shortest", in: "+12345678", want: "+123***78"},
		{name: "longest", in: "+123456789012345", want: "+123**********45"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := phone.MustParse(tc.in)
			got := n.Masked()
			if got != tc.want {
				t.Errorf("MustParse(%q).Masked() = %q, want %q", tc.in, got, tc.want)
			}
			if len(got) != len(tc.in) {
				t.Errorf("Masked() = %q has length %d, want %d", got, len(got), len(tc.in))
			}
			// The middle digits (after the prefix, before the last two)
			// must never appear.
			middle := tc.in[4 : len(tc.in)-2]
			if strings.Trim(got[4:len(got)-2], "*") != "" || strings.Contains(got, middle) {
				t.Errorf("Masked() = %q reveals middle digits %q", got, middle)
			}
		})
	}
}
