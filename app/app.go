// Package app holds the use cases of the marketplace. Each service is built
// from ports only; the package knows no database, web framework or SDK.
package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/ports"
)

// Config holds the business settings of the core, already parsed and
// validated by the caller.
type Config struct {
	// AdminPhones get the ADMIN role at their first sign-in.
	AdminPhones []phone.Number
	// TestCodes maps E.164 numbers to fixed codes that are used instead of
	// random ones; no SMS is sent to those numbers.
	TestCodes map[string]auth.Code
	// CodeHashKey keys the hash under which one-time codes are stored. It
	// must be at least 32 bytes.
	CodeHashKey []byte
	// ProductModeration keeps new products of ordinary users PENDING until
	// a moderator approves them, and sends a seller's edit of a published
	// product back to PENDING. The server turns it on unless
	// PRODUCT_MODERATION=false.
	ProductModeration bool
	// AuctionMinDuration is the shortest auction allowed; 0 means
	// DefaultAuctionMinDuration.
	AuctionMinDuration time.Duration
	// AuctionAntiSnipeWindow: a bid accepted less than this before an
	// auction's end moves the end to now + window; 0 turns that off.
	// cmd/server passes AUCTION_ANTI_SNIPE_WINDOW (default 2m).
	AuctionAntiSnipeWindow time.Duration
}

// Deps are the ports the core is built from. Every field is required.
type Deps struct {
	Tx     ports.Transactor
	Repos  ports.Repos
	Clock  ports.Clock
	Pinger ports.Pinger
	SMS    ports.SMSSender
	Tokens ports.TokenIssuer
	// Metrics counts business events; nil counts nothing.
	Metrics ports.Metrics
	// ProductCache is invalidated after product writes; nil means
	// Repos.Products is read uncached.
	ProductCache ports.ProductCache
	Config       Config
}

// App is the application core: one service per area.
type App struct {
	Auth    *AuthService
	Health  *HealthService
	Catalog *CatalogService
	// Orders needs Deps.Repos.Orders and Deps.Repos.Idempotency.
	Orders *OrderService
	// Auctions needs Deps.Repos.Auctions, Products, Orders and
	// Idempotency.
	Auctions *AuctionService
	// Reference needs Deps.Repos.Reference.
	Reference *ReferenceService

	repos ports.Repos
	clock ports.Clock
}

// New returns the core built from d, or an error naming the missing
// dependency.
func New(d Deps) (*App, error) {
	switch {
	case d.Tx == nil:
		return nil, errors.New("app: Deps.Tx is required")
	case d.Repos.Users == nil || d.Repos.Challenges == nil || d.Repos.Sessions == nil:
		return nil, errors.New("app: Deps.Repos is incomplete")
	case d.Clock == nil:
		return nil, errors.New("app: Deps.Clock is required")
	case d.Pinger == nil:
		return nil, errors.New("app: Deps.Pinger is required")
	case d.SMS == nil:
		return nil, errors.New("app: Deps.SMS is required")
	case d.Tokens == nil:
		return nil, errors.New("app: Deps.Tokens is required")
	case len(d.Config.CodeHashKey) < 32:
		return nil, errors.New("app: Config.CodeHashKey must be at least 32 bytes")
	}
	if d.Metrics == nil {
		d.Metrics = nopMetrics{}
	}
	if d.Config.AuctionMinDuration == 0 {
		d.Config.AuctionMinDuration = DefaultAuctionMinDuration
	}
	refs := newReferenceService(d)
	return &App{
		Auth:      newAuthService(d),
		Health:    newHealthService(d.Pinger),
		Catalog:   newCatalogService(d, refs),
		Reference: refs,
		Orders:    newOrderService(d),
		Auctions:  newAuctionService(d),
		repos:     d.Repos,
		clock:     d.Clock,
	}, nil
}

// newID returns a new time-ordered UUID (version 7).
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// ReadinessTimeout bounds the database ping of a readiness check.
const ReadinessTimeout = time.Second

// HealthService answers liveness and readiness questions, and acts as a
// circuit breaker for the store: while Watch sees the store down, work
// guarded by Guard is cancelled at once instead of hanging on a dead
// connection.
type HealthService struct {
	pinger ports.Pinger

	mu    sync.Mutex
	down  bool
	epoch context.Context
	fail  context.CancelCauseFunc
}

func newHealthService(p ports.Pinger) *HealthService {
	h := &HealthService{pinger: p}
	h.epoch, h.fail = context.WithCancelCause(context.Background())
	return h
}

// Ready pings the store within ReadinessTimeout. It returns nil when the
// store answers, or an error wrapping domain.ErrUnavailable. The answer
// also sets the breaker (see Guard), so readiness and business routes
// never disagree about the store.
func (h *HealthService) Ready(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, ReadinessTimeout)
	defer cancel()
	err := h.pinger.Ping(pctx)
	if ctx.Err() != nil {
		// The caller gave up; that says nothing about the store.
		return ctx.Err()
	}
	if err != nil && !errors.Is(err, domain.ErrUnavailable) {
		err = fmt.Errorf("%w: %v", domain.ErrUnavailable, err)
	}
	h.record(err)
	return err
}

// Watch pings the store every interval until ctx ends. When a ping fails,
// every context handed out by Guard is cancelled with a cause wrapping
// domain.ErrUnavailable, and new ones start cancelled until a ping
// succeeds again.
func (h *HealthService) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		_ = h.Ready(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (h *HealthService) record(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err != nil && !h.down:
		h.down = true
		h.fail(err)
	case err == nil && h.down:
		h.down = false
		h.epoch, h.fail = context.WithCancelCause(context.Background())
	}
}

// Guard returns a context derived from parent that is cancelled, with a
// cause wrapping domain.ErrUnavailable, as soon as Watch finds the store
// down (at once if it is down already). Call the returned function when
// the work is done.
func (h *HealthService) Guard(parent context.Context) (context.Context, func()) {
	h.mu.Lock()
	epoch := h.epoch
	h.mu.Unlock()
	ctx, cancel := context.WithCancelCause(parent)
	if epoch.Err() != nil {
		// AfterFunc would cancel asynchronously; the caller must see it now.
		cancel(context.Cause(epoch))
		return ctx, func() {}
	}
	stop := context.AfterFunc(epoch, func() { cancel(context.Cause(epoch)) })
	return ctx, func() { stop(); cancel(nil) }
}

// nopMetrics counts nothing; it stands in when Deps.Metrics is nil.
type nopMetrics struct{}

func (nopMetrics) OTPSent()           {}
func (nopMetrics) OTPVerifyFailed()   {}
func (nopMetrics) OrderCreated()      {}
func (nopMetrics) OrderCancelled()    {}
func (nopMetrics) BidPlaced()         {}
func (nopMetrics) AuctionClosed(bool) {}
