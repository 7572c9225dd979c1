package http

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/i18n"
)

// localsLocale keeps the locale Accept-Language asked for, if any.
const localsLocale = "acceptLocale"

// supported lists the locales in the matcher's order.
var (
	supported = i18n.Locales()
	matcher   = func() language.Matcher {
		tags := make([]language.Tag, len(supported))
		for i, l := range supported {
			tags[i] = language.MustParse(string(l))
		}
		return language.NewMatcher(tags)
	}()
)

// localeOfBase returns the supported locale whose language is tag's, if
// any: "ru-RU" is ru, "uz-Cyrl" is uz.
func localeOfBase(tag language.Tag) (i18n.Locale, bool) {
	base, _ := tag.Base()
	l := i18n.Locale(base.String())
	return l, l.Valid()
}

// negotiate returns the best supported locale for an Accept-Language
// header. Only a language the client named counts: "*", malformed headers
// and languages the matcher would merely substitute (it offers Russian to
// a Kazakh reader) are no match.
func negotiate(header string) (i18n.Locale, bool) {
	if header == "" {
		return "", false
	}
	if m, ok := negotiated.Load(header); ok {
		r := m.(negotiation)
		return r.locale, r.ok
	}
	l, ok := negotiateUncached(header)
	// Clients send few distinct headers (a browser's is the same on every
	// request), and parsing one is a third of a cached product read; keep
	// the answers for the first headers seen, a bounded number of them.
	// The key is a copy: Fiber's header strings point into a buffer the
	// next request on the connection overwrites.
	if negotiatedCount.Load() < maxNegotiated && len(header) <= 256 {
		if _, loaded := negotiated.LoadOrStore(strings.Clone(header), negotiation{l, ok}); !loaded {
			negotiatedCount.Add(1)
		}
	}
	return l, ok
}

// The memo of negotiate: Accept-Language value -> negotiation.
var (
	negotiated      sync.Map
	negotiatedCount atomic.Int64
)

// maxNegotiated bounds the memo, so headers made up by a client cannot
// grow it without limit.
const maxNegotiated = 1024

type negotiation struct {
	locale i18n.Locale
	ok     bool
}

func negotiateUncached(header string) (i18n.Locale, bool) {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return "", false
	}
	_, idx, conf := matcher.Match(tags...)
	if conf != language.No {
		for _, t := range tags {
			if l, ok := localeOfBase(t); ok && l == supported[idx] {
				return l, true
			}
		}
	}
	// The matcher refuses a script it does not serve (uz-Cyrl); the
	// language itself is still the reader's best.
	for _, t := range tags {
		if l, ok := localeOfBase(t); ok {
			return l, true
		}
	}
	return "", false
}

// negotiateLocale records the Accept-Language match and names the
// request's locale in Content-Language, before the handler (so that even
// early errors carry it) and again after it, once the caller, whose
// language comes next, is known.
func (s *Server) negotiateLocale(c *fiber.Ctx) error {
	if l, ok := negotiate(c.Get(fiber.HeaderAcceptLanguage)); ok {
		c.Locals(localsLocale, l)
	}
	c.Set(fiber.HeaderContentLanguage, string(s.locale(c)))
	err := c.Next()
	c.Set(fiber.HeaderContentLanguage, string(s.locale(c)))
	return err
}

// locale returns the request's locale: the Accept-Language match, else the
// authenticated caller's language, else the server's default.
func (s *Server) locale(c *fiber.Ctx) i18n.Locale {
	if l, ok := c.Locals(localsLocale).(i18n.Locale); ok {
		return l
	}
	if p, ok := principal(c); ok && p.Language.Valid() {
		return p.Language
	}
	return s.opt.DefaultLocale
}

// writeLocale returns the locale a text written as a plain string is
// stored under: the request's Content-Language when it names a supported
// language (region ignored), else the server's default.
func (s *Server) writeLocale(c *fiber.Ctx) i18n.Locale {
	if tag, err := language.Parse(c.Get(fiber.HeaderContentLanguage)); err == nil {
		if l, ok := localeOfBase(tag); ok {
			return l
		}
	}
	return s.opt.DefaultLocale
}

// localizedJSON is a localized text field as sent: a string, or an object
// of locale to string (null removes the locale on PATCH).
type localizedJSON struct {
	raw json.RawMessage
}

// UnmarshalJSON accepts a string or an object; the decoder's type check
// reports anything else.
func (l *localizedJSON) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || (b[0] != '"' && b[0] != '{') {
		return errNotLocalized
	}
	l.raw = append(json.RawMessage(nil), b...)
	return nil
}

var errNotLocalized = domain.Invalid("body", "must be a string or an object of uz, ru, en texts")

// patch returns the field as a per-locale edit: a string sets the write
// locale; an object sets or (null) removes each locale it names. Texts are
// NFC-normalised.
func (s *Server) patch(c *fiber.Ctx, field string, l *localizedJSON) (i18n.Patch, error) {
	bad := domain.Invalid(field, "must be a string or an object of uz, ru, en texts")
	var str string
	if json.Unmarshal(l.raw, &str) == nil {
		str = norm.NFC.String(str)
		return i18n.Patch{s.writeLocale(c): &str}, nil
	}
	members, err := splitObject(l.raw)
	if err != nil {
		return nil, bad
	}
	out := i18n.Patch{}
	var v domain.Validation
	for _, m := range members {
		loc := i18n.Locale(m.name)
		switch {
		case !loc.Valid():
			v.Add(field+"."+m.name, "is not a locale (want uz, ru or en)")
		case m.dup:
			v.Add(field+"."+m.name, "appears more than once")
		case string(m.value) == "null":
			out[loc] = nil
		default:
			var t string
			if err := json.Unmarshal(m.value, &t); err != nil {
				v.Add(field+"."+m.name, "must be a string or null")
				continue
			}
			t = norm.NFC.String(t)
			out[loc] = &t
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, domain.Invalid(field, "must name at least one of uz, ru, en")
	}
	return out, nil
}

// text returns the field as a new text under rule r (see patch).
func (s *Server) text(c *fiber.Ctx, l *localizedJSON, r i18n.Rule) (i18n.Localized, error) {
	p, err := s.patch(c, r.Field, l)
	if err != nil {
		return i18n.Localized{}, err
	}
	return i18n.Localized{}.Merge(p, r)
}

// textsDTO renders every stored locale of a text: {"uz"?, "ru"?, "en"?}.
type textsDTO struct {
	Uz string `json:"uz,omitempty"`
	Ru string `json:"ru,omitempty"`
	En string `json:"en,omitempty"`
}

// translations renders every stored locale of a text.
func translations(l i18n.Localized) textsDTO {
	uz, _ := l.Get(i18n.Uzbek)
	ru, _ := l.Get(i18n.Russian)
	en, _ := l.Get(i18n.English)
	return textsDTO{Uz: uz, Ru: ru, En: en}
}
