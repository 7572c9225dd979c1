package sentry_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

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
// reported 500 (and of a plain 200) with Sentry off and with Sentry
// pointed at an endpoint that accepts connections and never answers, at
// the production traces sample rate (0.1).
//
//	go test -run '^$' -bench BenchmarkRequest -benchtime 2000x ./adapters/sentry/
func BenchmarkRequest(b *testing.B) {
	for _, mode := range []string{"off", "reachable", "unreachable"} {
		for _, path := range []string{"/api/v1/health", "/api/v1/health/readiness"} {
			b.Run(mode+path, func(b *testing.B) {
				dsn := ""
				switch mode {
				case "reachable":
					dsn = newFakeSentry(b, false).dsn()
				case "unreachable":
					dsn = newFakeSentry(b, true).dsn()
				}
				r, err := sentry.New(sentry.Options{DSN: dsn, Environment: "production", TracesSampleRate: 0.1})
				if err != nil {
					b.Fatal(err)
				}
				store := memory.New()
				tokens, _ := jwt.New([]byte(strings.Repeat("k", 32)))
				core, err := app.New(app.Deps{Tx: store, Repos: store.Repos(), Clock: clock.System{}, Pinger: panickingPinger{},
					SMS: nopSMS{}, Tokens: tokens, Config: app.Config{CodeHashKey: []byte(strings.Repeat("h", 32))}})
				if err != nil {
					b.Fatal(err)
				}
				s := httpadapter.New(core, httpadapter.Options{Logger: slogDiscard(), Reporter: r, Middleware: r.Middleware()})
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
