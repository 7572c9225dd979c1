package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/phone"
)

// config is every setting of the server, read from the environment once at
// start (listed in README.md, "Configuration"). Secrets are masked by String.
type config struct {
	Port                   int
	Host                   string
	DatabaseURL            string
	AppEnv                 string
	JWTSecret              []byte
	jwtSecretGenerated     bool
	AdminPhones            []phone.Number
	OTPTestCodes           map[string]auth.Code
	ProductModeration      bool
	DefaultLocale          i18n.Locale
	AuctionMinDuration     time.Duration
	AuctionAntiSnipeWindow time.Duration
	RateLimitOTPPerIP      int
	SentryDSN              string
	SentryTracesSampleRate float64
	LogLevel               slog.Level
	CacheSizeMB            int
	DemoData               bool
	ShutdownDrain          time.Duration
	DBMaxConns             int
	SMSWebhookURL          string
	PushWebhookURL         string
	NotificationLease      time.Duration
	AuctionStreamsPerIP    int
	SMSWebhookToken        string
	RequestTimeout         time.Duration
	// MediaStore is where photo bytes live: file://DIR or s3://BUCKET?...
	MediaStore         string
	MediaPublicURL     string
	MediaMaxBytes      int64
	TrustedProxies     []netip.Prefix
	CORSAllowedOrigins []string
	MetricsToken       string
}

// loadConfig reads the environment through getenv and validates every
// value. The error names each offending variable.
func loadConfig(getenv func(string) string) (config, error) {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
	}
	str := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	integer := func(name string, def, min, max int) int {
		v := str(name, "")
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < min || n > max {
			bad(name, "must be an integer from %d to %d, got %q", min, max, v)
			return def
		}
		return n
	}
	boolean := func(name string, def bool) bool {
		v := str(name, "")
		if v == "" {
			return def
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad(name, "must be true or false, got %q", v)
			return def
		}
		return b
	}
	duration := func(name string, def, min time.Duration) time.Duration {
		v := str(name, "")
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < min {
			bad(name, "must be a duration such as 90s or 1h, at least %s, got %q", min, v)
			return def
		}
		return d
	}

	c := config{
		Port:                   integer("PORT", 3000, 1, 65535),
		Host:                   str("HOST", ""),
		DatabaseURL:            str("DATABASE_URL", ""),
		AppEnv:                 str("APP_ENV", "development"),
		ProductModeration:      boolean("PRODUCT_MODERATION", true),
		AuctionMinDuration:     duration("AUCTION_MIN_DURATION", time.Hour, time.Second),
		AuctionAntiSnipeWindow: duration("AUCTION_ANTI_SNIPE_WINDOW", 2*time.Minute, 0),
		RateLimitOTPPerIP:      integer("RATE_LIMIT_OTP_PER_IP", 30, 1, 1_000_000),
		SentryDSN:              str("SENTRY_DSN", ""),
		CacheSizeMB:            integer("CACHE_SIZE_MB", 64, 1, 65536),
		DemoData:               boolean("DEMO_DATA", false),
		ShutdownDrain:          duration("SHUTDOWN_DRAIN", 3*time.Second, 0),
		DBMaxConns:             integer("DB_MAX_CONNS", 0, 0, 1000), // 0: 4 per CPU (postgres.Options)
		SMSWebhookURL:          str("SMS_WEBHOOK_URL", ""),
		SMSWebhookToken:        str("SMS_WEBHOOK_TOKEN", ""),
		PushWebhookURL:         str("PUSH_WEBHOOK_URL", ""),
		NotificationLease:      duration("NOTIFICATION_LEASE", time.Minute, 15*time.Second),
		AuctionStreamsPerIP:    integer("AUCTION_STREAMS_PER_IP", 20, 1, 1_000_000),
		RequestTimeout:         duration("REQUEST_TIMEOUT", 10*time.Second, 100*time.Millisecond),
		MediaStore:             str("MEDIA_STORE", "file://./data/media"),
		MediaPublicURL:         str("MEDIA_PUBLIC_URL", ""),
		MediaMaxBytes:          int64(integer("MEDIA_MAX_BYTES", 10<<20, 1024, 100<<20)),
	}
	if u, err := url.Parse(c.MediaStore); err != nil || (u.Scheme != "file" && u.Scheme != "s3") || (u.Scheme == "s3" && u.Host == "") {
		// Never echo the value: an s3 URL may carry credentials.
		bad("MEDIA_STORE", "must be a file://DIR or s3://BUCKET URL")
	}
	if c.MediaPublicURL != "" {
		if u, err := url.Parse(c.MediaPublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("MEDIA_PUBLIC_URL", "must be an absolute http or https URL, got %q", c.MediaPublicURL)
		}
	}
	if l, err := i18n.ParseLocale(str("DEFAULT_LOCALE", "uz")); err != nil {
		bad("DEFAULT_LOCALE", "must be uz, ru or en, got %q", str("DEFAULT_LOCALE", ""))
	} else {
		c.DefaultLocale = l
	}
	switch c.AppEnv {
	case "development", "test", "production":
	default:
		bad("APP_ENV", "must be development, test or production, got %q", c.AppEnv)
	}
	prod := c.AppEnv == "production"

	if c.DatabaseURL != "" {
		if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			// Never echo the value: it may hold a password.
			bad("DATABASE_URL", "must be a postgres:// URL")
		}
	} else if prod {
		bad("DATABASE_URL", "is required when APP_ENV=production: the in-memory store loses every write when the server stops")
	}

	for _, raw := range splitList(getenv("TRUSTED_PROXIES")) {
		p, err := parseProxy(raw)
		if err != nil {
			bad("TRUSTED_PROXIES", "%q is not a CIDR such as 10.0.0.0/8 or an address", raw)
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	for _, raw := range splitList(getenv("CORS_ALLOWED_ORIGINS")) {
		o, err := parseOrigin(raw)
		if err != nil {
			bad("CORS_ALLOWED_ORIGINS", "%q %v", raw, err)
			continue
		}
		c.CORSAllowedOrigins = append(c.CORSAllowedOrigins, o)
	}
	c.MetricsToken = strings.TrimSpace(getenv("METRICS_TOKEN"))
	if strings.ContainsAny(c.MetricsToken, " \t,") {
		// Never echo the value: it is a secret.
		bad("METRICS_TOKEN", "must not contain spaces, tabs or commas")
	}

	if s := getenv("JWT_SECRET"); s != "" {
		if len(s) < 32 {
			bad("JWT_SECRET", "must be at least 32 bytes, got %d", len(s))
		}
		c.JWTSecret = []byte(s)
	} else if prod {
		bad("JWT_SECRET", "is required when APP_ENV=production")
	} else {
		c.JWTSecret = make([]byte, 32)
		if _, err := rand.Read(c.JWTSecret); err != nil {
			return c, err
		}
		c.jwtSecretGenerated = true
	}

	for _, raw := range splitList(getenv("ADMIN_PHONES")) {
		p, err := phone.Parse(raw)
		if err != nil {
			bad("ADMIN_PHONES", "%q is not an E.164 number", raw)
			continue
		}
		c.AdminPhones = append(c.AdminPhones, p)
	}

	if v := getenv("OTP_TEST_CODES"); v != "" {
		if prod {
			bad("OTP_TEST_CODES", "is refused when APP_ENV=production")
		}
		c.OTPTestCodes = map[string]auth.Code{}
		for _, pair := range splitList(v) {
			num, code, ok := strings.Cut(pair, "=")
			p, err := phone.Parse(strings.TrimSpace(num))
			code = strings.TrimSpace(code)
			if !ok || err != nil || !auth.ValidCodeFormat(code) {
				bad("OTP_TEST_CODES", "entries must look like +998900000001=123456")
				continue
			}
			c.OTPTestCodes[p.String()] = auth.Code(code)
		}
	}

	defRate := 1.0
	if prod {
		defRate = 0.1
	}
	c.SentryTracesSampleRate = defRate
	if v := str("SENTRY_TRACES_SAMPLE_RATE", ""); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			bad("SENTRY_TRACES_SAMPLE_RATE", "must be a number from 0 to 1, got %q", v)
		} else {
			c.SentryTracesSampleRate = f
		}
	}
	if c.SentryDSN != "" {
		if u, err := url.Parse(c.SentryDSN); err != nil || u.Host == "" || u.User == nil {
			bad("SENTRY_DSN", "must be a Sentry DSN such as https://key@host/1")
		}
	}

	if c.PushWebhookURL != "" {
		if u, err := url.Parse(c.PushWebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("PUSH_WEBHOOK_URL", "must be an http(s) URL")
		}
	}
	if c.SMSWebhookURL != "" {
		if u, err := url.Parse(c.SMSWebhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("SMS_WEBHOOK_URL", "must be an http(s) URL")
		}
	}

	switch strings.ToLower(str("LOG_LEVEL", "info")) {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		bad("LOG_LEVEL", "must be debug, info, warn or error, got %q", getenv("LOG_LEVEL"))
	}
	return c, errors.Join(errs...)
}

// parseProxy reads a CIDR, or a bare address as the network of that one
// address.
func parseProxy(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, errors.New("IPv4-mapped prefix")
	}
	return p.Masked(), nil
}

// parseOrigin reads an origin as browsers send it in the Origin header:
// scheme://host[:port], nothing after it. It returns it in lower case.
func parseOrigin(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("is not an origin such as https://admin.example.com")
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("must be scheme://host[:port] only, without a path")
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// addr is the listen address.
func (c config) addr() string { return fmt.Sprintf("%s:%d", c.Host, c.Port) }

// LogValue prints the configuration with secrets masked.
func (c config) LogValue() slog.Value {
	store := "memory"
	if c.DatabaseURL != "" {
		store = "postgres " + redactDSN(c.DatabaseURL)
	}
	return slog.GroupValue(
		slog.String("addr", c.addr()),
		slog.String("env", c.AppEnv),
		slog.String("store", store),
		slog.Bool("jwtSecretGenerated", c.jwtSecretGenerated),
		slog.Int("adminPhones", len(c.AdminPhones)),
		slog.Int("otpTestCodes", len(c.OTPTestCodes)),
		slog.Bool("productModeration", c.ProductModeration),
		slog.String("defaultLocale", string(c.DefaultLocale)),
		slog.String("auctionMinDuration", c.AuctionMinDuration.String()),
		slog.String("auctionAntiSnipeWindow", c.AuctionAntiSnipeWindow.String()),
		slog.Int("rateLimitOtpPerIp", c.RateLimitOTPPerIP),
		slog.Bool("sentry", c.SentryDSN != ""),
		slog.Bool("smsWebhook", c.SMSWebhookURL != ""),
		slog.Bool("pushWebhook", c.PushWebhookURL != ""),
		slog.String("notificationLease", c.NotificationLease.String()),
		slog.Int("auctionStreamsPerIp", c.AuctionStreamsPerIP),
		slog.Float64("sentryTracesSampleRate", c.SentryTracesSampleRate),
		slog.Int("cacheSizeMb", c.CacheSizeMB),
		slog.Bool("demoData", c.DemoData),
		slog.String("mediaStore", redactMediaStore(c.MediaStore)),
		slog.String("mediaPublicUrl", c.MediaPublicURL),
		slog.Int64("mediaMaxBytes", c.MediaMaxBytes),
		slog.Int("trustedProxies", len(c.TrustedProxies)),
		slog.Any("corsAllowedOrigins", c.CORSAllowedOrigins),
		slog.Bool("metricsToken", c.MetricsToken != ""),
	)
}

// redactDSN keeps host and database of a DSN and drops its credentials.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable)"
	}
	return u.Host + u.Path
}

// redactMediaStore keeps the scheme, bucket or directory of MEDIA_STORE
// and drops its query, which may name credentials or endpoints.
func redactMediaStore(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	return u.Scheme + "://" + u.Host + u.Path
}
