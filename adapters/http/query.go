package http

import (
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/ports"
)

// Limits of list queries.
const (
	defaultLimit   = 20
	maxLimit       = 100
	maxQueryLength = 200
	maxQueryWords  = 10
	// maxPage keeps OFFSET (page-1)*limit within what the store can skip
	// cheaply; deeper pages are refused rather than left to time out.
	maxPage = 10_000
)

// query reads the query string: each parameter at most once, and every
// parameter must be one the handler asks for (see done).
type query struct {
	c    *fiber.Ctx
	v    domain.Validation
	seen map[string]int
	read map[string]bool
	// cursor is ?cursor= when hasCursor, read by page() and decoded by
	// keyset(), which sets hash.
	cursor    string
	hasCursor bool
	hash      string
}

func newQuery(c *fiber.Ctx) *query {
	q := &query{c: c, seen: map[string]int{}, read: map[string]bool{}}
	c.Context().QueryArgs().VisitAll(func(k, _ []byte) { q.seen[string(k)]++ })
	for k, n := range q.seen {
		if n > 1 {
			q.v.Add(k, "appears more than once")
		}
	}
	return q
}

// str returns the parameter and whether it was given.
func (q *query) str(name string) (string, bool) {
	q.read[name] = true
	if q.seen[name] == 0 {
		return "", false
	}
	return strings.Clone(q.c.Query(name)), true
}

// done returns the validation error of everything read so far, with one
// detail for each parameter the handler did not ask for: an unknown
// parameter is refused like an unknown body field, so a typo in a filter
// never silently lists everything.
func (q *query) done() error {
	var unknown []string
	for k := range q.seen {
		if !q.read[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		q.v.Add(k, "is not a parameter of this list")
	}
	return q.v.Err()
}

// integer parses a decimal parameter within [lo, hi]; absent gives def.
func (q *query) integer(name string, def, lo, hi int64) int64 {
	raw, ok := q.str(name)
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < lo || n > hi {
		q.v.Add(name, "must be an integer from "+strconv.FormatInt(lo, 10)+" to "+strconv.FormatInt(hi, 10))
		return def
	}
	return n
}

// cursorPage reads ?page=, ?limit= and ?cursor=, which cannot be
// combined with ?page=; call keyset once the filters are read.
func (q *query) cursorPage() ports.Page {
	p := ports.Page{Number: int(q.integer("page", 1, 1, maxPage)), Limit: int(q.integer("limit", defaultLimit, 1, maxLimit))}
	q.cursor, q.hasCursor = q.str("cursor")
	if q.hasCursor && q.seen["page"] > 0 {
		q.v.Add("cursor", "cannot be combined with page")
	}
	return p
}

// sort reads ?sort=field or ?sort=-field, allowing only the given fields;
// absent gives def.
func (q *query) sort(def ports.Sort, allowed ...string) ports.Sort {
	raw, ok := q.str("sort")
	if !ok {
		return def
	}
	field, desc := strings.CutPrefix(raw, "-")
	for _, a := range allowed {
		if field == a {
			return ports.Sort{Field: field, Desc: desc}
		}
	}
	q.v.Add("sort", "must be one of "+strings.Join(allowed, ", ")+", optionally prefixed with -")
	return def
}

// id reads an optional id parameter; one that is not a UUID is recorded.
func (q *query) id(name string) string {
	raw, ok := q.str(name)
	if !ok {
		return ""
	}
	return bodyID(&q.v, name, raw)
}

// pathID returns the :id of the route lower-cased, or notFound when it is
// not a UUID (an id in a path that cannot exist is a 404). The result is a
// copy: Fiber's strings point into a buffer reused by the next request,
// and the memory store keeps what it is given.
func pathID(c *fiber.Ctx, notFound error) (string, error) {
	id := c.Params("id")
	if !domain.ValidID(id) {
		return "", notFound
	}
	return strings.Clone(strings.ToLower(id)), nil
}

// bodyID validates an id given in a body or a query: not a UUID is a 400.
func bodyID(v *domain.Validation, name, id string) string {
	if !domain.ValidID(id) {
		v.Add(name, "must be a UUID")
		return ""
	}
	return strings.ToLower(id)
}
