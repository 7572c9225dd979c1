// Package ports declares what the application core needs from the outside
// world: storage, transactions, clocks, token signing, SMS delivery, caching
// and error reporting. Adapters implement these interfaces; the app package
// depends on nothing else.
//
// Error contract shared by every port: a missing object is reported with the
// domain package's not-found sentinel, a uniqueness clash with its conflict
// sentinel, and an unreachable dependency with an error wrapping
// domain.ErrUnavailable. No driver or library error type crosses a port.
package ports

//go:generate go tool mockgen -source=ports.go -destination=../mocks/ports.go -package=mocks

import (
	"context"
	"reflect"
	"sort"
	"time"
)

// Clock tells the time. Tests use a fake one.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
}

// Repos is the set of repositories bound to one transaction (or, outside
// WithinTx, to the store itself).
type Repos struct {
	Users      UserRepository
	Challenges ChallengeRepository
	Sessions   SessionRepository
	Categories CategoryRepository
	Products   ProductRepository
	Auctions   AuctionRepository
	Orders     OrderRepository
	// Reference holds conditions, sizes, cities and districts.
	Reference ReferenceRepository
	// Idempotency stores Idempotency-Key outcomes; see
	// IdempotencyRepository.
	Idempotency IdempotencyRepository
	// OpenAuctions answers whether a product is in an open auction; the
	// storage adapters set it to their auction repository. See
	// OpenAuctionChecker.
	OpenAuctions OpenAuctionChecker
	// ProductUsage tells whether open orders need a product (see
	// ProductUsage).
	ProductUsage ProductUsage
	// Events records the transaction's events (see EventRecorder).
	Events EventRecorder
	// Audit stores the audit log.
	Audit AuditRepository
	// Media stores the records of uploaded photos.
	Media MediaRepository
	// Notifications stores inboxes and their pending deliveries (see
	// NotificationRepository).
	Notifications NotificationRepository
}

// Missing returns the names of the repositories r lacks, so a builder can
// refuse an incomplete store at start instead of failing on first use.
func (r Repos) Missing() []string {
	var out []string
	for name, v := range map[string]any{
		"Users": r.Users, "Challenges": r.Challenges, "Sessions": r.Sessions,
		"Categories": r.Categories, "Products": r.Products, "Auctions": r.Auctions,
		"Orders": r.Orders, "Idempotency": r.Idempotency, "OpenAuctions": r.OpenAuctions,
		"ProductUsage": r.ProductUsage, "Events": r.Events, "Audit": r.Audit, "Media": r.Media,
		"Reference":     r.Reference,
		"Notifications": r.Notifications,
	} {
		if isNil(v) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// isNil reports whether v is a nil interface or holds a nil pointer.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// Transactor runs work that spans several repositories atomically.
type Transactor interface {
	// WithinTx calls fn with repositories bound to a new transaction. It
	// commits when fn returns nil and rolls back when fn returns an error or
	// panics; the error of fn is returned unchanged. The events fn records
	// through r.Events are stored with the commit and handed to the store's
	// EventSink before WithinTx returns; a rollback drops them. Side
	// effects outside the store (SMS) belong after WithinTx returns, never
	// inside fn; cache eviction and the like are EventSink subscribers.
	// WithinTx must not be nested.
	WithinTx(ctx context.Context, fn func(ctx context.Context, r Repos) error) error
}

// Pinger checks that a dependency answers.
type Pinger interface {
	// Ping returns nil when the dependency answers, or an error wrapping
	// domain.ErrUnavailable.
	Ping(ctx context.Context) error
}

// ErrorReporter sends unexpected errors to an error tracker.
type ErrorReporter interface {
	// Report records err with the given tags. It never blocks on the network
	// and never fails; implementations scrub secrets before sending.
	Report(ctx context.Context, err error, tags map[string]string)
	// Flush waits up to timeout for queued reports to be sent.
	Flush(timeout time.Duration)
}
