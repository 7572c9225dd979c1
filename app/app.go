// Package app holds the use cases of the marketplace. Each service is built
// from ports only; the package knows no database, web framework or SDK.
package app

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

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
	Config  Config
}

// App is the application core: one service per area.
type App struct {
	Auth   *AuthService
	Health *HealthService
	// Orders needs Deps.Repos.Orders and Deps.Repos.Idempotency.
	Orders *OrderService
	// Auctions needs Deps.Repos.Auctions, Products, Orders and
	// Idempotency.
	Auctions *AuctionService

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
	return &App{
		Auth:     newAuthService(d),
		Health:   &HealthService{pinger: d.Pinger},
		Orders:   newOrderService(d),
		Auctions: newAuctionService(d),
		repos:    d.Repos,
		clock:    d.Clock,
	}, nil
}

// newID returns a new time-ordered UUID (version 7).
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// ReadinessTimeout bounds the database ping of a readiness check.
const ReadinessTimeout = time.Second

// HealthService answers liveness and readiness questions.
type HealthService struct{ pinger ports.Pinger }

// Ready pings the store within ReadinessTimeout. It returns nil when the
// store answers, or an error wrapping domain.ErrUnavailable.
func (h *HealthService) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, ReadinessTimeout)
	defer cancel()
	return h.pinger.Ping(ctx)
}

// nopMetrics counts nothing; it stands in when Deps.Metrics is nil.
type nopMetrics struct{}

func (nopMetrics) OTPSent()           {}
func (nopMetrics) OTPVerifyFailed()   {}
func (nopMetrics) OrderCreated()      {}
func (nopMetrics) OrderCancelled()    {}
func (nopMetrics) BidPlaced()         {}
func (nopMetrics) AuctionClosed(bool) {}
