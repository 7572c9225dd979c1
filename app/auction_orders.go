package app

import (
	"context"
	"errors"
	"time"

	"github.com/secondbloom/marketplace/domain/auction"
	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/ports"
)

// createWinnerOrder takes the auctioned item from stock and creates the
// winner's PENDING order (quantity 1 at the winning amount) in the closing
// transaction r. The product cannot have left ACTIVE or run out while the
// auction was open: direct orders are refused then and the storage
// adapters refuse to archive or empty it (products_in_open_auction). Should
// it fail anyway, the error rolls the close back and the auction stays due,
// to be retried and reported by the closer.
func (s *AuctionService) createWinnerOrder(ctx context.Context, r ports.Repos, a *auction.Auction, now time.Time) (*order.Order, error) {
	if _, err := r.Products.Update(ctx, a.ProductID(), func(p *product.Product) error { return p.Reserve(1, now) }); err != nil {
		return nil, err
	}
	for try := 1; ; try++ {
		number, err := newOrderNumber(now)
		if err != nil {
			return nil, err
		}
		o, err := order.NewFromAuction(order.AuctionParams{ID: a.OrderID(), Number: number, AuctionID: a.ID(),
			ProductID: a.ProductID(), SellerID: a.SellerID(), WinnerID: a.WinnerID(), Amount: a.CurrentPrice(),
			Currency: a.Currency()}, now)
		if err != nil {
			return nil, err
		}
		err = r.Orders.Create(ctx, o)
		if errors.Is(err, order.ErrNumberTaken) && try < maxNumberTries {
			continue
		}
		if err != nil {
			return nil, err
		}
		return o, nil
	}
}
