package postgres

import (
	"context"
	"database/sql"
	"errors"

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

// scanPage runs q, built on the model rows, for the page p and counts every
// row q matches, then maps the page with toDomain. Errors go through
// translate.
func scanPage[R, D any](ctx context.Context, q *bun.SelectQuery, rows *[]R, p ports.Page, toDomain func(*R) D) ([]D, int, error) {
	total, err := q.Limit(p.Limit).Offset(p.Offset()).ScanAndCount(ctx)
	if err != nil {
		return nil, 0, translate(err)
	}
	out := make([]D, 0, len(*rows))
	for i := range *rows {
		out = append(out, toDomain(&(*rows)[i]))
	}
	return out, total, nil
}

// sortDirection returns the SQL direction, with its leading space, for a
// sort that is descending if desc is set.
func sortDirection(desc bool) string {
	if desc {
		return " DESC"
	}
	return " ASC"
}
