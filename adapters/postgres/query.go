package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/uptrace/bun"

	"github.com/secondbloom/marketplace/ports"
)

// The helpers below hold the shapes every repository repeats, so that the
// translation of driver errors is written once: a repository only names its
// model, its domain's not-found error and its own constraint mapping.

// selectOne scans the row that where selects into model, locked FOR UPDATE
// if lock is set. It returns notFound if there is no such row and other
// errors through translate, so no sql.ErrNoRows reaches a port.
func selectOne[T any](ctx context.Context, db bun.IDB, model *T, notFound error, lock bool, where string, args ...any) error {
	q := db.NewSelect().Model(model).Where(where, args...)
	if lock {
		q = q.For("UPDATE")
	}
	return scanOne(ctx, q, notFound)
}

// scanOne runs q, a query for at most one row, with selectOne's error
// mapping; it serves queries selectOne cannot build (an order, a limit,
// SKIP LOCKED).
func scanOne(ctx context.Context, q *bun.SelectQuery, notFound error) error {
	err := q.Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound
	}
	return translate(err)
}

// updateLocked is the body of every update-function method: inside db's
// transaction, or a new one (see inTx), load reads the aggregate under a
// row lock, fn changes it and save writes it back. It returns the saved
// aggregate, or the zero T and the first error, which rolls back a
// transaction updateLocked opened. load and save translate their own
// driver errors, since only they know their domain's not-found error and
// constraint names.
func updateLocked[T any](ctx context.Context, db bun.IDB,
	load func(ctx context.Context, tx bun.IDB) (T, error),
	fn func(T) error,
	save func(ctx context.Context, tx bun.IDB, v T) error,
) (T, error) {
	var out T
	err := inTx(ctx, db, func(ctx context.Context, tx bun.IDB) error {
		v, err := load(ctx, tx)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
		if err := save(ctx, tx, v); err != nil {
			return err
		}
		out = v
		return nil
	})
	return out, err
}

// keyset is the order of a list, fit for keyset paging: ORDER BY cols, all
// in one direction (descending when desc), together unique per row (they
// end with the id, or with a key unique within the list's filter).
// vals gives a cursor position's values of cols, in their order; a list
// on a composite index over cols then reads the page straight from the
// index, however deep it is.
type keyset struct {
	cols []string
	desc bool
	vals func(ports.Position) []any
}

// apply adds to q the order and, for page p, the start (after p.After in
// keyset mode, an OFFSET in page mode) and a limit one above p.Limit, so
// that the extra row tells whether more follow (see next).
func (k keyset) apply(q *bun.SelectQuery, p ports.Page) *bun.SelectQuery {
	dir := sortDirection(k.desc)
	for _, c := range k.cols {
		q = q.OrderExpr(c + dir)
	}
	if p.After != nil {
		op := " > "
		if k.desc {
			op = " < "
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(k.cols)), ", ")
		q = q.Where("("+strings.Join(k.cols, ", ")+")"+op+"("+marks+")", k.vals(*p.After)...)
	} else if off := p.Offset(); off > 0 {
		q = q.Offset(off)
	}
	return q.Limit(p.Limit + 1)
}

// next drops the extra row apply asked for and returns the position of
// the page's last row when it was there, nil otherwise.
func next[R any](rows *[]R, p ports.Page, pos func(*R) ports.Position) *ports.Position {
	if len(*rows) <= p.Limit || p.Limit <= 0 {
		return nil
	}
	*rows = (*rows)[:p.Limit]
	at := pos(&(*rows)[p.Limit-1])
	return &at
}

// scanPage counts every row q matches, then runs q, built on the model
// rows, for the page p in the order k, and maps the page with toDomain.
// Errors go through translate.
func scanPage[R, D any](ctx context.Context, q *bun.SelectQuery, rows *[]R, p ports.Page, k keyset,
	pos func(*R) ports.Position, toDomain func(*R) D) ([]D, ports.Listed, error) {
	total, err := q.Count(ctx)
	if err != nil {
		return nil, ports.Listed{}, translate(err)
	}
	if err := k.apply(q, p).Scan(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, ports.Listed{}, translate(err)
	}
	l := ports.Listed{Total: total, Next: next(rows, p, pos)}
	out := make([]D, 0, len(*rows))
	for i := range *rows {
		out = append(out, toDomain(&(*rows)[i]))
	}
	return out, l, nil
}

// sortDirection returns the SQL direction, with its leading space, for a
// sort that is descending if desc is set.
func sortDirection(desc bool) string {
	if desc {
		return " DESC"
	}
	return " ASC"
}
