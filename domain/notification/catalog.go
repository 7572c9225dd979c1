package notification

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"
)

// DefaultLocale is the language of a recipient whose own is unknown or
// not in the catalogues.
const DefaultLocale = "uz"

// Locales are the languages the catalogues cover.
var Locales = []string{"uz", "ru", "en"}

//go:embed messages/*.json
var messageFiles embed.FS

// Message is a notification rendered for reading: a title and a body.
type Message struct {
	Title string
	Body  string
}

// catalogues maps a locale to the templates of every type. Templates name
// data values in braces: {reason}, {amount}.
var catalogues = mustLoad()

func mustLoad() map[string]map[Type]Message {
	out := map[string]map[Type]Message{}
	for _, loc := range Locales {
		raw, err := messageFiles.ReadFile("messages/" + loc + ".json")
		if err != nil {
			panic(fmt.Sprintf("notification: catalogue %s missing: %v", loc, err))
		}
		var m map[Type]struct{ Title, Body string }
		if err := json.Unmarshal(raw, &m); err != nil {
			panic(fmt.Sprintf("notification: catalogue %s: %v", loc, err))
		}
		cat := map[Type]Message{}
		for t, v := range m {
			cat[t] = Message{Title: v.Title, Body: v.Body}
		}
		out[loc] = cat
	}
	return out
}

// Render returns n's title and body in locale, falling back to
// DefaultLocale for a locale the catalogues lack.
func (n *Notification) Render(locale string) Message {
	cat, ok := catalogues[strings.ToLower(locale)]
	if !ok {
		cat = catalogues[DefaultLocale]
	}
	m := cat[n.typ]
	return Message{Title: fill(m.Title, n.data), Body: fill(m.Body, n.data)}
}

// fill replaces each {key} of tmpl with data[key].
func fill(tmpl string, data map[string]string) string {
	if !strings.Contains(tmpl, "{") {
		return tmpl
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		j := strings.IndexByte(tmpl[i+1:], '}')
		if i < 0 || j < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		b.WriteString(tmpl[:i])
		b.WriteString(data[tmpl[i+1:i+1+j]])
		tmpl = tmpl[i+j+2:]
	}
}
