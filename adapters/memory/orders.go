package memory

import (
	"context"
	"slices"
	"time"

	"github.com/secondbloom/marketplace/domain/idempotency"
	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/ports"
)

var (
	_ ports.OrderRepository       = (*orderRepo)(nil)
	_ ports.IdempotencyRepository = (*idempotencyRepo)(nil)
)

type orderRepo struct{ se *session }

func (r *orderRepo) Create(ctx context.Context, o *order.Order) error {
	f := o.Fields()
	return r.se.do(func(db *data, log *session) error {
		if _, taken := db.orderByNumber[f.Number]; taken {
			return order.ErrNumberTaken
		}
		if f.AuctionID != "" {
			if _, taken := db.orderByAuction[f.AuctionID]; taken {
				return order.ErrAuctionOrdered
			}
			db.orderByAuction.put(log, f.AuctionID, f.ID)
		}
		db.orders.put(log, f.ID, f)
		db.orderByNumber.put(log, f.Number, f.ID)
		return nil
	})
}

func (r *orderRepo) Get(ctx context.Context, id string) (*order.Order, error) {
	var out *order.Order
	err := r.se.do(func(db *data, _ *session) error {
		f, ok := db.orders[id]
		if !ok {
			return order.ErrNotFound
		}
		out = order.Rehydrate(f)
		return nil
	})
	return out, err
}

// Update needs no row lock: the store lock already serializes every
// transaction.
func (r *orderRepo) Update(ctx context.Context, id string, fn func(*order.Order) error) (*order.Order, error) {
	var out *order.Order
	err := r.se.do(func(db *data, log *session) error {
		f, ok := db.orders[id]
		if !ok {
			return order.ErrNotFound
		}
		o := order.Rehydrate(f)
		if err := fn(o); err != nil {
			return err
		}
		// Key by the stored id, never the argument: callers may pass a
		// string whose bytes are reused later (Fiber's path parameters).
		db.orders.put(log, f.ID, o.Fields())
		out = o
		return nil
	})
	return out, err
}

func (r *orderRepo) List(ctx context.Context, f ports.OrderFilter, p ports.Page, s ports.Sort) ([]*order.Order, ports.Listed, error) {
	var (
		out []*order.Order
		l   ports.Listed
	)
	err := r.se.do(func(db *data, _ *session) error {
		var match []order.Fields
		for _, o := range db.orders {
			if (f.BuyerID == "" || o.BuyerID == f.BuyerID) && (f.SellerID == "" || o.SellerID == f.SellerID) &&
				(f.ProductID == "" || o.ProductID == f.ProductID) && (f.Status == "" || o.Status == f.Status) {
				match = append(match, o)
			}
		}
		var page []order.Fields
		page, l = ports.PageOf(match, p, s.Desc, func(o order.Fields) ports.Position {
			switch s.Field {
			case ports.OrderSortUpdatedAt:
				return ports.Position{Time: o.UpdatedAt, ID: o.ID}
			case ports.OrderSortTotalPrice:
				return ports.Position{Int: o.TotalPrice, ID: o.ID}
			}
			return ports.Position{Time: o.CreatedAt, ID: o.ID}
		})
		out = make([]*order.Order, 0, len(page))
		for _, o := range page {
			out = append(out, order.Rehydrate(o))
		}
		return nil
	})
	return out, l, err
}

type idempotencyRepo struct{ se *session }

// Lock always succeeds: a memory transaction holds the store lock from
// start to end, so a second request with the same key waits for the first
// to commit and then finds its record. (The app adds an in-process
// in-flight set in front, which is what answers IDEMPOTENCY_KEY_IN_USE on
// this adapter.)
func (r *idempotencyRepo) Lock(ctx context.Context, s idempotency.Scope) error { return nil }

func (r *idempotencyRepo) Get(ctx context.Context, s idempotency.Scope) (idempotency.Record, error) {
	var out idempotency.Record
	err := r.se.do(func(db *data, _ *session) error {
		rec, ok := db.idempotency[s.String()]
		if !ok {
			return idempotency.ErrNotFound
		}
		out = copyRecord(rec)
		return nil
	})
	return out, err
}

func (r *idempotencyRepo) Save(ctx context.Context, rec idempotency.Record) error {
	return r.se.do(func(db *data, log *session) error {
		if _, ok := db.idempotency[rec.Scope.String()]; ok {
			return idempotency.ErrKeyInUse
		}
		db.idempotency.put(log, rec.Scope.String(), copyRecord(rec))
		return nil
	})
}

func (r *idempotencyRepo) DeleteBefore(ctx context.Context, t time.Time) (int, error) {
	n := 0
	err := r.se.do(func(db *data, log *session) error {
		for k, rec := range db.idempotency {
			if rec.CreatedAt.Before(t) {
				db.idempotency.del(log, k)
				n++
			}
		}
		return nil
	})
	return n, err
}

func copyRecord(r idempotency.Record) idempotency.Record {
	r.Fingerprint = slices.Clone(r.Fingerprint)
	r.Body = slices.Clone(r.Body)
	return r
}
