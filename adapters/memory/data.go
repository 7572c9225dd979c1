package memory

import (
	"time"

	"github.com/secondbloom/marketplace/domain/auction"
	"github.com/secondbloom/marketplace/domain/audit"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/idempotency"
	"github.com/secondbloom/marketplace/domain/media"
	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/reference"
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
	// liveTitles maps seller id + locale + lower-case title to the product
	// id of a live (not archived) product.
	liveTitles table[string, string]

	// reference holds the items of every reference list by id;
	// referenceCodes maps kind + city + code to the id.
	reference      table[string, reference.Fields]
	referenceCodes table[string, string]

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

	media table[string, media.Fields]
	// mediaDetached holds when a photo last left a product.
	mediaDetached table[string, time.Time]
	// uploads holds each owner's accepted upload times of the last window.
	uploads table[string, []time.Time]
	// notifications holds every inbox entry; inbox lists each user's
	// notification ids in Seq order; deliveries the delivery outbox;
	// queues each recipient and channel's pending delivery ids in Seq
	// order (the head is the only one a dispatcher may claim).
	notifications table[string, noteRow]
	inbox         table[string, []string]
	deliveries    table[string, deliveryRow]
	queues        table[string, []string]
	// tickets maps a stream ticket's hash to its session and expiry.
	tickets table[string, ticketRow]
}

type refreshEntry struct {
	sessionID string
	retiredAt *time.Time
}

// newData returns the tables of a new store, holding the reference items
// that migration 0008 seeds in Postgres.
func newData() *data {
	db := &data{
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
		reference:      table[string, reference.Fields]{},
		referenceCodes: table[string, string]{},

		auctions:       table[string, auction.Fields]{},
		activeAuctions: table[string, string]{},
		bids:           table[string, []auction.Bid]{},
		orders:         table[string, order.Fields]{},
		orderByNumber:  table[string, string]{},
		orderByAuction: table[string, string]{},
		idempotency:    table[string, idempotency.Record]{},
		audit:          table[string, audit.Entry]{},

		media:         table[string, media.Fields]{},
		mediaDetached: table[string, time.Time]{},
		uploads:       table[string, []time.Time]{},
		notifications: table[string, noteRow]{},
		inbox:         table[string, []string]{},
		deliveries:    table[string, deliveryRow]{},
		queues:        table[string, []string]{},
		tickets:       table[string, ticketRow]{},
	}
	for _, f := range reference.Seed() {
		db.reference[f.ID] = f
		db.referenceCodes[codeKey(f)] = f.ID
	}
	return db
}

func (s *Store) repos(se *session) ports.Repos {
	return ports.Repos{
		Users:      &userRepo{se},
		Challenges: &challengeRepo{se},
		Sessions:   &sessionRepo{se},
		Categories: &categoryRepo{se},
		Products:   &productRepo{se},
		Auctions:   &auctionRepo{se},
		Reference:  &referenceRepo{se},

		Orders:       &orderRepo{se},
		ProductUsage: &productUsage{se},
		Idempotency:  &idempotencyRepo{se},
		OpenAuctions: &auctionRepo{se},
		Events:       se,
		Audit:        &auditRepo{se},
		Media:        &mediaRepo{se},

		Notifications: &notificationRepo{se},
	}
}
