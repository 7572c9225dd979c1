// Package event names the facts the marketplace records when a transaction
// commits: a product changed, an order was placed, a bid was accepted.
// Events are recorded inside the transaction that causes them (see
// ports.EventRecorder) and delivered to subscribers only after it commits,
// so nothing downstream (caches, metrics, other instances, later the audit
// log and notifications) ever reacts to a change that rolled back.
package event

import (
	"time"

	"github.com/secondbloom/marketplace/domain/user"
)

// Name says what happened. Names are stable: they are stored in the outbox
// and read back by other instances, possibly of another version.
type Name string

// The events of the marketplace.
const (
	// ProductCreated: a listing was created. Subject is the product.
	ProductCreated Name = "product.created"
	// ProductChanged: a listing's fields, status or stock changed. Subject
	// is the product; Data["action"] names the use case (edit, approve,
	// reject, archive, stock).
	ProductChanged Name = "product.changed"
	// CategoryChanged: a category was created, edited or deleted.
	CategoryChanged Name = "category.changed"
	// OrderPlaced: an order was created and stock taken. Subject is the
	// order; Data carries productId, buyerId, sellerId and, for an
	// auction's order, auctionId.
	OrderPlaced Name = "order.placed"
	// OrderTransitioned: an order changed status or payment status.
	// Data carries productId, from and to (statuses) and, when stock went
	// back to the product, restocked = "true".
	OrderTransitioned Name = "order.transitioned"
	// AuctionOpened: an auction was created. Data carries productId.
	AuctionOpened Name = "auction.opened"
	// BidAccepted: a bid was accepted. Data carries amount, bidderId and
	// previousLeaderId (empty for the first bid).
	BidAccepted Name = "bid.accepted"
	// AuctionCancelled: an auction was cancelled. Data carries productId.
	AuctionCancelled Name = "auction.cancelled"
	// AuctionClosed: an auction ended. Data carries productId, winnerId
	// and orderId (both empty without a winner).
	AuctionClosed Name = "auction.closed"
	// UserChanged: a user's profile, role or status changed.
	UserChanged Name = "user.changed"
	// ReferenceChanged: an item of a reference list was created, edited or
	// deleted. SubjectType is the list (condition, size, city, district);
	// Data["action"] is create, update or delete.
	ReferenceChanged Name = "reference.changed"
)

// Subject kinds: what an event is about.
const (
	SubjectProduct  = "product"
	SubjectCategory = "category"
	SubjectOrder    = "order"
	SubjectAuction  = "auction"
	SubjectUser     = "user"
)

// Event is one committed fact. Seq and At are set by the store when it
// records the event; Seq grows with every event a store records, so it is
// a position in the outbox (not a gapless counter).
type Event struct {
	Seq         int64
	Name        Name
	Actor       user.Actor
	SubjectType string
	SubjectID   string
	// Data holds the ids and values subscribers need (see the names
	// above), as strings so every store keeps them alike.
	Data map[string]string
	At   time.Time
}

// New returns an event about the subject, by actor, with data given as
// key, value pairs. An odd trailing key is ignored.
func New(name Name, actor user.Actor, subjectType, subjectID string, kv ...string) Event {
	e := Event{Name: name, Actor: actor, SubjectType: subjectType, SubjectID: subjectID}
	if len(kv) >= 2 {
		e.Data = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			e.Data[kv[i]] = kv[i+1]
		}
	}
	return e
}

// ProductID returns the product whose stored state the event changed, or
// "" when it changed none: the subject of product events, and the product
// of orders and auctions that took or returned stock.
func (e Event) ProductID() string {
	switch {
	case e.SubjectType == SubjectProduct:
		return e.SubjectID
	case e.Name == OrderPlaced, e.Name == AuctionClosed && e.Data["orderId"] != "":
		return e.Data["productId"]
	case e.Name == OrderTransitioned && e.Data["restocked"] == "true":
		return e.Data["productId"]
	}
	return ""
}
