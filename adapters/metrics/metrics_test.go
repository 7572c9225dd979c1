package metrics_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	dto "github.com/prometheus/client_model/go"

	"github.com/secondbloom/marketplace/adapters/clock"
	httpadapter "github.com/secondbloom/marketplace/adapters/http"
	"github.com/secondbloom/marketplace/adapters/jwt"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/adapters/metrics"
	"github.com/secondbloom/marketplace/adapters/sms"
	"github.com/secondbloom/marketplace/app"
)

func newServer(t *testing.T, m *metrics.Metrics) *httpadapter.Server {
	t.Helper()
	store := memory.New()
	tokens, err := jwt.New([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	sender, err := sms.NewConsole(io.Discard, "test")
	if err != nil {
		t.Fatal(err)
	}
	core, err := app.New(app.Deps{Tx: store, Repos: store.Repos(), Clock: clock.System{}, Pinger: store,
		SMS: sender, Tokens: tokens, Metrics: m,
		Config: app.Config{CodeHashKey: []byte(strings.Repeat("h", 32))}})
	if err != nil {
		t.Fatal(err)
	}
	return httpadapter.New(core, httpadapter.Options{
		Logger:         nil,
		Middleware:     []fiber.Handler{m.Middleware()},
		MetricsHandler: m.Handler(),
	})
}

func do(t *testing.T, s *httpadapter.Server, method, path, body string) int {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.App().Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// scrape fetches /metrics and parses it with the Prometheus text parser.
func scrape(t *testing.T, s *httpadapter.Server) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := s.App().Test(httptest.NewRequest("GET", "/metrics", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics = %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("GET /metrics Content-Type = %q, want text/plain", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value returns the value of the series of family name whose labels
// include want, and whether there is one.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

func TestRequestsAreCountedByRouteTemplate(t *testing.T) {
	m := metrics.New()
	s := newServer(t, m)
	for range 2 {
		if got := do(t, s, "GET", "/api/v1/health", ""); got != 200 {
			t.Fatalf("GET /api/v1/health = %d, want 200", got)
		}
	}
	if got := do(t, s, "GET", "/no/such/path/0191b5e4-aaaa", ""); got != 404 {
		t.Fatalf("GET unknown path = %d, want 404", got)
	}
	if got := do(t, s, "POST", "/api/v1/auth/send-otp", `{"phoneNumber":"nope"}`); got != 400 {
		t.Fatalf("send-otp with a bad phone = %d, want 400", got)
	}
	if got := do(t, s, "POST", "/api/v1/auth/send-otp", `{"phoneNumber":"+998901234567"}`); got != 201 {
		t.Fatalf("send-otp = %d, want 201", got)
	}
	if got := do(t, s, "GET", "/api/v1/auth/me", ""); got != 401 {
		t.Fatalf("GET /auth/me without a token = %d, want 401", got)
	}
	fams := scrape(t, s)

	cases := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"secondbloom_http_requests_total", map[string]string{"method": "GET", "route": "/api/v1/health", "status": "200"}, 2},
		{"secondbloom_http_requests_total", map[string]string{"method": "GET", "route": "unmatched", "status": "404"}, 1},
		{"secondbloom_http_requests_total", map[string]string{"method": "POST", "route": "/api/v1/auth/send-otp", "status": "400"}, 1},
		{"secondbloom_http_requests_total", map[string]string{"method": "POST", "route": "/api/v1/auth/send-otp", "status": "201"}, 1},
		{"secondbloom_http_requests_total", map[string]string{"method": "GET", "route": "/api/v1/auth/me", "status": "401"}, 1},
		{"secondbloom_http_request_duration_seconds", map[string]string{"method": "GET", "route": "/api/v1/health", "status": "200"}, 2},
		{"secondbloom_otp_sent_total", nil, 1},
		{"secondbloom_auctions_closed_total", map[string]string{"winner": "true"}, 0},
		{"secondbloom_auctions_closed_total", map[string]string{"winner": "false"}, 0},
	}
	for _, tc := range cases {
		got, ok := value(fams, tc.name, tc.labels)
		if !ok || got != tc.want {
			t.Errorf("%s%v = %v (present %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	// The raw path never becomes a label value.
	for _, f := range fams {
		for _, mm := range f.GetMetric() {
			for _, l := range mm.GetLabel() {
				if strings.Contains(l.GetValue(), "no/such") {
					t.Errorf("%s has label %s=%q from a raw path", f.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
	if got, ok := value(fams, "secondbloom_http_requests_in_flight", nil); !ok || got != 1 {
		t.Errorf("secondbloom_http_requests_in_flight = %v (present %v), want 1 (the scrape itself)", got, ok)
	}
}

func TestBusinessCacheDatabaseAndReadinessMetrics(t *testing.T) {
	m := metrics.New()
	m.OTPSent()
	m.OTPVerifyFailed()
	m.OTPVerifyFailed()
	m.OrderCreated()
	m.OrderCancelled()
	m.BidPlaced()
	m.BidPlaced()
	m.BidPlaced()
	m.AuctionClosed(true)
	m.AuctionClosed(false)
	m.AuctionClosed(false)
	products := m.Cache("products")
	products.Hit()
	products.Hit()
	products.Miss()
	var none *metrics.CacheMetrics
	none.Hit() // a nil *CacheMetrics counts nothing and does not panic
	m.RegisterDBStats(func() sql.DBStats {
		return sql.DBStats{MaxOpenConnections: 20, OpenConnections: 5, InUse: 3, Idle: 2, WaitCount: 7, WaitDuration: 1500 * time.Millisecond}
	})
	ready := true
	m.RegisterReadiness(func(context.Context) error {
		if ready {
			return nil
		}
		return errors.New("database down")
	})
	s := newServer(t, m)
	fams := scrape(t, s)
	cases := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"secondbloom_otp_sent_total", nil, 1},
		{"secondbloom_otp_verify_failed_total", nil, 2},
		{"secondbloom_orders_created_total", nil, 1},
		{"secondbloom_orders_cancelled_total", nil, 1},
		{"secondbloom_bids_placed_total", nil, 3},
		{"secondbloom_auctions_closed_total", map[string]string{"winner": "true"}, 1},
		{"secondbloom_auctions_closed_total", map[string]string{"winner": "false"}, 2},
		{"secondbloom_cache_hits_total", map[string]string{"cache": "products"}, 2},
		{"secondbloom_cache_misses_total", map[string]string{"cache": "products"}, 1},
		{"secondbloom_db_max_open_connections", nil, 20},
		{"secondbloom_db_open_connections", nil, 5},
		{"secondbloom_db_in_use_connections", nil, 3},
		{"secondbloom_db_idle_connections", nil, 2},
		{"secondbloom_db_wait_count_total", nil, 7},
		{"secondbloom_db_wait_duration_seconds_total", nil, 1.5},
		{"secondbloom_ready", nil, 1},
	}
	for _, tc := range cases {
		got, ok := value(fams, tc.name, tc.labels)
		if !ok || got != tc.want {
			t.Errorf("%s%v = %v (present %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	ready = false
	if got, _ := value(scrape(t, s), "secondbloom_ready", nil); got != 0 {
		t.Errorf("secondbloom_ready with a failing check = %v, want 0", got)
	}
}

func TestMediaMetrics(t *testing.T) {
	m := metrics.New()
	m.MediaUploaded(1000, 300*time.Millisecond)
	m.MediaRefused("busy")
	m.MediaRefused("made-up reason")
	got := func(name string, labels map[string]string) float64 {
		t.Helper()
		mfs, err := m.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
			for _, mt := range mf.GetMetric() {
				match := true
				for _, lp := range mt.GetLabel() {
					if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
						match = false
					}
				}
				if !match {
					continue
				}
				if h := mt.GetHistogram(); h != nil {
					return float64(h.GetSampleCount())
				}
				return mt.GetCounter().GetValue()
			}
		}
		t.Fatalf("metric %s%v not found", name, labels)
		return 0
	}
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"secondbloom_media_uploads_total", nil, 1},
		{"secondbloom_media_stored_bytes_total", nil, 1000},
		{"secondbloom_media_processing_seconds", nil, 1},
		{"secondbloom_media_uploads_refused_total", map[string]string{"reason": "busy"}, 1},
		{"secondbloom_media_uploads_refused_total", map[string]string{"reason": "error"}, 1},
		{"secondbloom_media_uploads_refused_total", map[string]string{"reason": "corrupt"}, 0},
	} {
		if v := got(tc.name, tc.labels); v != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, v, tc.want)
		}
	}
}
