package ports

//go:generate go tool mockgen -source=notifications.go -destination=../mocks/notifications.go -package=mocks

import (
	"context"
	"time"

	"github.com/secondbloom/marketplace/domain/notification"
	"github.com/secondbloom/marketplace/domain/phone"
)

// NotificationFilter narrows a user's inbox.
type NotificationFilter struct {
	UserID     string
	UnreadOnly bool
}

// NotificationRepository stores users' inboxes and, with each
// notification, its pending deliveries (the outbox the dispatcher drains).
// Written in the transaction that caused the notification, so a rollback
// leaves neither.
type NotificationRepository interface {
	// Add stores n with the next Seq of its recipient (set on n), and a
	// pending delivery on each of channels, due at once. Notifications of
	// one recipient get Seq in commit order: a later commit never gets a
	// smaller Seq. It returns notification.ErrInvalid if the id is taken.
	// Inside a transaction a store may defer the write to the
	// transaction's last statement (Postgres does, to hold the recipient's
	// counter only for the commit): n's Seq is then set, and a taken id
	// reported, by the time WithinTx returns.
	Add(ctx context.Context, n *notification.Notification, channels []notification.Channel) error
	// List returns a page of the filter's notifications, newest first, and
	// how many match in all. Positions: Int = Seq, ID.
	List(ctx context.Context, f NotificationFilter, p Page) ([]*notification.Notification, Listed, error)
	// CountUnread returns how many of userID's notifications are unread.
	CountUnread(ctx context.Context, userID string) (int, error)
	// MarkRead marks userID's notification id read at now (keeping an
	// earlier read time) and returns it. It returns
	// notification.ErrNotFound when there is no such notification or it
	// is someone else's.
	MarkRead(ctx context.Context, userID, id string, now time.Time) (*notification.Notification, error)
	// MarkAllRead marks every unread notification of userID read at now
	// and returns how many it marked.
	MarkAllRead(ctx context.Context, userID string, now time.Time) (int, error)
	// Since returns up to limit of userID's notifications with Seq >
	// after, oldest first.
	Since(ctx context.Context, userID string, after int64, limit int) ([]*notification.Notification, error)
	// SaveTicket stores a stream ticket, by the SHA-256 hash of its
	// secret, for sessionID until expires.
	SaveTicket(ctx context.Context, hash []byte, sessionID string, expires time.Time) error
	// UseTicket deletes the ticket with hash and returns its session if it
	// had not expired at now. It returns auth.ErrUnauthenticated for an
	// unknown, used or expired ticket.
	UseTicket(ctx context.Context, hash []byte, now time.Time) (sessionID string, err error)
}

// DeliveryQueue is the dispatchers' side of the outbox. Many dispatchers
// (one per instance) may share it.
type DeliveryQueue interface {
	// Claim takes up to limit deliveries on one of channels due at now
	// for lease: for each recipient and channel only the oldest pending
	// one, and only if no other claim holds it, so one recipient never
	// has two deliveries of a channel in flight and gets them in Seq
	// order. Deliveries on other channels are left for an instance that
	// can send them; no channels claims nothing. A claim that is neither
	// finished nor released expires after lease (a crashed instance) and
	// its deliveries can be claimed again.
	Claim(ctx context.Context, now time.Time, lease time.Duration, limit int, channels []notification.Channel) ([]notification.Delivery, error)
	// Finish records the results of attempts and ends their claims, in
	// one transaction (one commit for a whole batch). An attempt whose
	// claim no longer holds its delivery is ignored.
	Finish(ctx context.Context, attempts []notification.Attempt) error
	// Release ends the claims of ds without an attempt, so they can be
	// claimed again at once.
	Release(ctx context.Context, ds []notification.Delivery) error
	// Backlog returns how many deliveries are pending and when the
	// oldest of them was queued (zero when none).
	Backlog(ctx context.Context) (int, time.Time, error)
}

// PushSender hands notifications to the push gateway.
type PushSender interface {
	// Push sends n, rendered as m, for its recipient, with n's id as the
	// idempotency key. It returns an error wrapping domain.ErrUnavailable
	// for a failure worth retrying (the gateway is unreachable, timed out,
	// answered 5xx, 408 or 429) and any other error for a refusal that
	// will not change.
	Push(ctx context.Context, n *notification.Notification, m notification.Message) error
}

// TextSender sends text messages by SMS (notifications, not sign-in
// codes).
type TextSender interface {
	// SendText sends text to p, with key as the idempotency key where the
	// gateway supports one. Errors follow PushSender.Push.
	SendText(ctx context.Context, p phone.Number, key, text string) error
}
