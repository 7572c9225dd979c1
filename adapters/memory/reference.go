package memory

import (
	"context"
	"sort"

	"github.com/secondbloom/marketplace/domain/reference"
	"github.com/secondbloom/marketplace/ports"
)

var _ ports.ReferenceRepository = (*referenceRepo)(nil)

type referenceRepo struct{ se *session }

// codeKey is the key of the unique-code rule: per list, and per city for
// districts.
func codeKey(f reference.Fields) string { return string(f.Kind) + "\x00" + f.CityID + "\x00" + f.Code }

func (r *referenceRepo) Create(ctx context.Context, it *reference.Item) error {
	f := it.Fields()
	return r.se.do(func(db *data, log *session) error {
		if f.Kind == reference.Districts {
			if c, ok := db.reference[f.CityID]; !ok || c.Kind != reference.Cities {
				return reference.ErrNotFound
			}
		}
		if _, taken := db.referenceCodes[codeKey(f)]; taken {
			return reference.ErrCodeTaken
		}
		db.reference.put(log, f.ID, f)
		db.referenceCodes.put(log, codeKey(f), f.ID)
		return nil
	})
}

func (r *referenceRepo) Get(ctx context.Context, kind reference.Kind, id string) (*reference.Item, error) {
	var out *reference.Item
	err := r.se.do(func(db *data, _ *session) error {
		f, ok := db.reference[id]
		if !ok || f.Kind != kind {
			return reference.ErrNotFound
		}
		out = reference.Rehydrate(f)
		return nil
	})
	return out, err
}

func (r *referenceRepo) List(ctx context.Context, kind reference.Kind, cityID string, p ports.Page) ([]*reference.Item, ports.Listed, error) {
	var all []reference.Fields
	_ = r.se.do(func(db *data, _ *session) error {
		for _, f := range db.reference {
			if f.Kind == kind && (kind != reference.Districts || f.CityID == cityID) {
				all = append(all, f)
			}
		}
		return nil
	})
	page, l := ports.PageOf(all, p, false, func(f reference.Fields) ports.Position {
		return ports.Position{Int: int64(f.Position), Text: f.Code, ID: f.ID}
	})
	out := make([]*reference.Item, 0, len(page))
	for _, f := range page {
		out = append(out, reference.Rehydrate(f))
	}
	return out, l, nil
}

func sortItems(all []reference.Fields) {
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.Position != b.Position {
			return a.Position < b.Position
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.ID < b.ID
	})
}

func (r *referenceRepo) All(ctx context.Context) ([]*reference.Item, error) {
	var all []reference.Fields
	_ = r.se.do(func(db *data, _ *session) error {
		for _, f := range db.reference {
			all = append(all, f)
		}
		return nil
	})
	sortItems(all)
	out := make([]*reference.Item, 0, len(all))
	for _, f := range all {
		out = append(out, reference.Rehydrate(f))
	}
	return out, nil
}

func (r *referenceRepo) Update(ctx context.Context, kind reference.Kind, id string, fn func(*reference.Item) error) (*reference.Item, error) {
	var out *reference.Item
	err := r.se.do(func(db *data, log *session) error {
		old, ok := db.reference[id]
		if !ok || old.Kind != kind {
			return reference.ErrNotFound
		}
		it := reference.Rehydrate(old)
		if err := fn(it); err != nil {
			return err
		}
		f := it.Fields()
		// Kind, id and city are not the edit's to change.
		f.ID, f.Kind, f.CityID = old.ID, old.Kind, old.CityID
		if codeKey(f) != codeKey(old) {
			if _, taken := db.referenceCodes[codeKey(f)]; taken {
				return reference.ErrCodeTaken
			}
			db.referenceCodes.del(log, codeKey(old))
			db.referenceCodes.put(log, codeKey(f), f.ID)
		}
		db.reference.put(log, f.ID, f)
		out = reference.Rehydrate(f)
		return nil
	})
	return out, err
}

func (r *referenceRepo) Delete(ctx context.Context, kind reference.Kind, id string) error {
	return r.se.do(func(db *data, log *session) error {
		old, ok := db.reference[id]
		if !ok || old.Kind != kind {
			return reference.ErrNotFound
		}
		for _, p := range db.products {
			c := p.Class
			if c.ConditionID == id || c.SizeID == id || c.CityID == id || c.DistrictID == id {
				return reference.ErrInUse
			}
		}
		for _, f := range db.reference {
			if f.CityID == id {
				return reference.ErrInUse
			}
		}
		db.reference.del(log, id)
		db.referenceCodes.del(log, codeKey(old))
		return nil
	})
}
