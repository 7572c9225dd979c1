package i18n

import (
	"strings"
	"unicode"
)

// foldFrom and foldTo map accented Latin letters to their plain letter and
// Russian ё to е; the apostrophes at the end of foldFrom, which have no
// counterpart in foldTo, are dropped, so the Uzbek o‘zbek, oʻzbek, o’zbek,
// o'zbek and o`zbek all read "ozbek". The Postgres adapter's search
// function (migration 0008) uses the same two strings with translate().
const (
	FoldFrom = "àáâãäåāăąçćčďđèéêëēėęěğìíîïīįıñńňòóôõöøōŕřśşšșţťțùúûüūůűýÿźżžё'’‘ʻʼ`´"
	FoldTo   = "aaaaaaaaacccddeeeeeeeegiiiiiiinnnooooooorrsssstttuuuuuuuyyzzzе"
)

var folder = func() map[rune]rune {
	from, to := []rune(FoldFrom), []rune(FoldTo)
	m := make(map[rune]rune, len(from))
	for i, r := range from {
		if i < len(to) {
			m[r] = to[i]
		} else {
			m[r] = -1
		}
	}
	return m
}()

// Fold returns s in lower case with accents and apostrophes removed (see
// FoldFrom), the form in which search compares words.
func Fold(s string) string {
	return strings.Map(func(r rune) rune {
		if f, ok := folder[r]; ok {
			return f
		}
		return r
	}, strings.ToLower(s))
}

// SearchWords returns the words of s for search: s folded, then split at
// every character that is neither a letter nor a digit. Empty for a text
// with no word.
func SearchWords(s string) []string {
	return strings.FieldsFunc(Fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// Matches reports whether every word of query is a prefix of some word of
// one of texts: the search rule of the product list, which the Postgres
// adapter implements with a prefix text-search query.
func Matches(query []string, texts ...string) bool {
	var words []string
	for _, t := range texts {
		words = append(words, SearchWords(t)...)
	}
	for _, q := range query {
		found := false
		for _, w := range words {
			if strings.HasPrefix(w, q) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Rehydrate rebuilds a stored text from its values by locale, dropping
// empty values and unsupported locales. Only storage adapters call it;
// everyone else builds texts with New, which checks them.
func Rehydrate(values map[Locale]string) Localized {
	var out Localized
	for l, s := range values {
		if i := l.index(); i >= 0 {
			out.v[i] = s
		}
	}
	return out
}

// RehydrateValues is Rehydrate for values in the order of Values, which
// adapters may store instead of a map; extra values are ignored.
func RehydrateValues(values []string) Localized {
	var out Localized
	copy(out.v[:], values)
	return out
}

// Values returns the texts of every locale in fallback order, "" where a
// locale has none; storage adapters index them.
func (l Localized) Values() []string { return append([]string(nil), l.v[:]...) }
