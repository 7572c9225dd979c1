package main

import (
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfigDefaults(t *testing.T) {
	c, err := loadConfig(env(nil))
	if err != nil {
		t.Fatalf("loadConfig(empty) error = %v", err)
	}
	if c.Port != 3000 || c.AppEnv != "development" || c.DatabaseURL != "" || !c.ProductModeration ||
		c.AuctionMinDuration != time.Hour || c.AuctionAntiSnipeWindow != 2*time.Minute || c.RateLimitOTPPerIP != 30 ||
		c.SentryTracesSampleRate != 1.0 || c.CacheSizeMB != 64 || c.DemoData || len(c.JWTSecret) < 32 || !c.jwtSecretGenerated {
		t.Errorf("defaults = %+v", c)
	}
}

func TestLoadConfigProduction(t *testing.T) {
	c, err := loadConfig(env(map[string]string{"APP_ENV": "production", "JWT_SECRET": strings.Repeat("s", 32),
		"DATABASE_URL": "postgres://db.internal/sb"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.SentryTracesSampleRate != 0.1 {
		t.Errorf("production traces sample rate = %v, want 0.1", c.SentryTracesSampleRate)
	}
}

func TestLoadConfigRefusesBadValues(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"port", map[string]string{"PORT": "70000"}, "PORT"},
		{"port not a number", map[string]string{"PORT": "http"}, "PORT"},
		{"app env", map[string]string{"APP_ENV": "staging"}, "APP_ENV"},
		{"short secret", map[string]string{"JWT_SECRET": "short"}, "JWT_SECRET"},
		{"no secret in production", map[string]string{"APP_ENV": "production"}, "JWT_SECRET"},
		{"test codes in production", map[string]string{"APP_ENV": "production", "JWT_SECRET": strings.Repeat("s", 32), "OTP_TEST_CODES": "+998900000001=123456"}, "OTP_TEST_CODES"},
		{"malformed test codes", map[string]string{"OTP_TEST_CODES": "+998900000001:123456"}, "OTP_TEST_CODES"},
		{"admin phones", map[string]string{"ADMIN_PHONES": "+998901234567,12"}, "ADMIN_PHONES"},
		{"moderation", map[string]string{"PRODUCT_MODERATION": "maybe"}, "PRODUCT_MODERATION"},
		{"auction duration", map[string]string{"AUCTION_MIN_DURATION": "1 hour"}, "AUCTION_MIN_DURATION"},
		{"sample rate", map[string]string{"SENTRY_TRACES_SAMPLE_RATE": "2"}, "SENTRY_TRACES_SAMPLE_RATE"},
		{"sentry dsn", map[string]string{"SENTRY_DSN": "not a dsn"}, "SENTRY_DSN"},
		{"log level", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"cache size", map[string]string{"CACHE_SIZE_MB": "0"}, "CACHE_SIZE_MB"},
		{"sms webhook", map[string]string{"SMS_WEBHOOK_URL": "smtp://x"}, "SMS_WEBHOOK_URL"},
		{"database url", map[string]string{"DATABASE_URL": "mysql://root:hunter2@db/x"}, "DATABASE_URL"},
		{"production without a database", map[string]string{"APP_ENV": "production", "JWT_SECRET": strings.Repeat("s", 32)}, "DATABASE_URL: is required when APP_ENV=production"},
		{"trusted proxies", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8,10.0.0.0/33"}, "TRUSTED_PROXIES"},
		{"trusted proxies not an address", map[string]string{"TRUSTED_PROXIES": "proxy.internal"}, "TRUSTED_PROXIES"},
		{"cors wildcard", map[string]string{"CORS_ALLOWED_ORIGINS": "*"}, "CORS_ALLOWED_ORIGINS"},
		{"lease within the send timeout", map[string]string{"NOTIFICATION_LEASE": "10s"}, "NOTIFICATION_LEASE"},
		{"no auction streams", map[string]string{"AUCTION_STREAMS_PER_IP": "0"}, "AUCTION_STREAMS_PER_IP"},
		{"cors with a path", map[string]string{"CORS_ALLOWED_ORIGINS": "https://admin.example.uz/app"}, "CORS_ALLOWED_ORIGINS"},
		{"cors without a scheme", map[string]string{"CORS_ALLOWED_ORIGINS": "admin.example.uz"}, "CORS_ALLOWED_ORIGINS"},
		{"metrics token with a space", map[string]string{"METRICS_TOKEN": "two words"}, "METRICS_TOKEN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfig(env(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("loadConfig(%v) error = %v, want one naming %s", tc.env, err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error echoes a password: %v", err)
			}
		})
	}
}

func TestConfigLogValueHidesSecrets(t *testing.T) {
	c, err := loadConfig(env(map[string]string{
		"DATABASE_URL":   "postgres://app:hunter2@db.internal:5432/sb",
		"JWT_SECRET":     "a-very-secret-value-of-32-bytes-or-more",
		"SENTRY_DSN":     "https://publickey@sentry.example/7",
		"OTP_TEST_CODES": "+998900000001=123456",
	}))
	if err != nil {
		t.Fatal(err)
	}
	printed := c.LogValue().String()
	for _, secret := range []string{"hunter2", "a-very-secret", "publickey", "123456"} {
		if strings.Contains(printed, secret) {
			t.Errorf("config log value contains %q: %s", secret, printed)
		}
	}
	if !strings.Contains(printed, "db.internal") {
		t.Errorf("config log value lost the database host: %s", printed)
	}
}

func TestMediaConfig(t *testing.T) {
	c, err := loadConfig(env(nil))
	if err != nil || c.MediaStore != "file://./data/media" || c.MediaPublicURL != "" || c.MediaMaxBytes != 10<<20 {
		t.Fatalf("media defaults = %q %q %d, %v", c.MediaStore, c.MediaPublicURL, c.MediaMaxBytes, err)
	}
	c, err = loadConfig(env(map[string]string{"MEDIA_STORE": "s3://photos?region=eu-central-1",
		"MEDIA_PUBLIC_URL": "https://cdn.example.uz/media", "MEDIA_MAX_BYTES": "2000000"}))
	if err != nil || c.MediaStore != "s3://photos?region=eu-central-1" || c.MediaMaxBytes != 2000000 {
		t.Fatalf("media settings = %q %d, %v", c.MediaStore, c.MediaMaxBytes, err)
	}
	for name, val := range map[string]string{"MEDIA_STORE": "gs://bucket", "MEDIA_PUBLIC_URL": "cdn.example.uz", "MEDIA_MAX_BYTES": "ten"} {
		if _, err := loadConfig(env(map[string]string{name: val})); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: error = %v, want one naming the variable", name, val, err)
		}
	}
}

func TestLoadConfigEdge(t *testing.T) {
	c, err := loadConfig(env(map[string]string{
		"TRUSTED_PROXIES":      " 10.0.0.0/8, 192.168.1.77 ,2001:db8::/32, 172.16.5.9/12",
		"CORS_ALLOWED_ORIGINS": "https://Admin.Example.uz, http://localhost:5173/",
		"METRICS_TOKEN":        "scrape-me-0123456789",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var proxies []string
	for _, p := range c.TrustedProxies {
		proxies = append(proxies, p.String())
	}
	if got, want := strings.Join(proxies, ","), "10.0.0.0/8,192.168.1.77/32,2001:db8::/32,172.16.0.0/12"; got != want {
		t.Errorf("TrustedProxies = %s, want %s", got, want)
	}
	if got, want := strings.Join(c.CORSAllowedOrigins, ","), "https://admin.example.uz,http://localhost:5173"; got != want {
		t.Errorf("CORSAllowedOrigins = %s, want %s", got, want)
	}
	if c.MetricsToken != "scrape-me-0123456789" {
		t.Errorf("MetricsToken = %q", c.MetricsToken)
	}
	if printed := c.LogValue().String(); strings.Contains(printed, "scrape-me") {
		t.Errorf("config log value shows the metrics token: %s", printed)
	}
}

// TestRunRefusesProductionWithoutDatabase: the process exits with the
// reason before it serves anything.
func TestRunRefusesProductionWithoutDatabase(t *testing.T) {
	err := run(t.Context(), nil, env(map[string]string{"APP_ENV": "production", "JWT_SECRET": strings.Repeat("s", 32), "PORT": "1"}))
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL: is required when APP_ENV=production") {
		t.Fatalf("run(production, no DATABASE_URL) = %v, want a refusal naming DATABASE_URL", err)
	}
}

// TestGOMEMLIMITIsHonoured: a GOMEMLIMIT the runtime applied is left
// alone; without one the server sets its default, which follows
// CACHE_SIZE_MB.
func TestGOMEMLIMITIsHonoured(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	const set = 50 << 20 // as if the runtime had read GOMEMLIMIT=50MiB
	debug.SetMemoryLimit(set)
	setDefaultMemoryLimit(env(map[string]string{"GOMEMLIMIT": "50MiB"}), 64)
	if got := debug.SetMemoryLimit(-1); got != set {
		t.Fatalf("with GOMEMLIMIT set the limit became %d, want it left at %d", got, set)
	}
	setDefaultMemoryLimit(env(map[string]string{"CACHE_SIZE_MB": "128"}), 128)
	if got, want := debug.SetMemoryLimit(-1), int64(128+320)<<20; got != want {
		t.Fatalf("without GOMEMLIMIT the limit is %d, want %d", got, want)
	}
}
