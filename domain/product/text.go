package product

import (
	"unicode/utf8"

	"github.com/secondbloom/marketplace/domain/money"
)

const maxPrice = money.MaxAmount

func parseCurrency(c string) (string, error) { return money.ParseCurrency(c) }

func runeCount(s string) int { return utf8.RuneCountInString(s) }
