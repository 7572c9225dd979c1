package app

import (
	"context"
	"sync"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/reference"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// ErrReferenceAdminOnly refuses reference-data management to anyone but
// admins.
var ErrReferenceAdminOnly = domain.New(domain.KindForbidden, domain.CodeForbidden, "only administrators may manage reference data")

// ReferenceTTL bounds how long an instance serves reference lists from
// memory before reading them again. Every write records a ReferenceChanged
// event, which drops the copy of each instance as soon as the relay
// delivers it; the TTL bounds staleness should a delivery be missed.
const ReferenceTTL = time.Second

// ReferenceService serves the reference lists (conditions, sizes, cities,
// districts) from an in-memory copy, and lets admins change them.
type ReferenceService struct {
	tx    ports.Transactor
	repo  ports.ReferenceRepository
	clock ports.Clock

	mu       sync.Mutex
	items    []*reference.Item // every item, in list order
	byID     map[string]*reference.Item
	loaded   bool // items and byID hold a copy
	loadedAt time.Time
	gen      uint64 // counts invalidations; a load that raced one is not kept
}

func newReferenceService(tx ports.Transactor, repo ports.ReferenceRepository, clock ports.Clock) *ReferenceService {
	return &ReferenceService{tx: tx, repo: repo, clock: clock}
}

// referenceEvent describes a write of it by by, audited as
// reference.<action> with the fields before and after.
func referenceEvent(by user.Actor, it *reference.Item, action string, before, after map[string]any) event.Event {
	e := event.New(event.ReferenceChanged, by, string(it.Kind()), it.ID(), "action", action)
	return audited(e, "reference."+action, before, after)
}

// auditFields are the values of it an audit entry shows.
func auditFields(it *reference.Item) map[string]any {
	m := map[string]any{"code": it.Code(), "name": it.Name().Map(), "position": it.Position()}
	if it.CityID() != "" {
		m["cityId"] = it.CityID()
	}
	return m
}

// write runs fn in a transaction that records ev's event, then drops this
// instance's copy (other instances drop theirs when the relay delivers the
// event).
func (s *ReferenceService) write(ctx context.Context, fn func(ctx context.Context, r ports.Repos) (event.Event, error)) error {
	err := s.tx.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		ev, err := fn(ctx, r)
		if err != nil {
			return err
		}
		r.Events.Record(ev)
		return nil
	})
	if err == nil {
		s.invalidate()
	}
	return err
}

// invalidateOnChange is the relay subscription that drops the copy when
// any instance changed a reference list.
func (s *ReferenceService) invalidateOnChange(d Delivery) {
	for _, e := range d.Events {
		if e.Name == event.ReferenceChanged {
			s.invalidate()
			return
		}
	}
}

// snapshot returns every item, read from the store when the copy is older
// than ReferenceTTL or was invalidated.
func (s *ReferenceService) snapshot(ctx context.Context) ([]*reference.Item, map[string]*reference.Item, error) {
	s.mu.Lock()
	now := s.clock.Now()
	if s.loaded && now.Sub(s.loadedAt) < ReferenceTTL && !now.Before(s.loadedAt) {
		items, byID := s.items, s.byID
		s.mu.Unlock()
		return items, byID, nil
	}
	gen := s.gen
	s.mu.Unlock()
	items, err := s.repo.All(ctx)
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[string]*reference.Item, len(items))
	for _, it := range items {
		byID[it.ID()] = it
	}
	s.mu.Lock()
	if s.gen == gen {
		s.items, s.byID, s.loaded, s.loadedAt = items, byID, true, now
	}
	s.mu.Unlock()
	return items, byID, nil
}

// invalidate drops the copy after a write committed.
func (s *ReferenceService) invalidate() {
	s.mu.Lock()
	s.items, s.byID, s.loaded = nil, nil, false
	s.gen++
	s.mu.Unlock()
}

// List returns one page of the items of kind, by position (then code,
// then id), and what the page says about the list. For districts, cityID
// names the city; it returns reference.ErrNotFound when that city does
// not exist.
func (s *ReferenceService) List(ctx context.Context, kind reference.Kind, cityID string, p ports.Page) ([]*reference.Item, ports.Listed, error) {
	items, byID, err := s.snapshot(ctx)
	if err != nil {
		return nil, ports.Listed{}, err
	}
	if kind == reference.Districts {
		if c, ok := byID[cityID]; !ok || c.Kind() != reference.Cities {
			return nil, ports.Listed{}, reference.ErrNotFound
		}
	}
	var all []*reference.Item
	for _, it := range items {
		if it.Kind() == kind && (kind != reference.Districts || it.CityID() == cityID) {
			all = append(all, it)
		}
	}
	page, l := ports.PageOf(all, p, false, func(it *reference.Item) ports.Position {
		return ports.Position{Int: int64(it.Position()), Text: it.Code(), ID: it.ID()}
	})
	return page, l, nil
}

// Get returns the item of kind with id, or reference.ErrNotFound. For
// districts, the district must belong to cityID.
func (s *ReferenceService) Get(ctx context.Context, kind reference.Kind, cityID, id string) (*reference.Item, error) {
	_, byID, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	it, ok := byID[id]
	if !ok || it.Kind() != kind || (kind == reference.Districts && it.CityID() != cityID) {
		return nil, reference.ErrNotFound
	}
	return it, nil
}

// NewItem are the values of an item to create. A nil Position puts the
// item after the last of its list.
type NewItem struct {
	CityID   string
	Code     string
	Name     i18n.Localized
	Position *int
}

// Create adds an item to the list kind. It returns ErrReferenceAdminOnly,
// a validation error, reference.ErrNotFound for a district of an unknown
// city, or reference.ErrCodeTaken.
func (s *ReferenceService) Create(ctx context.Context, by user.Actor, kind reference.Kind, n NewItem) (*reference.Item, error) {
	if !by.CanManageReference() {
		return nil, ErrReferenceAdminOnly
	}
	if kind == reference.Districts {
		if _, err := s.Get(ctx, reference.Cities, "", n.CityID); err != nil {
			return nil, err
		}
	}
	pos := 0
	if n.Position != nil {
		pos = *n.Position
	} else {
		items, _, err := s.List(ctx, kind, n.CityID, ports.Page{Number: 1, Limit: 1 << 20})
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			pos = max(pos, it.Position()+1)
		}
	}
	it, err := reference.New(reference.Fields{ID: newID(), Kind: kind, CityID: n.CityID, Code: n.Code, Name: n.Name, Position: pos})
	if err != nil {
		return nil, err
	}
	err = s.write(ctx, func(ctx context.Context, r ports.Repos) (event.Event, error) {
		return referenceEvent(by, it, "create", nil, auditFields(it)), r.Reference.Create(ctx, it)
	})
	if err != nil {
		return nil, err
	}
	return it, nil
}

// Update edits an item. It returns ErrReferenceAdminOnly,
// reference.ErrNotFound (also for a district of another city), a
// validation error, or reference.ErrCodeTaken.
func (s *ReferenceService) Update(ctx context.Context, by user.Actor, kind reference.Kind, cityID, id string, ch reference.Change) (*reference.Item, error) {
	if !by.CanManageReference() {
		return nil, ErrReferenceAdminOnly
	}
	var out *reference.Item
	err := s.write(ctx, func(ctx context.Context, r ports.Repos) (event.Event, error) {
		var before map[string]any
		it, err := r.Reference.Update(ctx, kind, id, func(it *reference.Item) error {
			if kind == reference.Districts && it.CityID() != cityID {
				return reference.ErrNotFound
			}
			before = auditFields(it)
			return it.Edit(ch)
		})
		if err != nil {
			return event.Event{}, err
		}
		out = it
		b, a := changed(before, auditFields(it))
		return referenceEvent(by, it, "update", b, a), nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Delete removes an item. It returns ErrReferenceAdminOnly,
// reference.ErrNotFound, or reference.ErrInUse while a product of any
// status (or, for a city, a district) uses it.
func (s *ReferenceService) Delete(ctx context.Context, by user.Actor, kind reference.Kind, cityID, id string) error {
	if !by.CanManageReference() {
		return ErrReferenceAdminOnly
	}
	return s.write(ctx, func(ctx context.Context, r ports.Repos) (event.Event, error) {
		it, err := r.Reference.Get(ctx, kind, id)
		if err != nil {
			return event.Event{}, err
		}
		if kind == reference.Districts && it.CityID() != cityID {
			return event.Event{}, reference.ErrNotFound
		}
		return referenceEvent(by, it, "delete", auditFields(it), nil), r.Reference.Delete(ctx, kind, id)
	})
}

// CheckClass returns a validation error naming each id of c that is not
// an item of its list, and districtId when the district lies outside the
// city. Empty ids are not checked.
func (s *ReferenceService) CheckClass(ctx context.Context, c product.Classification) error {
	_, byID, err := s.snapshot(ctx)
	if err != nil {
		return err
	}
	var v domain.Validation
	exists := func(field, id string, kind reference.Kind) bool {
		if id == "" {
			return false
		}
		if it, ok := byID[id]; !ok || it.Kind() != kind {
			v.Add(field, "must be the id of an existing "+string(kind))
			return false
		}
		return true
	}
	exists("conditionId", c.ConditionID, reference.Conditions)
	exists("sizeId", c.SizeID, reference.Sizes)
	cityOK := exists("cityId", c.CityID, reference.Cities)
	if exists("districtId", c.DistrictID, reference.Districts) && cityOK && byID[c.DistrictID].CityID() != c.CityID {
		v.Add("districtId", "must be a district of cityId")
	}
	return v.Err()
}
