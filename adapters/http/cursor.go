package http

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/ports"
)

// A cursor (?cursor=, meta.pagination.nextCursor) is the base64url of a
// small JSON object: the position of the last row of the previous page
// (ports.Position: sort key values and id) and a short hash of the list's
// name, its normalised filters and its sort. The hash ties the cursor to
// the query it was made for, so reusing it with other filters or another
// sort is refused instead of silently paging a different list. Cursors
// are opaque to clients and not secret: a hand-made one can only choose
// where a list the caller may read anyway starts.

// maxCursorLength bounds ?cursor= (a real one is under 200 characters).
const maxCursorLength = 512

type cursorBody struct {
	Hash string    `json:"h"`
	Int  int64     `json:"i,omitempty"`
	Time time.Time `json:"t,omitzero"`
	Text string    `json:"s,omitempty"`
	ID   string    `json:"d"`
}

// listHash names a list query: the list, then its normalised filters and
// sort (anything encoding/json renders deterministically).
func listHash(list string, parts ...any) string {
	b, err := json.Marshal(parts)
	if err != nil {
		// Filters are plain structs; this cannot happen, and an empty
		// hash only makes every cursor of this query refused.
		return ""
	}
	sum := sha256.Sum256(append([]byte(list+"\x00"), b...))
	return base64.RawURLEncoding.EncodeToString(sum[:6])
}

func encodeCursor(hash string, at ports.Position) string {
	b, _ := json.Marshal(cursorBody{Hash: hash, Int: at.Int, Time: at.Time.UTC(), Text: at.Text, ID: at.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor made for the query hash.
func decodeCursor(raw, hash string) (*ports.Position, string) {
	if raw == "" || len(raw) > maxCursorLength {
		return nil, "is not a cursor from meta.pagination.nextCursor"
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil, "is not a cursor from meta.pagination.nextCursor"
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c cursorBody
	if err := dec.Decode(&c); err != nil || dec.More() || !domain.ValidID(c.ID) {
		return nil, "is not a cursor from meta.pagination.nextCursor"
	}
	if c.Hash != hash {
		return nil, "was made for other filters or another sort; start again without it"
	}
	return &ports.Position{Int: c.Int, Time: c.Time, Text: c.Text, ID: c.ID}, ""
}

// keyset ties the list query to its cursor: it reads ?cursor= (which
// page() left for it) for the list named by list and parts (see
// listHash) and sets p.After from it. Call it after reading the filters,
// with the values the handler will list by.
func (q *query) keyset(p *ports.Page, list string, parts ...any) {
	q.hash = listHash(list, parts...)
	if !q.hasCursor {
		return
	}
	at, problem := decodeCursor(q.cursor, q.hash)
	if problem != "" {
		q.v.Add("cursor", problem)
		return
	}
	p.After = at
}

// pagination is meta.pagination of a list. In cursor mode page,
// totalPages and hasPreviousPage are null. totalIsEstimate is always
// present (false when total is exact).
type pagination struct {
	Page            *int    `json:"page"`
	Limit           int     `json:"limit"`
	Total           int     `json:"total"`
	TotalIsEstimate bool    `json:"totalIsEstimate"`
	TotalPages      *int    `json:"totalPages"`
	HasNextPage     bool    `json:"hasNextPage"`
	HasPreviousPage *bool   `json:"hasPreviousPage"`
	NextCursor      *string `json:"nextCursor"`
}

// respondList writes a page of items with its pagination meta. items must
// be a non-nil slice so that an empty page is [] rather than null. q is
// the query keyset was called on.
func (q *query) respondList(items any, p ports.Page, l ports.Listed) error {
	pg := pagination{Limit: p.Limit, Total: l.Total, TotalIsEstimate: l.TotalIsEstimate, HasNextPage: l.Next != nil}
	if p.After == nil {
		number, pages, prev := p.Number, (l.Total+p.Limit-1)/p.Limit, p.Number > 1
		pg.Page, pg.TotalPages, pg.HasPreviousPage = &number, &pages, &prev
	}
	if l.Next != nil {
		next := encodeCursor(q.hash, *l.Next)
		pg.NextCursor = &next
	}
	return q.c.Status(fiber.StatusOK).JSON(okBody{Success: true, Data: items, Meta: map[string]any{"pagination": pg}})
}
