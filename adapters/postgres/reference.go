package postgres

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/reference"
	"github.com/secondbloom/marketplace/ports"
)

var _ ports.ReferenceRepository = (*referenceRepo)(nil)

// referenceRow is a row of one of the four reference tables; CityID is
// only read and written for districts.
type referenceRow struct {
	ID       string  `bun:"id,pk,type:uuid"`
	CityID   *string `bun:"city_id,type:uuid"`
	Code     string  `bun:"code"`
	Name     texts   `bun:"name,type:jsonb"`
	Position int     `bun:"position"`
}

// referenceTables maps each list to its table.
var referenceTables = map[reference.Kind]string{
	reference.Conditions: "conditions",
	reference.Sizes:      "sizes",
	reference.Cities:     "cities",
	reference.Districts:  "districts",
}

// columns returns the columns of kind's table.
func columns(kind reference.Kind) string {
	if kind == reference.Districts {
		return "id, city_id, code, name, position"
	}
	return "id, NULL::uuid AS city_id, code, name, position"
}

func (r *referenceRow) toDomain(kind reference.Kind) *reference.Item {
	return reference.Rehydrate(reference.Fields{ID: r.ID, Kind: kind, CityID: deref(r.CityID), Code: r.Code,
		Name: r.Name.toDomain(), Position: r.Position})
}

type referenceRepo struct{ db bun.IDB }

// table returns kind's table, or ErrNotFound for an unknown kind.
func table(kind reference.Kind) (bun.Ident, error) {
	t, ok := referenceTables[kind]
	if !ok {
		return "", reference.ErrNotFound
	}
	return bun.Ident(t), nil
}

func referenceWriteError(err error) error {
	switch sqlState(err) {
	case uniqueViolation:
		return reference.ErrCodeTaken
	case fkViolation:
		return reference.ErrNotFound
	}
	return translate(err)
}

func (r *referenceRepo) Create(ctx context.Context, it *reference.Item) error {
	f := it.Fields()
	t, err := table(f.Kind)
	if err != nil {
		return err
	}
	if f.Kind == reference.Districts && !domain.ValidID(f.CityID) {
		return reference.ErrNotFound
	}
	if f.Kind == reference.Districts {
		_, err = r.db.NewRaw("INSERT INTO ? (id, city_id, code, name, position) VALUES (?, ?, ?, ?, ?)",
			t, f.ID, f.CityID, f.Code, toTexts(f.Name), f.Position).Exec(ctx)
	} else {
		_, err = r.db.NewRaw("INSERT INTO ? (id, code, name, position) VALUES (?, ?, ?, ?)",
			t, f.ID, f.Code, toTexts(f.Name), f.Position).Exec(ctx)
	}
	return referenceWriteError(err)
}

func (r *referenceRepo) get(ctx context.Context, db bun.IDB, kind reference.Kind, id string, lock bool) (*reference.Item, error) {
	t, err := table(kind)
	if err != nil || !domain.ValidID(id) {
		return nil, reference.ErrNotFound
	}
	var rows []referenceRow
	suffix := ""
	if lock {
		suffix = " FOR UPDATE"
	}
	if err := db.NewRaw("SELECT "+columns(kind)+" FROM ? WHERE id = ?"+suffix, t, id).Scan(ctx, &rows); err != nil {
		return nil, translate(err)
	}
	if len(rows) == 0 {
		return nil, reference.ErrNotFound
	}
	return rows[0].toDomain(kind), nil
}

func (r *referenceRepo) Get(ctx context.Context, kind reference.Kind, id string) (*reference.Item, error) {
	return r.get(ctx, r.db, kind, id, false)
}

// referenceOrder is the order of every reference list. Codes compare
// byte by byte (COLLATE "C"), as in the memory store and the reference
// cache, whatever the database's collation: under a linguistic one
// "pg-a-b" would follow "pg-a0", and a cursor made from the cache's order
// would skip or repeat items.
var referenceOrder = keyset{cols: []string{"position", `code COLLATE "C"`, "id"},
	vals: func(at ports.Position) []any { return []any{at.Int, at.Text, at.ID} }}

func (r *referenceRepo) List(ctx context.Context, kind reference.Kind, cityID string, p ports.Page) ([]*reference.Item, ports.Listed, error) {
	t, err := table(kind)
	if err != nil {
		return nil, ports.Listed{}, err
	}
	var rows []referenceRow
	q := r.db.NewSelect().Model(&rows).ModelTableExpr("?", t).ColumnExpr(columns(kind))
	if kind == reference.Districts {
		if !domain.ValidID(cityID) {
			return []*reference.Item{}, ports.Listed{}, nil
		}
		q = q.Where("city_id = ?", cityID)
	}
	pos := func(r *referenceRow) ports.Position {
		return ports.Position{Int: int64(r.Position), Text: r.Code, ID: r.ID}
	}
	return scanPage(ctx, q, &rows, p, referenceOrder, pos, func(r *referenceRow) *reference.Item { return r.toDomain(kind) })
}

func (r *referenceRepo) All(ctx context.Context) ([]*reference.Item, error) {
	var out []*reference.Item
	for _, kind := range []reference.Kind{reference.Conditions, reference.Sizes, reference.Cities, reference.Districts} {
		var rows []referenceRow
		if err := r.db.NewRaw("SELECT "+columns(kind)+` FROM ? ORDER BY position, code COLLATE "C", id`, bun.Ident(referenceTables[kind])).
			Scan(ctx, &rows); err != nil {
			return nil, translate(err)
		}
		for i := range rows {
			out = append(out, rows[i].toDomain(kind))
		}
	}
	return out, nil
}

func (r *referenceRepo) Update(ctx context.Context, kind reference.Kind, id string, fn func(*reference.Item) error) (*reference.Item, error) {
	t, err := table(kind)
	if err != nil {
		return nil, err
	}
	load := func(ctx context.Context, tx bun.IDB) (*reference.Item, error) { return r.get(ctx, tx, kind, id, true) }
	save := func(ctx context.Context, tx bun.IDB, it *reference.Item) error {
		f := it.Fields()
		_, err := tx.NewRaw("UPDATE ? SET code = ?, name = ?, position = ? WHERE id = ?", t, f.Code, toTexts(f.Name), f.Position, id).
			Exec(ctx)
		return referenceWriteError(err)
	}
	return updateLocked(ctx, r.db, load, fn, save)
}

func (r *referenceRepo) Delete(ctx context.Context, kind reference.Kind, id string) error {
	t, err := table(kind)
	if err != nil || !domain.ValidID(id) {
		return reference.ErrNotFound
	}
	res, err := r.db.NewRaw("DELETE FROM ? WHERE id = ?", t, id).Exec(ctx)
	if sqlState(err) == fkViolation {
		return reference.ErrInUse
	}
	if err != nil {
		return translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return reference.ErrNotFound
	}
	return nil
}
