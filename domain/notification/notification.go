// Package notification holds what the marketplace tells its users: the
// notification types and who receives them, the inbox entry, the delivery
// channels (push, SMS) with their retry rules, and the message catalogues
// that render a notification in the recipient's language.
package notification

import (
	"maps"
	"time"

	"github.com/secondbloom/marketplace/domain"
)

// Type says what a notification is about. Types are stable: they are
// stored and sent to clients.
type Type string

// The notification types of API.md section 11.
const (
	OrderPlaced     Type = "ORDER_PLACED"
	OrderConfirmed  Type = "ORDER_CONFIRMED"
	OrderShipped    Type = "ORDER_SHIPPED"
	OrderDelivered  Type = "ORDER_DELIVERED"
	OrderCancelled  Type = "ORDER_CANCELLED"
	OrderPaid       Type = "ORDER_PAID"
	ProductApproved Type = "PRODUCT_APPROVED"
	ProductRejected Type = "PRODUCT_REJECTED"
	BidOutbid       Type = "BID_OUTBID"
	AuctionWon      Type = "AUCTION_WON"
	AuctionEnded    Type = "AUCTION_ENDED"
)

// Types lists every type, for catalogue checks.
var Types = []Type{OrderPlaced, OrderConfirmed, OrderShipped, OrderDelivered, OrderCancelled, OrderPaid,
	ProductApproved, ProductRejected, BidOutbid, AuctionWon, AuctionEnded}

// Channel is a way of delivering a notification outside the inbox.
type Channel string

// The delivery channels.
const (
	Push Channel = "push"
	SMS  Channel = "sms"
)

// BySMS reports whether notifications of type t also go by SMS.
func (t Type) BySMS() bool { return t == AuctionWon || t == OrderPlaced }

// Errors of the notification package.
var (
	ErrNotFound = domain.New(domain.KindNotFound, domain.CodeNotFound, "notification not found")
	ErrInvalid  = domain.New(domain.KindInvalid, domain.CodeValidationFailed, "invalid notification")
)

// Notification is one entry of a user's inbox. Seq numbers a user's
// notifications in the order they committed, without gaps, so a stream can
// resume after any of them without losing one.
type Notification struct {
	id        string
	userID    string
	typ       Type
	data      map[string]string
	seq       int64
	createdAt time.Time
	readAt    *time.Time
}

// New returns an unread notification of type t for userID. It returns
// ErrInvalid when an id is not a UUID or the type is unknown. Seq is set
// by the store when it is added.
func New(id, userID string, t Type, data map[string]string, now time.Time) (*Notification, error) {
	if !domain.ValidID(id) || !domain.ValidID(userID) || !t.Valid() {
		return nil, ErrInvalid
	}
	return &Notification{id: id, userID: userID, typ: t, data: maps.Clone(data), createdAt: now.UTC()}, nil
}

// Rehydrate rebuilds a stored notification; only storage adapters call it.
func Rehydrate(id, userID string, t Type, data map[string]string, seq int64, createdAt time.Time, readAt *time.Time) *Notification {
	return &Notification{id: id, userID: userID, typ: t, data: data, seq: seq, createdAt: createdAt, readAt: readAt}
}

// Valid reports whether t is one of Types.
func (t Type) Valid() bool {
	for _, k := range Types {
		if k == t {
			return true
		}
	}
	return false
}

// ID returns the notification's id.
func (n *Notification) ID() string { return n.id }

// UserID returns the recipient.
func (n *Notification) UserID() string { return n.userID }

// Type returns what the notification is about.
func (n *Notification) Type() Type { return n.typ }

// Data returns a copy of the ids and values the notification carries.
func (n *Notification) Data() map[string]string { return maps.Clone(n.data) }

// Seq returns the notification's position among its recipient's (1, 2,
// ...), or 0 before it is stored.
func (n *Notification) Seq() int64 { return n.seq }

// SetSeq records the position the store gave the notification; only
// storage adapters call it.
func (n *Notification) SetSeq(seq int64) { n.seq = seq }

// CreatedAt returns when the notification was made.
func (n *Notification) CreatedAt() time.Time { return n.createdAt }

// ReadAt returns when the recipient read it, or nil.
func (n *Notification) ReadAt() *time.Time { return n.readAt }

// MarkRead records that the recipient read the notification at now; a
// notification already read keeps its first time.
func (n *Notification) MarkRead(now time.Time) {
	if n.readAt == nil {
		t := now.UTC()
		n.readAt = &t
	}
}
