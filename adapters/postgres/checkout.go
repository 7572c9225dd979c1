package postgres

import (
	"context"
	"reflect"
	"strings"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/domain/product"
)

// reserveTries bounds Reserve's attempts when the product changes between
// the refused UPDATE and the read that explains it (a cancel gives stock
// back, an auction closes); each retry needs such a change, so the bound is
// never reached in practice.
const reserveTries = 5

// productColumns lists the columns of productRow, for the RETURNING and
// SELECT lists of Reserve (products has columns productRow does not map,
// such as the search vector).
var productColumns = func() string {
	t := reflect.TypeFor[productRow]()
	var cols []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("bun"), ",")
		if name != "" && !strings.HasPrefix(name, "table:") {
			cols = append(cols, name)
		}
	}
	return strings.Join(cols, ", ")
}()

// reservableRow is a product with whether it is in an open auction, what
// order.Orderable needs to explain a refused reservation.
type reservableRow struct {
	productRow `bun:",extend"`
	InAuction  bool `bun:"in_auction"`
}

// Reserve is one conditional UPDATE ... RETURNING: the row lock, the
// ordering rules of order.Orderable and the stock change in a single
// statement. Only when it matches nothing does a second statement read the
// product to tell why, and order.Orderable decides. The open-auction test
// goes through product_in_open_auction (migration 0012), whose fresh
// snapshot sees an auction committed while this UPDATE waited for the row.
func (r *productRepo) Reserve(ctx context.Context, id string, qty int, buyerID string, now time.Time) (*product.Product, error) {
	if !domain.ValidID(id) {
		return nil, product.ErrNotAvailable
	}
	if qty < 1 {
		return nil, domain.Invalid("quantity", "must be at least 1")
	}
	var buyer any // a malformed buyer id owns nothing
	if domain.ValidID(buyerID) {
		buyer = buyerID
	}
	for range reserveTries {
		row := new(productRow)
		err := r.db.NewRaw(`UPDATE products SET quantity = quantity - ?, updated_at = ?
			WHERE id = ? AND status = 'ACTIVE' AND NOT seller_blocked AND seller_id IS DISTINCT FROM ?
			AND quantity >= ? AND NOT product_in_open_auction(id)
			RETURNING `+productColumns, qty, now.UTC(), id, buyer, qty).Scan(ctx, row)
		if err == nil {
			return row.toDomain(), nil
		}
		if !isNoRows(err) {
			return nil, productWriteError(err)
		}
		why := new(reservableRow)
		err = r.db.NewRaw(`SELECT `+productColumns+`, product_in_open_auction(id) AS in_auction FROM products WHERE id = ?`, id).Scan(ctx, why)
		if isNoRows(err) {
			return nil, product.ErrNotAvailable
		}
		if err != nil {
			return nil, translate(err)
		}
		if refused := order.Orderable(why.toDomain(), buyerID, why.InAuction, qty); refused != nil {
			return nil, refused
		}
	}
	return nil, product.ErrOutOfStock
}
