package product

import (
	"math"
	"strings"
	"unicode/utf8"

	"github.com/secondbloom/marketplace/domain/money"
	"github.com/secondbloom/marketplace/domain/text"
)

const maxPrice = money.MaxAmount

func parseCurrency(c string) (string, error) { return money.ParseCurrency(c) }

func runeCount(s string) int { return utf8.RuneCountInString(s) }

// normalizeSpace trims s and collapses inner runs of white space.
func normalizeSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// cleanTitle applies the free-text rule to a title (one line, 1 to
// MaxTitleLength characters after its inner runs of spaces are collapsed).
func cleanTitle(s string) (string, error) {
	// Controls first: collapsing would turn tabs and newlines into spaces.
	if _, err := text.Clean(s, false, 0, math.MaxInt); err != nil {
		return "", err
	}
	return text.Clean(normalizeSpace(s), false, 1, MaxTitleLength)
}

// cleanDescription applies the free-text rule to a description (several
// lines, at most MaxDescriptionLength characters).
func cleanDescription(s string) (string, error) {
	return text.Clean(s, true, 0, MaxDescriptionLength)
}
