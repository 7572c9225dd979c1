// Package system assembles the whole marketplace from the adapters its
// caller chose: the product cache in front of the store, the core, the
// event relay and its subscribers, the HTTP server and the background
// workers. cmd/server and the acceptance tests build through it, so tests
// run what production runs. Start-up and shutdown order are written once,
// here: Run starts the workers and the listener, and on cancellation
// drains, shuts HTTP down, stops the workers and closes the store last.
package system

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/secondbloom/marketplace/adapters/cache"
	"github.com/secondbloom/marketplace/adapters/clock"
	httpadapter "github.com/secondbloom/marketplace/adapters/http"
	"github.com/secondbloom/marketplace/adapters/metrics"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/domain/notification"
	"github.com/secondbloom/marketplace/ports"
)

// Store is what the system needs of a storage adapter.
type Store interface {
	ports.Transactor
	ports.Pinger
	ports.EventLog
	ports.DeliveryQueue
	Repos() ports.Repos
	// SetEventSink registers the receiver of this process's committed
	// events.
	SetEventSink(ports.EventSink)
}

// sharedStore is a store other instances write to as well (Postgres): its
// events reach this instance through a listener.
type sharedStore interface {
	ListenEvents(ctx context.Context, heard func([]event.Event), ready chan<- struct{})
}

// Intervals of the background workers.
const (
	// StoreWatchInterval is how often the store's circuit breaker pings
	// the database. With the 1 s ping timeout, a request stuck on a
	// database that went away is cut short within 1.5 s, inside the 2 s
	// readiness budget.
	StoreWatchInterval = 500 * time.Millisecond
	// PurgeInterval is how often expired idempotency keys and old events
	// are deleted.
	PurgeInterval = time.Hour
	// DefaultEventRetention is how long committed events stay in the
	// outbox: long enough for any instance to catch up after an outage.
	DefaultEventRetention = 7 * 24 * time.Hour
	// ShutdownTimeout bounds how long in-flight requests may take to
	// finish once draining is over.
	ShutdownTimeout = 20 * time.Second
	// listenerStartTimeout bounds how long Start waits for the event
	// listener to be in place.
	listenerStartTimeout = 5 * time.Second
)

// Config holds the adapters and settings the system is built from.
type Config struct {
	// Store is required. CloseStore, when set, is called last by Close.
	Store      Store
	CloseStore func() error
	// SMS and Tokens are required.
	SMS    ports.SMSSender
	Tokens ports.TokenIssuer
	// Clock defaults to the system clock.
	Clock ports.Clock
	// Metrics, when set, counts business events, cache hits and readiness
	// (the HTTP middleware and handler are the caller's, in HTTP).
	Metrics *metrics.Metrics
	// Reporter, when set, hears of worker failures and subscriber panics.
	Reporter ports.ErrorReporter
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Core is the business configuration.
	Core app.Config
	// CacheSizeMB bounds the product and list caches together; 0 means
	// 64. A quarter (at least 1 MB) keeps list pages, the rest products
	// (see CacheBudget).
	CacheSizeMB int
	// HTTP configures the HTTP adapter.
	HTTP httpadapter.Options
	// Push, when set, receives every notification (PUSH_WEBHOOK_URL);
	// nil keeps notifications in the inbox (and SMS).
	Push ports.PushSender
	// Texts sends notifications by SMS; it defaults to SMS when that
	// sender can send text messages too.
	Texts ports.TextSender
	// ManualDispatcher leaves the notification dispatcher off, for tests
	// that run it themselves.
	ManualDispatcher bool
	// SendTimeout bounds one delivery attempt; 0 means the contract's
	// 10 s.
	SendTimeout time.Duration
	// DispatchLease is how long a claimed delivery is held before another
	// instance may take it (a crashed one's); 0 means app.DispatchLease.
	DispatchLease time.Duration
	// ManualCloser leaves the auction closer off, for tests that close
	// auctions themselves at chosen moments.
	ManualCloser bool
	// EventRetention defaults to DefaultEventRetention.
	EventRetention time.Duration
	// MediaStore keeps photo bytes and Images re-encodes uploads; without
	// them uploads answer 503. The caller closes MediaStore.
	MediaStore ports.MediaStore
	Images     ports.ImageProcessor
	// ManualJanitor leaves the media janitor off, for tests that sweep
	// themselves (Core.Media.Sweep) with a fake clock.
	ManualJanitor bool
}

// System is one running instance of the marketplace.
type System struct {
	Core   *app.App
	Server *httpadapter.Server
	Cache  *cache.Products
	// Lists keeps the rendered public list pages.
	Lists *cache.Lists
	// Dispatcher delivers notifications by push and SMS.
	Dispatcher *app.Dispatcher

	cfg     Config
	log     *slog.Logger
	workers sync.WaitGroup
	stop    context.CancelFunc
	started bool
	closed  bool
}

// New builds the system. It returns an error naming what is missing or
// refused; nothing is left open then (CloseStore is not called: the store
// is still the caller's).
func New(cfg Config) (*System, error) {
	if cfg.Store == nil {
		return nil, errors.New("system: Config.Store is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.EventRetention <= 0 {
		cfg.EventRetention = DefaultEventRetention
	}
	if cfg.Reporter == nil {
		cfg.Reporter = nopReporter{}
	}
	repos := cfg.Store.Repos()
	cfg.Core.PushNotifications = cfg.Push != nil
	if t, ok := cfg.SMS.(ports.TextSender); ok && cfg.Texts == nil {
		cfg.Texts = t
	}
	cfg.Core.SMSNotifications = cfg.Texts != nil
	productsMB, listsMB := CacheBudget(cfg.CacheSizeMB)
	copts := cache.Options{SizeMB: productsMB}
	lopts := cache.ListOptions{SizeMB: listsMB}
	deps := app.Deps{Tx: cfg.Store, Clock: cfg.Clock, Pinger: cfg.Store, SMS: cfg.SMS, Tokens: cfg.Tokens,
		Reporter: cfg.Reporter, Config: cfg.Core, MediaStore: cfg.MediaStore, Images: cfg.Images}
	if cfg.Metrics != nil {
		copts.Counter = cfg.Metrics.Cache("products")
		lopts.Counter = cfg.Metrics.Cache("lists")
		deps.Metrics = cfg.Metrics
		deps.MediaMetrics = cfg.Metrics
	}
	products, err := cache.New(repos.Products, copts)
	if err != nil {
		return nil, err
	}
	repos.Products = products
	deps.Repos = repos
	deps.ProductCache = products
	core, err := app.New(deps)
	if err != nil {
		_ = products.Close()
		return nil, err
	}
	dd := app.DispatcherDeps{Queue: cfg.Store, Users: repos.Users, Clock: cfg.Clock, Push: cfg.Push, SMS: cfg.Texts,
		SendTimeout: cfg.SendTimeout, Lease: cfg.DispatchLease}
	if cfg.Metrics != nil {
		dd.Counted = func(ch notification.Channel, result string) { cfg.Metrics.NotificationDelivered(string(ch), result) }
	}
	dispatcher, err := app.NewDispatcher(dd)
	if err != nil {
		_ = products.Close()
		return nil, err
	}
	core.Events.Subscribe("dispatcher", dispatcher.Subscription)
	lists := cache.NewLists(lopts)
	core.Events.Subscribe("list-cache", func(d app.Delivery) { lists.Observe(d.Events) })
	cfg.Store.SetEventSink(core.Events)
	if cfg.HTTP.Logger == nil {
		cfg.HTTP.Logger = cfg.Logger
	}
	if cfg.HTTP.Reporter == nil {
		cfg.HTTP.Reporter = cfg.Reporter
	}
	if cfg.HTTP.ListCache == nil {
		cfg.HTTP.ListCache = lists
	}
	srv := httpadapter.New(core, cfg.HTTP)
	if cfg.Metrics != nil {
		cfg.Metrics.RegisterReadiness(func(ctx context.Context) error {
			if srv.Draining() {
				return errors.New("draining for shutdown")
			}
			return core.Health.Ready(ctx)
		})
	}
	if cfg.Metrics != nil {
		cfg.Metrics.RegisterNotifications(dispatcher.Backlog, func() (int, int) { return core.Streams.Open() })
	}
	return &System{Core: core, Server: srv, Cache: products, Lists: lists, Dispatcher: dispatcher, cfg: cfg, log: cfg.Logger}, nil
}

// CacheBudget splits CACHE_SIZE_MB between the product cache and the
// list cache: a quarter, at least 1 MB, for list pages, the rest (at
// least 1 MB) for products. 0 means 64.
func CacheBudget(totalMB int) (productsMB, listsMB int) {
	if totalMB <= 0 {
		totalMB = 64
	}
	listsMB = max(1, totalMB/4)
	productsMB = max(1, totalMB-listsMB)
	return productsMB, listsMB
}

// Start starts the background workers: the listener for other instances'
// events (waiting until it is in place, so no write after Start is
// missed), the store watch, the purges and, unless ManualCloser, the
// auction closer and, unless ManualJanitor, the media janitor. They run until Close.
func (s *System) Start() {
	if s.started {
		return
	}
	s.started = true
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	if shared, ok := s.cfg.Store.(sharedStore); ok {
		ready := make(chan struct{})
		s.worker(func() { shared.ListenEvents(ctx, s.Core.Events.Heard, ready) })
		select {
		case <-ready:
		case <-time.After(listenerStartTimeout):
			s.log.Warn("the event listener is not connected yet; other instances' writes reach this cache once it is")
		}
	}
	s.worker(func() { s.Core.Health.Watch(ctx, StoreWatchInterval) })
	s.worker(func() { s.purge(ctx) })
	if !s.cfg.ManualDispatcher {
		// Stopped by Close before the store closes: sends in flight finish
		// and are recorded, claimed deliveries not yet sent are released.
		s.worker(func() {
			s.Dispatcher.Run(ctx, app.DispatchInterval, func(err error) {
				s.fail(ctx, "dispatcher", "dispatching notifications", err)
			})
		})
	}
	if !s.cfg.ManualCloser {
		s.worker(func() {
			s.Core.Auctions.RunCloser(ctx, app.CloseInterval, func(err error) {
				// The auction stays ACTIVE and is retried at the next
				// tick; a failure that repeats is a bug or an outage.
				s.fail(ctx, "auction-closer", "closing auctions", err)
			})
		})
	}
	if !s.cfg.ManualJanitor {
		s.worker(func() {
			s.Core.Media.RunJanitor(ctx, app.JanitorInterval, func(err error) {
				// The photo stays and is retried at the next tick.
				s.fail(ctx, "media-janitor", "deleting unattached media", err)
			})
		})
	}
}

func (s *System) worker(fn func()) {
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		fn()
	}()
}

func (s *System) fail(ctx context.Context, worker, msg string, err error) {
	s.log.Error(msg, "error", err.Error())
	s.cfg.Reporter.Report(ctx, err, map[string]string{"worker": worker})
}

// purge deletes expired idempotency keys and old events every
// PurgeInterval until ctx ends. Every instance may run it: deleting the
// same rows twice is harmless.
func (s *System) purge(ctx context.Context) {
	t := time.NewTicker(PurgeInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := s.Core.PurgeIdempotencyKeys(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("purging idempotency keys", "error", err.Error())
		} else if n > 0 {
			s.log.Info("purged idempotency keys", "deleted", n)
		}
		before := s.cfg.Clock.Now().Add(-s.cfg.EventRetention)
		if n, err := s.cfg.Store.DeleteEventsBefore(ctx, before); err != nil && ctx.Err() == nil {
			s.log.Warn("pruning events", "error", err.Error())
		} else if n > 0 {
			s.log.Info("pruned events", "deleted", n)
		}
	}
}

// Run starts the workers, serves HTTP on addr until ctx ends, and then
// shuts down in order: readiness turns 503, drain passes, in-flight
// requests finish, workers stop, the store closes. It returns the
// listener's error if serving failed, after closing everything.
func (s *System) Run(ctx context.Context, addr string, drain time.Duration) error {
	s.Start()
	listenErr := make(chan error, 1)
	go func() { listenErr <- s.Server.Listen(addr) }()
	s.log.Info("listening", "addr", addr)
	select {
	case err := <-listenErr:
		return errors.Join(fmt.Errorf("listen: %w", err), s.Close())
	case <-ctx.Done():
	}
	s.log.Info("shutting down: readiness now reports 503", "drain", drain.String())
	s.Server.StartDraining()
	time.Sleep(drain)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := s.Server.Shutdown(shutdownCtx); err != nil {
		s.log.Error("http shutdown", "error", err.Error())
	}
	return s.Close()
}

// Close stops the workers, waits for them, releases the cache and closes
// the store (when the system owns it). It is safe to call twice.
func (s *System) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.stop != nil {
		s.stop()
	}
	s.workers.Wait()
	err := s.Cache.Close()
	if s.cfg.CloseStore != nil {
		err = errors.Join(err, s.cfg.CloseStore())
	}
	return err
}

// nopReporter stands in when Config.Reporter is nil.
type nopReporter struct{}

func (nopReporter) Report(context.Context, error, map[string]string) {}
func (nopReporter) Flush(time.Duration)                              {}
