// Package app holds the use cases of the marketplace. Each service is built
// from ports only; the package knows no database, web framework or SDK.
package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	// MediaConcurrency is how many uploads are decoded at once; 0 means
	// DefaultMediaConcurrency. Decoding a photo takes tens of megabytes.
	MediaConcurrency int
	// MediaQueue is how many more uploads may wait for their turn before
	// the next is refused with media.ErrBusy; 0 means DefaultMediaQueue.
	MediaQueue int
	// MediaUploadsPerHour is each user's limit of accepted uploads per
	// hour; 0 means media.UploadsPerHour.
	MediaUploadsPerHour int
	// PushNotifications queues a push delivery with every notification;
	// cmd/server turns it on when PUSH_WEBHOOK_URL is set.
	PushNotifications bool
	// SMSNotifications queues an SMS delivery with the notifications that
	// go by SMS (AUCTION_WON, ORDER_PLACED); cmd/server turns it on when
	// the instance can send text messages (an SMS gateway, or the console
	// in development).
	SMSNotifications bool
}

// Deps are the ports the core is built from. Every field is required
// except the optional collaborators, which do nothing when left nil.
type Deps struct {
	Tx     ports.Transactor
	Repos  ports.Repos
	Clock  ports.Clock
	Pinger ports.Pinger
	SMS    ports.SMSSender
	Tokens ports.TokenIssuer
	Config Config

	// Optional collaborators.

	// Metrics counts business events.
	Metrics ports.Metrics
	// ProductCache is told of every committed product change; leave it nil
	// when Repos.Products is read uncached.
	ProductCache ports.ProductCache
	// Reporter hears of failures the core handles itself (a panicking
	// event subscriber).
	Reporter ports.ErrorReporter
	// Projections write rows that commit with the events of every
	// transaction (see Projection); the core adds its own.
	Projections []Projection
	// MediaStore keeps photo bytes and Images re-encodes uploads; left
	// nil, uploads answer domain.ErrUnavailable.
	MediaStore ports.MediaStore
	Images     ports.ImageProcessor
	// MediaMetrics counts uploads.
	MediaMetrics ports.MediaMetrics
}

// App is the application core: one service per area, and the relay that
// hands committed events to what reacts to them.
type App struct {
	Auth     *AuthService
	Health   *HealthService
	Catalog  *CatalogService
	Orders   *OrderService
	Auctions *AuctionService
	Users    *UserService
	Audit    *AuditService
	// Reference serves the reference lists from a copy in memory.
	Reference *ReferenceService
	// Notifications serves users' inboxes; Streams wakes their live
	// streams.
	Notifications *NotificationService
	Streams       *StreamHub
	// Events must be the store's EventSink (SetEventSink) before the
	// store commits anything, and hears other instances' events too.
	Events *Relay
	// Media handles photo uploads; it needs Deps.MediaStore and Images.
	Media *MediaService

	tx    ports.Transactor
	repos ports.Repos
	clock ports.Clock
}

// New returns the core built from d, or an error naming every missing
// dependency.
func New(d Deps) (*App, error) {
	var missing []string
	for name, ok := range map[string]bool{
		"Tx": d.Tx != nil, "Clock": d.Clock != nil, "Pinger": d.Pinger != nil,
		"SMS": d.SMS != nil, "Tokens": d.Tokens != nil,
	} {
		if !ok {
			missing = append(missing, "Deps."+name)
		}
	}
	for _, name := range d.Repos.Missing() {
		missing = append(missing, "Deps.Repos."+name)
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("app: missing %s", strings.Join(missing, ", "))
	}
	if len(d.Config.CodeHashKey) < 32 {
		return nil, errors.New("app: Config.CodeHashKey must be at least 32 bytes")
	}
	if d.Metrics == nil {
		d.Metrics = nopMetrics{}
	}
	if d.ProductCache == nil {
		d.ProductCache = nopCache{}
	}
	if d.Reporter == nil {
		d.Reporter = nopReporter{}
	}
	if d.MediaStore == nil {
		d.MediaStore = nopMediaStore{}
	}
	if d.Images == nil {
		d.Images = nopImages{}
	}
	if d.MediaMetrics == nil {
		d.MediaMetrics = nopMediaMetrics{}
	}
	if d.Config.AuctionMinDuration == 0 {
		d.Config.AuctionMinDuration = DefaultAuctionMinDuration
	}
	relay := NewRelay(d.Reporter)
	relay.Subscribe("product-cache", evictProducts(d.ProductCache))
	relay.Subscribe("metrics", countEvents(d.Metrics))
	streams := NewStreamHub()
	relay.Subscribe("streams", streams.Subscription)
	d.Tx = &projectingTx{inner: d.Tx, projections: append([]Projection{auditProjection(d.Clock),
		notificationProjection(d.Clock, d.Config.PushNotifications, d.Config.SMSNotifications)}, d.Projections...)}
	r := d.Repos
	refs := newReferenceService(d.Tx, r.Reference, d.Clock)
	relay.Subscribe("reference-cache", refs.invalidateOnChange)
	return &App{
		Auth:      newAuthService(d.Tx, r.Users, r.Challenges, r.Sessions, d.Clock, d.SMS, d.Tokens, d.Metrics, d.Config),
		Health:    newHealthService(d.Pinger),
		Catalog:   newCatalogService(d.Tx, r.Categories, r.Products, r.Media, d.Clock, d.Config.ProductModeration, refs),
		Reference: refs,
		Orders:    newOrderService(d.Tx, r.Orders, d.Clock),
		Auctions:  newAuctionService(d.Tx, r.Auctions, d.Clock, d.Config),
		Users:     &UserService{tx: d.Tx, users: r.Users, clock: d.Clock},
		Audit:     &AuditService{log: r.Audit},
		Media:     newMediaService(r.Media, d.MediaStore, d.Images, d.Clock, d.MediaMetrics, d.Config),
		Events:    relay,
		tx:        d.Tx,
		repos:     d.Repos,
		clock:     d.Clock,

		Notifications: newNotificationService(r.Notifications, r.Users, r.Sessions, d.Clock),
		Streams:       streams,
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

// nopCache stands in when Deps.ProductCache is nil: nothing to evict.
type nopCache struct{}

func (nopCache) Evict(string) {}

// nopReporter stands in when Deps.Reporter is nil.
type nopReporter struct{}

func (nopReporter) Report(context.Context, error, map[string]string) {}
func (nopReporter) Flush(time.Duration)                              {}

// nopMetrics counts nothing; it stands in when Deps.Metrics is nil.
type nopMetrics struct{}

func (nopMetrics) OTPSent()           {}
func (nopMetrics) OTPVerifyFailed()   {}
func (nopMetrics) OrderCreated()      {}
func (nopMetrics) OrderCancelled()    {}
func (nopMetrics) BidPlaced()         {}
func (nopMetrics) AuctionClosed(bool) {}
