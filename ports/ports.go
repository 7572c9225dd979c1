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
	// ProductUsage); nil means nothing does.
	ProductUsage ProductUsage
}

// Transactor runs work that spans several repositories atomically.
type Transactor interface {
	// WithinTx calls fn with repositories bound to a new transaction. It
	// commits when fn returns nil and rolls back when fn returns an error or
	// panics; the error of fn is returned unchanged. Side effects outside the
	// store (SMS, cache invalidation) belong after WithinTx returns, never
	// inside fn. WithinTx must not be nested.
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
