package postgres

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/idempotency"
	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/ports"
)

var (
	_ ports.OrderRepository       = (*orderRepo)(nil)
	_ ports.IdempotencyRepository = (*idempotencyRepo)(nil)
)

type orderRow struct {
	bun.BaseModel `bun:"table:orders"`

	ID              string    `bun:"id,pk,type:uuid"`
	Number          string    `bun:"number"`
	ProductID       string    `bun:"product_id,type:uuid"`
	SellerID        string    `bun:"seller_id,type:uuid"`
	BuyerID         string    `bun:"buyer_id,type:uuid"`
	Quantity        int       `bun:"quantity"`
	UnitPrice       int64     `bun:"unit_price"`
	TotalPrice      int64     `bun:"total_price"`
	Currency        string    `bun:"currency"`
	Status          string    `bun:"status"`
	PaymentStatus   string    `bun:"payment_status"`
	ShippingAddress string    `bun:"shipping_address"`
	Notes           string    `bun:"notes"`
	CancelReason    string    `bun:"cancel_reason"`
	CancelledBy     *string   `bun:"cancelled_by"`
	AuctionID       *string   `bun:"auction_id,type:uuid"`
	CreatedAt       time.Time `bun:"created_at"`
	UpdatedAt       time.Time `bun:"updated_at"`
}

func orderToRow(o *order.Order) *orderRow {
	f := o.Fields()
	return &orderRow{ID: f.ID, Number: f.Number, ProductID: f.ProductID, SellerID: f.SellerID, BuyerID: f.BuyerID,
		Quantity: f.Quantity, UnitPrice: f.UnitPrice, TotalPrice: f.TotalPrice, Currency: f.Currency, Status: string(f.Status),
		PaymentStatus: string(f.PaymentStatus), ShippingAddress: f.ShippingAddress, Notes: f.Notes, CancelReason: f.CancelReason,
		CancelledBy: nullString(string(f.CancelledBy)),
		AuctionID:   nullString(f.AuctionID), CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
}

func (r *orderRow) toDomain() *order.Order {
	return order.Rehydrate(order.Fields{ID: r.ID, Number: r.Number, ProductID: r.ProductID, SellerID: r.SellerID,
		BuyerID: r.BuyerID, Quantity: r.Quantity, UnitPrice: r.UnitPrice, TotalPrice: r.TotalPrice, Currency: r.Currency,
		Status: order.Status(r.Status), PaymentStatus: order.PaymentStatus(r.PaymentStatus), ShippingAddress: r.ShippingAddress,
		Notes: r.Notes, CancelReason: r.CancelReason,
		CancelledBy: order.Party(deref(r.CancelledBy)), AuctionID: deref(r.AuctionID), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt})
}

type orderRepo struct{ db bun.IDB }

// Create inserts with ON CONFLICT (number) DO NOTHING, so a number clash
// leaves the transaction usable for a retry with another number.
func (r *orderRepo) Create(ctx context.Context, o *order.Order) error {
	res, err := r.db.NewInsert().Model(orderToRow(o)).On("CONFLICT (number) DO NOTHING").Exec(ctx)
	if err != nil {
		if sqlState(err) == uniqueViolation && constraintName(err) == "orders_auction_idx" {
			return order.ErrAuctionOrdered
		}
		return translate(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return translate(err)
	} else if n == 0 {
		return order.ErrNumberTaken
	}
	return nil
}

func (r *orderRepo) get(ctx context.Context, db bun.IDB, id string, lock bool) (*order.Order, error) {
	row := new(orderRow)
	if err := selectOne(ctx, db, row, order.ErrNotFound, lock, "id = ?", id); err != nil {
		return nil, err
	}
	return row.toDomain(), nil
}

func (r *orderRepo) Get(ctx context.Context, id string) (*order.Order, error) {
	if !domain.ValidID(id) {
		return nil, order.ErrNotFound
	}
	return r.get(ctx, r.db, id, false)
}

func (r *orderRepo) Update(ctx context.Context, id string, fn func(*order.Order) error) (*order.Order, error) {
	if !domain.ValidID(id) {
		return nil, order.ErrNotFound
	}
	load := func(ctx context.Context, tx bun.IDB) (*order.Order, error) { return r.get(ctx, tx, id, true) }
	save := func(ctx context.Context, tx bun.IDB, o *order.Order) error {
		_, err := tx.NewUpdate().Model(orderToRow(o)).WherePK().Exec(ctx)
		return translate(err)
	}
	return updateLocked(ctx, r.db, load, fn, save)
}

// orderSortColumns maps the port's sort fields to columns; anything else
// sorts by creation.
var orderSortColumns = map[string]string{
	ports.OrderSortCreatedAt:  "created_at",
	ports.OrderSortUpdatedAt:  "updated_at",
	ports.OrderSortTotalPrice: "total_price",
}

func (r *orderRepo) List(ctx context.Context, f ports.OrderFilter, p ports.Page, s ports.Sort) ([]*order.Order, ports.Listed, error) {
	var rows []orderRow
	q := r.db.NewSelect().Model(&rows)
	if f.BuyerID != "" {
		if !domain.ValidID(f.BuyerID) {
			return []*order.Order{}, ports.Listed{}, nil
		}
		q = q.Where("buyer_id = ?", f.BuyerID)
	}
	if f.SellerID != "" {
		if !domain.ValidID(f.SellerID) {
			return []*order.Order{}, ports.Listed{}, nil
		}
		q = q.Where("seller_id = ?", f.SellerID)
	}
	if f.ProductID != "" {
		if !domain.ValidID(f.ProductID) {
			return []*order.Order{}, ports.Listed{}, nil
		}
		q = q.Where("product_id = ?", f.ProductID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
	}
	col, ok := orderSortColumns[s.Field]
	if !ok {
		col = "created_at"
	}
	k := keyset{cols: []string{col, "id"}, desc: s.Desc, vals: func(at ports.Position) []any {
		if col == "total_price" {
			return []any{at.Int, at.ID}
		}
		return []any{at.Time, at.ID}
	}}
	pos := func(r *orderRow) ports.Position {
		switch col {
		case "total_price":
			return ports.Position{Int: r.TotalPrice, ID: r.ID}
		case "updated_at":
			return ports.Position{Time: r.UpdatedAt, ID: r.ID}
		}
		return ports.Position{Time: r.CreatedAt, ID: r.ID}
	}
	return scanPage(ctx, q, &rows, p, k, pos, (*orderRow).toDomain)
}

type idempotencyRow struct {
	bun.BaseModel `bun:"table:idempotency_keys"`

	UserID      string    `bun:"user_id,pk,type:uuid"`
	Route       string    `bun:"route,pk"`
	Key         string    `bun:"key,pk"`
	Fingerprint []byte    `bun:"fingerprint"`
	Status      int       `bun:"status"`
	Body        []byte    `bun:"body"`
	CreatedAt   time.Time `bun:"created_at"`
}

type idempotencyRepo struct{ db bun.IDB }

// Lock takes a transaction-scoped advisory lock named by a 64-bit hash of
// the scope. pg_try_ never waits: a holder means the first request is still
// running. Outside a transaction the lock would end with the statement,
// hence the port's rule that callers use WithinTx.
//
// This lock is the guard across instances: it is what answers a second
// request 409 IDEMPOTENCY_KEY_IN_USE while the first runs, before the
// second does any work. The table's primary key (see Save) only backs it
// up; without the lock the second request would place an order of its
// own, wait on the first's row locks, and be rolled back only when its
// record is refused at the end (acceptance test
// TestSecondInstanceGetsKeyInUseWhileTheFirstRuns fails then).
func (r *idempotencyRepo) Lock(ctx context.Context, s idempotency.Scope) error {
	var ok bool
	if err := r.db.NewRaw("SELECT pg_try_advisory_xact_lock(hashtextextended(?, 0))", s.String()).Scan(ctx, &ok); err != nil {
		return translate(err)
	}
	if !ok {
		return idempotency.ErrKeyInUse
	}
	return nil
}

func (r *idempotencyRepo) Get(ctx context.Context, s idempotency.Scope) (idempotency.Record, error) {
	if !domain.ValidID(s.UserID) {
		return idempotency.Record{}, idempotency.ErrNotFound
	}
	row := new(idempotencyRow)
	if err := selectOne(ctx, r.db, row, idempotency.ErrNotFound, false,
		"user_id = ? AND route = ? AND key = ?", s.UserID, s.Route, s.Key); err != nil {
		return idempotency.Record{}, err
	}
	return idempotency.Record{Scope: s, Fingerprint: row.Fingerprint, Status: row.Status, Body: row.Body, CreatedAt: row.CreatedAt.UTC()}, nil
}

func (r *idempotencyRepo) DeleteBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := r.db.NewDelete().Model((*idempotencyRow)(nil)).Where("created_at < ?", t).Exec(ctx)
	if err != nil {
		return 0, translate(err)
	}
	n, err := res.RowsAffected()
	return int(n), translate(err)
}

// Save inserts the record. The primary key (user, route, key) refuses a
// second record for a scope; as the record is saved in the transaction of
// the work it guards, that refusal also undoes a duplicate's work. It is a
// backstop for callers that skipped Lock, not the guard itself.
func (r *idempotencyRepo) Save(ctx context.Context, rec idempotency.Record) error {
	row := &idempotencyRow{UserID: rec.Scope.UserID, Route: rec.Scope.Route, Key: rec.Scope.Key,
		Fingerprint: rec.Fingerprint, Status: rec.Status, Body: rec.Body, CreatedAt: rec.CreatedAt}
	_, err := r.db.NewInsert().Model(row).Exec(ctx)
	if sqlState(err) == uniqueViolation {
		return idempotency.ErrKeyInUse
	}
	return translate(err)
}
