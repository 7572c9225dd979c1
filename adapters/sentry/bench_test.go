package sentry_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/adapters/clock"
	httpadapter "github.com/secondbloom/marketplace/adapters/http"
	"github.com/secondbloom/marketplace/adapters/jwt"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/adapters/sentry"
	"github.com/secondbloom/marketplace/app"
)

// panickingPinger makes every readiness request a reported 500.
type panickingPinger struct{}

func (panickingPinger) Ping(context.Context) error { panic("ping exploded") }

// BenchmarkRequest compares the latency of a request that ends in a
// reported 500 (readiness with a panicking pinger) and of a plain 200
// (health) with Sentry off, pointed at a fake that answers, at a port
// where nothing listens, and at a fake that accepts connections and never
// answers, at the production traces sample rate (0.1).
//
//	go test -run '^$' -bench BenchmarkRequest -benchtime 2000x ./adapters/sentry/
func BenchmarkRequest(b *testing.B) {
	for _, mode := range []string{"off", "reachable", "refused", "unreachable"} {
		for _, path := range []string{"/api/v1/health", "/api/v1/health/readiness"} {
			b.Run(mode+path, func(b *testing.B) {
				s := benchServer(b, benchDSN(b, mode))
				b.ResetTimer()
				for b.Loop() {
					resp, err := s.App().Test(httptest.NewRequest("GET", path, nil), -1)
					if err != nil {
						b.Fatal(err)
					}
					resp.Body.Close()
				}
			})
		}
	}
}

// benchDSN returns the DSN of a benchmark mode.
func benchDSN(b *testing.B, mode string) string {
	switch mode {
	case "reachable":
		return newFakeSentry(b, false).dsn()
	case "refused": // nothing listens there
		return "http://publickey@127.0.0.1:1/1"
	case "unreachable":
		return newFakeSentry(b, true).dsn()
	}
	return ""
}

// benchServer builds the server whose readiness route panics.
func benchServer(b *testing.B, dsn string) *httpadapter.Server {
	r, err := sentry.New(sentry.Options{DSN: dsn, Environment: "production", TracesSampleRate: 0.1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Flush(10 * time.Millisecond) })
	store := memory.New()
	tokens, _ := jwt.New([]byte(strings.Repeat("k", 32)))
	core, err := app.New(app.Deps{Tx: store, Repos: store.Repos(), Clock: clock.System{}, Pinger: panickingPinger{},
		SMS: nopSMS{}, Tokens: tokens, Config: app.Config{CodeHashKey: []byte(strings.Repeat("h", 32))}})
	if err != nil {
		b.Fatal(err)
	}
	return httpadapter.New(core, httpadapter.Options{Logger: slogDiscard(), Reporter: r, Middleware: r.Middleware()})
}

// BenchmarkListener measures the same over real TCP on 127.0.0.1 with a
// keep-alive client, reporting the median and p99 request latency.
//
//	go test -run '^$' -bench BenchmarkListener -benchtime 3000x ./adapters/sentry/
func BenchmarkListener(b *testing.B) {
	for _, mode := range []string{"off", "refused", "unreachable"} {
		for _, path := range []string{"/api/v1/health", "/api/v1/health/readiness"} {
			b.Run(mode+path, func(b *testing.B) {
				s := benchServer(b, benchDSN(b, mode))
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				go func() { _ = s.App().Listener(ln) }()
				b.Cleanup(func() { _ = s.App().Shutdown() })
				url := "http://" + ln.Addr().String() + path
				client := &http.Client{Timeout: 5 * time.Second}
				lat := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for b.Loop() {
					start := time.Now()
					resp, err := client.Get(url)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					lat = append(lat, time.Since(start))
				}
				b.StopTimer()
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			})
		}
	}
}
