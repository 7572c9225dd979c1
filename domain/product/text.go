package product

import (
	"strings"
	"unicode/utf8"

	"github.com/secondbloom/marketplace/domain/money"
)

const maxPrice = money.MaxAmount

func parseCurrency(c string) (string, error) { return money.ParseCurrency(c) }

func runeCount(s string) int { return utf8.RuneCountInString(s) }

// normalizeSpace trims s and collapses inner runs of white space.
func normalizeSpace(s string) string { return strings.Join(strings.Fields(s), " ") }
