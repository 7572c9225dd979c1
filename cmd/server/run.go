package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/secondbloom/marketplace/adapters/cache"
	"github.com/secondbloom/marketplace/adapters/clock"
	httpadapter "github.com/secondbloom/marketplace/adapters/http"
	"github.com/secondbloom/marketplace/adapters/jwt"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/adapters/metrics"
	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/adapters/sentry"
	"github.com/secondbloom/marketplace/adapters/sms"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/ports"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// storeWatchInterval is how often the store's circuit breaker pings the
// database. With the 1 s ping timeout, a request stuck on a database that
// went away is cut short within 1.5 s, inside the 2 s of API.md section 2.
const storeWatchInterval = 500 * time.Millisecond

// shutdownTimeout bounds how long in-flight requests may take to finish.
const shutdownTimeout = 20 * time.Second

func run(ctx context.Context, args []string, getenv func(string) string) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))
	slog.SetDefault(log)

	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log)
	case "migrate":
		return migrate(ctx, cfg, log)
	default:
		return fmt.Errorf("unknown command %q (want serve or migrate)", cmd)
	}
}

func migrate(ctx context.Context, cfg config, log *slog.Logger) error {
	if cfg.DatabaseURL == "" {
		return errors.New("migrate: DATABASE_URL is required")
	}
	db, err := postgres.Open(cfg.DatabaseURL, postgres.Options{MaxOpenConns: 2})
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	log.Info("migrations applied", "applied", applied)
	return nil
}

// storage is what serve needs of a store, whichever it is.
type storage interface {
	ports.Transactor
	ports.Pinger
	Repos() ports.Repos
}

// serve wires the adapters, starts the server and, when ctx ends, shuts
// down in order: readiness turns 503, a drain period passes, in-flight
// requests finish, the database closes, and queued Sentry events are
// flushed last.
func serve(ctx context.Context, cfg config, log *slog.Logger) error {
	log.Info("starting", "version", version, "config", cfg)
	if cfg.jwtSecretGenerated {
		log.Warn("JWT_SECRET is not set: using a random secret, so tokens die with this process")
	}

	reporter, err := sentry.New(sentry.Options{
		DSN:              cfg.SentryDSN,
		Environment:      cfg.AppEnv,
		Release:          version,
		TracesSampleRate: cfg.SentryTracesSampleRate,
	})
	if err != nil {
		return err
	}
	mtr := metrics.New()

	var (
		store   storage
		closeDB = func() error { return nil }
		// watch subscribes the product cache to the store's change feed.
		watch func(ctx context.Context, pc *cache.Products)
	)
	if cfg.DatabaseURL == "" {
		log.Warn("DATABASE_URL is empty: using the in-memory store; all data is lost when the server stops")
		mem := memory.New()
		store = mem
		watch = func(_ context.Context, pc *cache.Products) { mem.OnProductChange(pc.Evict) }
	} else {
		db, err := postgres.Open(cfg.DatabaseURL, postgres.Options{MaxOpenConns: cfg.DBMaxConns})
		if err != nil {
			return err
		}
		closeDB = db.Close
		mtr.RegisterDBStats(db.Stats)
		if _, err := db.Migrate(ctx); err != nil {
			db.Close()
			return fmt.Errorf("migrate: %w", err)
		}
		store = db
		watch = func(ctx context.Context, pc *cache.Products) {
			db.OnProductChange(pc.Evict)
			go db.ListenProductChanges(ctx, pc.Evict, pc.Flush)
		}
	}

	repos := store.Repos()
	products, err := cache.New(repos.Products, cache.Options{SizeMB: cfg.CacheSizeMB, Counter: mtr.Cache("products")})
	if err != nil {
		closeDB()
		return err
	}
	defer products.Close()
	repos.Products = products
	listenCtx, stopListening := context.WithCancel(ctx)
	defer stopListening()
	watch(listenCtx, products)

	sender, err := smsSender(cfg, log)
	if err != nil {
		closeDB()
		return err
	}
	tokens, err := jwt.New(cfg.JWTSecret)
	if err != nil {
		closeDB()
		return err
	}
	core, err := app.New(app.Deps{
		Tx:           store,
		Repos:        repos,
		Clock:        clock.System{},
		Pinger:       store,
		SMS:          sender,
		Tokens:       tokens,
		Metrics:      mtr,
		ProductCache: products,
		Config: app.Config{
			AdminPhones:       cfg.AdminPhones,
			TestCodes:         cfg.OTPTestCodes,
			CodeHashKey:       deriveKey(cfg.JWTSecret, "otp-code-hash"),
			ProductModeration: cfg.ProductModeration,

			AuctionMinDuration:     cfg.AuctionMinDuration,
			AuctionAntiSnipeWindow: cfg.AuctionAntiSnipeWindow,
		},
	})
	if err != nil {
		closeDB()
		return err
	}
	if cfg.DemoData {
		seeded, err := core.SeedDemo(ctx)
		if err != nil {
			closeDB()
			return fmt.Errorf("demo data: %w", err)
		}
		log.Info("demo data", "seeded", seeded)
	}

	srv := httpadapter.New(core, httpadapter.Options{
		Version:        version,
		OTPPerIP:       cfg.RateLimitOTPPerIP,
		Logger:         log,
		Reporter:       reporter,
		Middleware:     append(reporter.Middleware(), mtr.Middleware()),
		MetricsHandler: mtr.Handler(),
		RequestTimeout: cfg.RequestTimeout,
		DefaultLocale:  cfg.DefaultLocale,
	})
	mtr.RegisterReadiness(func(ctx context.Context) error {
		if srv.Draining() {
			return errors.New("draining for shutdown")
		}
		return core.Health.Ready(ctx)
	})

	// Background workers run until shutdown and stop before the database
	// closes: the purge of old idempotency keys, the store watch and the
	// auction closer.
	workers, stopWorkerCtx := context.WithCancel(context.Background())
	purged := make(chan struct{})
	go func() {
		defer close(purged)
		purgeIdempotencyKeys(workers, core, log, time.Hour)
	}()
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		core.Health.Watch(workers, storeWatchInterval)
	}()
	closerDone := make(chan struct{})
	go func() {
		defer close(closerDone)
		core.Auctions.RunCloser(workers, app.CloseInterval, func(err error) {
			// The auction stays ACTIVE and is retried at the next tick; a
			// failure that repeats is a bug or an outage worth an alert.
			log.Error("closing auctions", "error", err.Error())
			reporter.Report(workers, err, map[string]string{"worker": "auction-closer"})
		})
	}()
	stopWorkers := func() {
		stopWorkerCtx()
		<-purged
		<-watched
		<-closerDone
	}

	listenErr := make(chan error, 1)
	go func() { listenErr <- srv.Listen(cfg.addr()) }()
	log.Info("listening", "addr", cfg.addr())

	select {
	case err := <-listenErr:
		stopWorkers()
		closeDB()
		return fmt.Errorf("listen: %w", err)
	case <-ctx.Done():
	}

	log.Info("shutting down: readiness now reports 503", "drain", cfg.ShutdownDrain.String())
	srv.StartDraining()
	time.Sleep(cfg.ShutdownDrain)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Error("http shutdown", "error", err.Error())
	}
	stopListening()
	stopWorkers()
	if err := closeDB(); err != nil {
		log.Error("closing the database", "error", err.Error())
	}
	// Last, so errors of the shutdown itself are sent too; bounded so a
	// dead Sentry cannot hold the exit past the 30 s budget.
	reporter.Flush(2 * time.Second)
	log.Info("stopped")
	return nil
}

// smsSender picks the SMS gateway: the webhook when configured, otherwise
// the console outside production. A production server without a gateway
// still serves everything else; send-otp answers 503 until one is set.
func smsSender(cfg config, log *slog.Logger) (ports.SMSSender, error) {
	switch {
	case cfg.SMSWebhookURL != "":
		return sms.NewWebhook(cfg.SMSWebhookURL, cfg.SMSWebhookToken)
	case cfg.AppEnv == "production":
		log.Error("SMS_WEBHOOK_URL is not set: sign-in codes cannot be delivered and send-otp will answer 503")
		return sms.Unconfigured{}, nil
	default:
		log.Warn("SMS_WEBHOOK_URL is not set: sign-in codes are printed to this console instead of being sent")
		return sms.NewConsole(os.Stdout, cfg.AppEnv)
	}
}

// deriveKey derives a purpose-bound key from the master secret, so the
// code-hash key and the token key are never the same bytes.
func deriveKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// purgeIdempotencyKeys deletes expired Idempotency-Key records every
// interval until ctx ends. Every instance may run it: deletes of the same
// rows are harmless.
func purgeIdempotencyKeys(ctx context.Context, core *app.App, log *slog.Logger, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := core.PurgeIdempotencyKeys(ctx); err != nil && ctx.Err() == nil {
				log.Warn("purging idempotency keys", "error", err.Error())
			} else if n > 0 {
				log.Info("purged idempotency keys", "deleted", n)
			}
		}
	}
}
