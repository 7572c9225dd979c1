package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/secondbloom/marketplace/adapters/blobstore"
	"github.com/secondbloom/marketplace/adapters/clock"
	httpadapter "github.com/secondbloom/marketplace/adapters/http"
	"github.com/secondbloom/marketplace/adapters/imaging"
	"github.com/secondbloom/marketplace/adapters/jwt"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/adapters/metrics"
	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/adapters/push"
	"github.com/secondbloom/marketplace/adapters/sentry"
	"github.com/secondbloom/marketplace/adapters/sms"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/cmd/server/system"
	"github.com/secondbloom/marketplace/ports"
)

// defaultMemoryLimit is the soft memory limit of a server started without
// GOMEMLIMIT: the product cache plus room for requests and photo work.
func defaultMemoryLimit(cacheMB int) int64 { return int64(cacheMB+320) << 20 }

// setDefaultMemoryLimit sets defaultMemoryLimit as the soft memory limit
// unless GOMEMLIMIT is set, which the Go runtime has applied itself and
// which is left alone. Without it the collector gets a soft target so
// bursts of photo decoding do not leave the heap at twice its live size
// (ten concurrent 12 MP uploads peaked at 804 MB RSS without it, 385 MB
// with 350 MiB). It does not shape the RSS of ordinary traffic, whose heap
// stays far below it (docs/PERFORMANCE.md).
func setDefaultMemoryLimit(getenv func(string) string, cacheMB int) {
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit(cacheMB))
	}
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

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
		setDefaultMemoryLimit(getenv, cfg.CacheSizeMB)
		return serve(ctx, cfg, log)
	case "migrate":
		return migrate(ctx, cfg, log)
	case "user":
		return userCommand(ctx, cfg, args[1:], os.Stdout)
	default:
		return fmt.Errorf("unknown command %q (want serve, migrate or user)", cmd)
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

// serve wires the adapters into one system and runs it until ctx ends;
// system.Run owns the start-up and shutdown order. Sentry is flushed last,
// after the store has closed.
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
	// Last, so errors of the shutdown itself are sent too; bounded so a
	// dead Sentry cannot hold the exit past the 30 s budget.
	defer reporter.Flush(2 * time.Second)
	mtr := metrics.New()

	sc := system.Config{
		Clock:       clock.System{},
		Metrics:     mtr,
		Reporter:    reporter,
		Logger:      log,
		CacheSizeMB: cfg.CacheSizeMB,
		Core: app.Config{
			AdminPhones:            cfg.AdminPhones,
			TestCodes:              cfg.OTPTestCodes,
			CodeHashKey:            deriveKey(cfg.JWTSecret, "otp-code-hash"),
			ProductModeration:      cfg.ProductModeration,
			AuctionMinDuration:     cfg.AuctionMinDuration,
			AuctionAntiSnipeWindow: cfg.AuctionAntiSnipeWindow,
		},
		HTTP: httpadapter.Options{
			Version:        version,
			OTPPerIP:       cfg.RateLimitOTPPerIP,
			Logger:         log,
			Reporter:       reporter,
			Middleware:     append(reporter.Middleware(), mtr.Middleware()),
			MetricsHandler: mtr.Handler(),
			RequestTimeout: cfg.RequestTimeout,
			MediaMaxBytes:  cfg.MediaMaxBytes,
			MediaPublicURL: cfg.MediaPublicURL,
			TrustedProxies: cfg.TrustedProxies,
			// The store's rate limiter (set below), so every instance on
			// one database shares the per-IP budgets.
			CORSAllowedOrigins: cfg.CORSAllowedOrigins,
			MetricsToken:       cfg.MetricsToken,
			DefaultLocale:      cfg.DefaultLocale,
			// Per instance: each instance admits this many per client IP.
			AuctionStreamsPerIP: cfg.AuctionStreamsPerIP,
		},
		Images:        imaging.New(),
		DispatchLease: cfg.NotificationLease,
	}
	photos, err := blobstore.Open(ctx, cfg.MediaStore)
	if err != nil {
		return fmt.Errorf("MEDIA_STORE: %w", err)
	}
	defer photos.Close()
	sc.MediaStore = photos
	if sc.SMS, err = smsSender(cfg, log); err != nil {
		return err
	}
	if cfg.PushWebhookURL != "" {
		if sc.Push, err = push.New(cfg.PushWebhookURL); err != nil {
			return err
		}
	}
	if sc.Tokens, err = jwt.New(cfg.JWTSecret); err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		log.Warn("DATABASE_URL is empty: using the in-memory store; all data is lost when the server stops")
		sc.Store = memory.New()
		sc.HTTP.RateLimiter = memory.NewRateLimiter()
	} else {
		db, err := postgres.Open(cfg.DatabaseURL, postgres.Options{MaxOpenConns: cfg.DBMaxConns})
		if err != nil {
			return err
		}
		mtr.RegisterDBStats(db.Stats)
		if _, err := db.Migrate(ctx); err != nil {
			db.Close()
			return fmt.Errorf("migrate: %w", err)
		}
		sc.Store, sc.CloseStore = db, db.Close
		sc.HTTP.RateLimiter = postgres.NewRateLimiter(db)
	}
	sys, err := system.New(sc)
	if err != nil {
		if sc.CloseStore != nil {
			sc.CloseStore()
		}
		return err
	}
	if cfg.DemoData {
		seeded, err := sys.Core.SeedDemo(ctx)
		if err != nil {
			return errors.Join(fmt.Errorf("demo data: %w", err), sys.Close())
		}
		log.Info("demo data", "seeded", seeded)
	}
	if err := sys.Run(ctx, cfg.addr(), cfg.ShutdownDrain); err != nil {
		log.Error("stopping", "error", err.Error())
		return err
	}
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
