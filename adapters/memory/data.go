package memory

import (
	"time"

	"github.com/secondbloom/marketplace/domain/auction"
	"github.com/secondbloom/marketplace/domain/audit"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/idempotency"
	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// data holds every table. Values are private copies: repositories copy
// aggregates on the way in and out, so callers never share memory with the
// store.
type data struct {
	users        table[string, user.User]
	userByPhone  table[string, string]
	challenges   table[string, auth.Challenge]
	sessions     table[string, auth.Session]
	refreshIndex table[string, refreshEntry]

	categories     table[string, category.Fields]
	categoryBySlug table[string, string]
	products       table[string, product.Fields]
	productBySlug  table[string, string]
	// liveTitles maps seller id + lower-case title to the product id of a
	// live (not archived) product.
	liveTitles table[string, string]

	auctions table[string, auction.Fields]
	// activeAuctions maps a product id to its ACTIVE auction's id.
	activeAuctions table[string, string]
	// bids holds each auction's accepted bids in the order accepted, which
	// is also increasing amount.
	bids           table[string, []auction.Bid]
	orders         table[string, order.Fields]
	orderByNumber  table[string, string]
	orderByAuction table[string, string]
	// idempotency is keyed by idempotency.Scope.String().
	idempotency table[string, idempotency.Record]
	audit       table[string, audit.Entry]
}

type refreshEntry struct {
	sessionID string
	retiredAt *time.Time
}

func newData() *data {
	return &data{
		users:        table[string, user.User]{},
		userByPhone:  table[string, string]{},
		challenges:   table[string, auth.Challenge]{},
		sessions:     table[string, auth.Session]{},
		refreshIndex: table[string, refreshEntry]{},

		categories:     table[string, category.Fields]{},
		categoryBySlug: table[string, string]{},
		products:       table[string, product.Fields]{},
		productBySlug:  table[string, string]{},
		liveTitles:     table[string, string]{},

		auctions:       table[string, auction.Fields]{},
		activeAuctions: table[string, string]{},
		bids:           table[string, []auction.Bid]{},
		orders:         table[string, order.Fields]{},
		orderByNumber:  table[string, string]{},
		orderByAuction: table[string, string]{},
		idempotency:    table[string, idempotency.Record]{},
		audit:          table[string, audit.Entry]{},
	}
}

func (s *Store) repos(se *session) ports.Repos {
	return ports.Repos{
		Users:      &userRepo{se},
		Challenges: &challengeRepo{se},
		Sessions:   &sessionRepo{se},
		Categories: &categoryRepo{se},
		Products:   &productRepo{se},
		Auctions:   &auctionRepo{se},

		Orders:       &orderRepo{se},
		ProductUsage: &productUsage{se},
		Idempotency:  &idempotencyRepo{se},
		OpenAuctions: &auctionRepo{se},
		Events:       se,
		Audit:        &auditRepo{se},
	}
}
