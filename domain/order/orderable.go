package order

import "github.com/secondbloom/marketplace/domain/product"

// Orderable decides whether buyerID may order qty items of p, given
// whether p is in an open auction. It returns product.ErrNotAvailable
// unless p is public (ACTIVE, seller not blocked), ErrOwnProduct for the
// seller's own product, ErrProductInAuction while an auction is open and
// product.ErrOutOfStock when fewer than qty are left, in that order; nil
// when the order may take the stock. Stores apply the same rule
// atomically in ports.ProductRepository.Reserve.
func Orderable(p *product.Product, buyerID string, inAuction bool, qty int) error {
	switch {
	case !p.Public():
		return product.ErrNotAvailable
	case p.SellerID() == buyerID:
		return ErrOwnProduct
	case inAuction:
		return ErrProductInAuction
	case qty > p.Quantity():
		return product.ErrOutOfStock
	}
	return nil
}
