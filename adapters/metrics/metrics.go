// Package metrics is the Prometheus adapter: it counts HTTP requests by
// route template, exposes database pool statistics, cache hits and misses,
// readiness and the business events of ports.Metrics, and serves them all
// from its own registry in the text exposition format at GET /metrics.
//
// Every label takes a bounded set of values: the HTTP method is folded to a
// fixed list, the route is Fiber's route template (never the raw path), the
// status is a three-digit code, and the cache and winner labels come from
// code, not from requests.
package metrics

import (
	"context"
	"database/sql"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/secondbloom/marketplace/ports"
)

var _ ports.Metrics = (*Metrics)(nil)

// Namespace prefixes every metric name.
const Namespace = "secondbloom"

// Metrics owns a Prometheus registry and every collector of the server.
// Its methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inFlight prometheus.Gauge

	cacheHits   *prometheus.CounterVec
	cacheMisses *prometheus.CounterVec

	otpSent         prometheus.Counter
	otpVerifyFailed prometheus.Counter
	ordersCreated   prometheus.Counter
	ordersCancelled prometheus.Counter
	bidsPlaced      prometheus.Counter
	auctionsClosed  *prometheus.CounterVec

	media *mediaMetrics
	// deliveries counts notification delivery attempts; set by
	// RegisterNotifications.
	deliveries atomic.Pointer[prometheus.CounterVec]
}

// New returns a Metrics with its own registry, holding the HTTP, cache and
// business collectors plus the Go runtime and process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "http_requests_total",
			Help: "HTTP requests served, by method, route template and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by method, route template and status.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route", "status"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "http_requests_in_flight",
			Help: "HTTP requests being served now.",
		}),
		cacheHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "cache_hits_total",
			Help: "Cache lookups that found a value, by cache.",
		}, []string{"cache"}),
		cacheMisses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "cache_misses_total",
			Help: "Cache lookups that found nothing, by cache.",
		}, []string{"cache"}),
		otpSent: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "otp_sent_total",
			Help: "One-time codes accepted for delivery.",
		}),
		otpVerifyFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "otp_verify_failed_total",
			Help: "Sign-in attempts refused with INVALID_OTP.",
		}),
		ordersCreated: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "orders_created_total",
			Help: "Orders placed, directly or by winning an auction.",
		}),
		ordersCancelled: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "orders_cancelled_total",
			Help: "Orders cancelled.",
		}),
		bidsPlaced: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "bids_placed_total",
			Help: "Bids accepted.",
		}),
		auctionsClosed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "auctions_closed_total",
			Help: "Auctions closed, by whether they had a winner.",
		}, []string{"winner"}),
	}
	reg.MustRegister(m.requests, m.latency, m.inFlight, m.cacheHits, m.cacheMisses,
		m.otpSent, m.otpVerifyFailed, m.ordersCreated, m.ordersCancelled, m.bidsPlaced, m.auctionsClosed,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Both winner series exist from the start, so rate() over them works
	// before the first auction closes.
	m.auctionsClosed.WithLabelValues("true")
	m.auctionsClosed.WithLabelValues("false")
	m.media = newMediaMetrics(reg)
	return m
}

// Registry returns the registry, for tests and for registering collectors
// this package does not know.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text exposition format. It
// is mounted at GET /metrics, outside the API envelope and without auth.
func (m *Metrics) Handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
}

// Middleware counts and times every request. It must run inside the
// request-id and logging middleware of the HTTP adapter; it turns a
// handler's error into its response with the app's error handler so that
// the status it records is the one the client gets, and returns nil.
func (m *Metrics) Middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		m.inFlight.Inc()
		defer m.inFlight.Dec()
		err := c.Next()
		if err != nil {
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		status := strconv.Itoa(c.Response().StatusCode())
		method := methodLabel(c.Method())
		route := routeLabel(c)
		m.requests.WithLabelValues(method, route, status).Inc()
		m.latency.WithLabelValues(method, route, status).Observe(time.Since(start).Seconds())
		return nil
	}
}

// methodLabel folds the method to a fixed set; Fiber's method string may
// also point into a reused buffer, and these constants never do.
func methodLabel(m string) string {
	switch m {
	case fiber.MethodGet:
		return "GET"
	case fiber.MethodHead:
		return "HEAD"
	case fiber.MethodPost:
		return "POST"
	case fiber.MethodPut:
		return "PUT"
	case fiber.MethodPatch:
		return "PATCH"
	case fiber.MethodDelete:
		return "DELETE"
	case fiber.MethodOptions:
		return "OPTIONS"
	default:
		return "OTHER"
	}
}

// routeLabel returns the route template that served the request, or
// "unmatched" for requests no route took (the catch-all 404), so an
// attacker probing random paths cannot create new series.
func routeLabel(c *fiber.Ctx) string {
	if r := c.Route(); r != nil && r.Path != "/" && r.Path != "" {
		return r.Path
	}
	return "unmatched"
}

// OTPSent counts a code accepted for delivery.
func (m *Metrics) OTPSent() { m.otpSent.Inc() }

// OTPVerifyFailed counts a sign-in attempt refused with INVALID_OTP.
func (m *Metrics) OTPVerifyFailed() { m.otpVerifyFailed.Inc() }

// OrderCreated counts a placed order.
func (m *Metrics) OrderCreated() { m.ordersCreated.Inc() }

// OrderCancelled counts a cancelled order.
func (m *Metrics) OrderCancelled() { m.ordersCancelled.Inc() }

// BidPlaced counts an accepted bid.
func (m *Metrics) BidPlaced() { m.bidsPlaced.Inc() }

// AuctionClosed counts a closed auction under winner="true" or "false".
func (m *Metrics) AuctionClosed(withWinner bool) {
	m.auctionsClosed.WithLabelValues(strconv.FormatBool(withWinner)).Inc()
}

// CacheMetrics counts the hits and misses of one cache. A nil
// *CacheMetrics counts nothing, so code can hold one unconditionally.
type CacheMetrics struct {
	hits, misses prometheus.Counter
}

// Cache returns the counters of the cache called name (for example
// "products"). The name becomes a label value, so it must be a constant
// of the calling code, never data from a request.
func (m *Metrics) Cache(name string) *CacheMetrics {
	return &CacheMetrics{hits: m.cacheHits.WithLabelValues(name), misses: m.cacheMisses.WithLabelValues(name)}
}

// Hit counts a lookup that found a value.
func (c *CacheMetrics) Hit() {
	if c != nil {
		c.hits.Inc()
	}
}

// Miss counts a lookup that found nothing.
func (c *CacheMetrics) Miss() {
	if c != nil {
		c.misses.Inc()
	}
}

// ReadinessTimeout bounds the check behind the secondbloom_ready gauge.
const ReadinessTimeout = time.Second

// RegisterReadiness exposes secondbloom_ready: 1 when check returns nil
// within ReadinessTimeout at scrape time, 0 otherwise. Alerts fire on it
// (deploy/prometheus/alerts.yml).
func (m *Metrics) RegisterReadiness(check func(context.Context) error) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "ready",
		Help: "1 when the server's readiness check passes at scrape time, 0 when it fails.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), ReadinessTimeout)
		defer cancel()
		if check(ctx) != nil {
			return 0
		}
		return 1
	}))
}

// RegisterDBStats exposes the connection pool statistics that stats
// returns (for example postgres.Store.Stats) as secondbloom_db_* metrics.
// Call it only when a database is in use.
func (m *Metrics) RegisterDBStats(stats func() sql.DBStats) {
	m.reg.MustRegister(newDBStatsCollector(stats))
}

// dbStatsCollector reads sql.DBStats at scrape time.
type dbStatsCollector struct {
	stats                                           func() sql.DBStats
	maxOpen, open, inUse, idle                      *prometheus.Desc
	waitCount, waitDuration, maxIdleClosed, maxIdle *prometheus.Desc
	maxLifetimeClosed                               *prometheus.Desc
}

func newDBStatsCollector(stats func() sql.DBStats) *dbStatsCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "db", name), help, nil, nil)
	}
	return &dbStatsCollector{
		stats:             stats,
		maxOpen:           d("max_open_connections", "Maximum number of open connections to the database."),
		open:              d("open_connections", "Established connections, in use or idle."),
		inUse:             d("in_use_connections", "Connections in use."),
		idle:              d("idle_connections", "Idle connections."),
		waitCount:         d("wait_count_total", "Connections waited for because the pool was exhausted."),
		waitDuration:      d("wait_duration_seconds_total", "Time spent waiting for a connection."),
		maxIdleClosed:     d("max_idle_closed_total", "Connections closed because of SetMaxIdleConns."),
		maxIdle:           d("max_idle_time_closed_total", "Connections closed because of SetConnMaxIdleTime."),
		maxLifetimeClosed: d("max_lifetime_closed_total", "Connections closed because of SetConnMaxLifetime."),
	}
}

// Describe sends the descriptors of the pool metrics.
func (c *dbStatsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.maxOpen, c.open, c.inUse, c.idle, c.waitCount, c.waitDuration, c.maxIdleClosed, c.maxIdle, c.maxLifetimeClosed} {
		ch <- d
	}
}

// Collect reads the pool statistics once and sends them.
func (c *dbStatsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	g := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	k := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	g(c.maxOpen, float64(s.MaxOpenConnections))
	g(c.open, float64(s.OpenConnections))
	g(c.inUse, float64(s.InUse))
	g(c.idle, float64(s.Idle))
	k(c.waitCount, float64(s.WaitCount))
	k(c.waitDuration, s.WaitDuration.Seconds())
	k(c.maxIdleClosed, float64(s.MaxIdleClosed))
	k(c.maxIdle, float64(s.MaxIdleTimeClosed))
	k(c.maxLifetimeClosed, float64(s.MaxLifetimeClosed))
}
