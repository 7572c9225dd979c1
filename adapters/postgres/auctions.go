package postgres

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/auction"
	"github.com/secondbloom/marketplace/ports"
)

var _ ports.AuctionRepository = (*auctionRepo)(nil)

type auctionRow struct {
	bun.BaseModel `bun:"table:auctions"`

	ID           string    `bun:"id,pk,type:uuid"`
	ProductID    string    `bun:"product_id,type:uuid"`
	SellerID     string    `bun:"seller_id,type:uuid"`
	Status       string    `bun:"status"`
	StartPrice   int64     `bun:"start_price"`
	CurrentPrice int64     `bun:"current_price"`
	MinIncrement int64     `bun:"min_increment"`
	BidCount     int       `bun:"bid_count"`
	LeaderID     *string   `bun:"leader_id,type:uuid"`
	Currency     string    `bun:"currency"`
	StartsAt     time.Time `bun:"starts_at"`
	EndsAt       time.Time `bun:"ends_at"`
	WinnerID     *string   `bun:"winner_id,type:uuid"`
	OrderID      *string   `bun:"order_id,type:uuid"`
	CreatedAt    time.Time `bun:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at"`
}

func auctionToRow(a *auction.Auction) *auctionRow {
	f := a.Fields()
	return &auctionRow{ID: f.ID, ProductID: f.ProductID, SellerID: f.SellerID, Status: string(f.Status),
		StartPrice: f.StartPrice, CurrentPrice: f.CurrentPrice, MinIncrement: f.MinIncrement, BidCount: f.BidCount,
		LeaderID: nullString(f.LeaderID), Currency: f.Currency, StartsAt: f.StartsAt, EndsAt: f.EndsAt,
		WinnerID: nullString(f.WinnerID), OrderID: nullString(f.OrderID), CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
}

func (r *auctionRow) toDomain() *auction.Auction {
	return auction.Rehydrate(auction.Fields{ID: r.ID, ProductID: r.ProductID, SellerID: r.SellerID,
		Status: auction.Status(r.Status), StartPrice: r.StartPrice, CurrentPrice: r.CurrentPrice,
		MinIncrement: r.MinIncrement, BidCount: r.BidCount, LeaderID: deref(r.LeaderID), Currency: r.Currency,
		StartsAt: r.StartsAt, EndsAt: r.EndsAt, WinnerID: deref(r.WinnerID), OrderID: deref(r.OrderID),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt})
}

type bidRow struct {
	bun.BaseModel `bun:"table:bids"`

	ID        string    `bun:"id,pk,type:uuid"`
	AuctionID string    `bun:"auction_id,type:uuid"`
	BidderID  string    `bun:"bidder_id,type:uuid"`
	Amount    int64     `bun:"amount"`
	CreatedAt time.Time `bun:"created_at"`
}

func (b *bidRow) toDomain() auction.Bid {
	return auction.Bid{ID: b.ID, AuctionID: b.AuctionID, BidderID: b.BidderID, Amount: b.Amount, CreatedAt: b.CreatedAt.UTC()}
}

// auctionWriteError translates the constraint violations of an auction
// write.
func auctionWriteError(err error) error {
	switch {
	case sqlState(err) == uniqueViolation && constraintName(err) == "auctions_one_active_per_product_idx":
		return auction.ErrAlreadyOpen
	case sqlState(err) == fkViolation && constraintName(err) == "auctions_product_id_fkey":
		return auction.ErrNotFound
	}
	return translate(err)
}

type auctionRepo struct{ db bun.IDB }

func (r *auctionRepo) Create(ctx context.Context, a *auction.Auction) error {
	_, err := r.db.NewInsert().Model(auctionToRow(a)).Exec(ctx)
	return auctionWriteError(err)
}

// scanAuction runs q, a query for at most one auction built on row.
func scanAuction(ctx context.Context, q *bun.SelectQuery, row *auctionRow) (*auction.Auction, error) {
	if err := scanOne(ctx, q, auction.ErrNotFound); err != nil {
		return nil, err
	}
	return row.toDomain(), nil
}

func (r *auctionRepo) Get(ctx context.Context, id string) (*auction.Auction, error) {
	if !domain.ValidID(id) {
		return nil, auction.ErrNotFound
	}
	row := new(auctionRow)
	return scanAuction(ctx, r.db.NewSelect().Model(row).Where("id = ?", id), row)
}

func (r *auctionRepo) HasOpenAuction(ctx context.Context, productID string) (bool, error) {
	if !domain.ValidID(productID) {
		return false, nil
	}
	open, err := r.db.NewSelect().Model((*auctionRow)(nil)).Where("product_id = ? AND status = 'ACTIVE'", productID).Exists(ctx)
	return open, translate(err)
}

func (r *auctionRepo) List(ctx context.Context, f ports.AuctionFilter, s ports.Sort, p ports.Page) ([]*auction.Auction, ports.Listed, error) {
	var rows []auctionRow
	q := r.db.NewSelect().Model(&rows)
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
	}
	if f.ProductID != "" {
		if !domain.ValidID(f.ProductID) {
			return []*auction.Auction{}, ports.Listed{}, nil
		}
		q = q.Where("product_id = ?", f.ProductID)
	}
	col := "ends_at"
	if s.Field == "createdAt" {
		col = "created_at"
	}
	k := keyset{cols: []string{col, "id"}, desc: s.Desc, vals: func(at ports.Position) []any { return []any{at.Time, at.ID} }}
	pos := func(r *auctionRow) ports.Position {
		if col == "created_at" {
			return ports.Position{Time: r.CreatedAt, ID: r.ID}
		}
		return ports.Position{Time: r.EndsAt, ID: r.ID}
	}
	return scanPage(ctx, q, &rows, p, k, pos, (*auctionRow).toDomain)
}

// saveAuction stores a changed auction.
func saveAuction(ctx context.Context, tx bun.IDB, a *auction.Auction) error {
	_, err := tx.NewUpdate().Model(auctionToRow(a)).WherePK().Exec(ctx)
	return auctionWriteError(err)
}

func (r *auctionRepo) Update(ctx context.Context, id string, fn func(*auction.Auction) error) (*auction.Auction, error) {
	if !domain.ValidID(id) {
		return nil, auction.ErrNotFound
	}
	load := func(ctx context.Context, tx bun.IDB) (*auction.Auction, error) {
		row := new(auctionRow)
		return scanAuction(ctx, tx.NewSelect().Model(row).Where("id = ?", id).For("UPDATE"), row)
	}
	return updateLocked(ctx, r.db, load, fn, saveAuction)
}

func (r *auctionRepo) UpdateNextDue(ctx context.Context, now time.Time, fn func(*auction.Auction) error) (*auction.Auction, error) {
	load := func(ctx context.Context, tx bun.IDB) (*auction.Auction, error) {
		row := new(auctionRow)
		q := tx.NewSelect().Model(row).Where("status = 'ACTIVE' AND ends_at <= ?", now.UTC()).
			OrderExpr("ends_at").Limit(1).For("UPDATE SKIP LOCKED")
		return scanAuction(ctx, q, row)
	}
	return updateLocked(ctx, r.db, load, fn, saveAuction)
}

func (r *auctionRepo) AddBid(ctx context.Context, b auction.Bid) error {
	_, err := r.db.NewInsert().Model(&bidRow{ID: b.ID, AuctionID: b.AuctionID, BidderID: b.BidderID,
		Amount: b.Amount, CreatedAt: b.CreatedAt}).Exec(ctx)
	if sqlState(err) == fkViolation && constraintName(err) == "bids_auction_id_fkey" {
		return auction.ErrNotFound
	}
	return translate(err)
}

func (r *auctionRepo) ListBids(ctx context.Context, auctionID string, p ports.Page) ([]auction.Bid, ports.Listed, error) {
	if !domain.ValidID(auctionID) {
		return []auction.Bid{}, ports.Listed{}, nil
	}
	var rows []bidRow
	q := r.db.NewSelect().Model(&rows).Where("auction_id = ?", auctionID)
	// Amounts of one auction are distinct (bids_auction_amount_idx), so the
	// amount alone orders them and is their keyset.
	k := keyset{cols: []string{"amount"}, desc: true, vals: func(at ports.Position) []any { return []any{at.Int} }}
	pos := func(r *bidRow) ports.Position { return ports.Position{Int: r.Amount, ID: r.ID} }
	return scanPage(ctx, q, &rows, p, k, pos, (*bidRow).toDomain)
}
