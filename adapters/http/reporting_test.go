package http

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/adapters/clock"
	"github.com/secondbloom/marketplace/adapters/jwt"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/adapters/sms"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
)

type downPinger struct{}

func (downPinger) Ping(context.Context) error { return domain.ErrUnavailable }

type recordingReporter struct {
	mu     sync.Mutex
	routes []string
}

func (r *recordingReporter) Report(_ context.Context, _ error, tags map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.routes = append(r.routes, tags["route"])
}

func (r *recordingReporter) Flush(time.Duration) {}

// TestOutagesAreReportedButReadinessIsNot: a business request that fails
// with 503 because a dependency is down (here the SMS gateway) is an event
// for the error tracker; the readiness probe answering 503 is not.
func TestOutagesAreReportedButReadinessIsNot(t *testing.T) {
	store := memory.New()
	tokens, _ := jwt.New([]byte("reporting-test-secret-0123456789abcdef"))
	core, err := app.New(app.Deps{Tx: store, Repos: store.Repos(), Clock: clock.System{}, Pinger: downPinger{},
		SMS: sms.Unconfigured{}, Tokens: tokens, Config: app.Config{CodeHashKey: []byte(strings.Repeat("k", 32))}})
	if err != nil {
		t.Fatal(err)
	}
	rep := &recordingReporter{}
	s := New(core, Options{Reporter: rep})

	get := httptest.NewRequest("GET", "/api/v1/health/readiness", nil)
	if resp, _ := s.App().Test(get, -1); resp.StatusCode != 503 {
		t.Fatalf("readiness = %d, want 503", resp.StatusCode)
	}
	post := httptest.NewRequest("POST", "/api/v1/auth/send-otp", strings.NewReader(`{"phoneNumber":"+998901234567"}`))
	post.Header.Set("Content-Type", "application/json")
	if resp, _ := s.App().Test(post, -1); resp.StatusCode != 503 {
		t.Fatalf("send-otp with the SMS gateway down = %d, want 503", resp.StatusCode)
	}
	rep.mu.Lock()
	defer rep.mu.Unlock()
	if len(rep.routes) != 1 || rep.routes[0] != "/api/v1/auth/send-otp" {
		t.Errorf("reported routes = %v, want only the send-otp failure", rep.routes)
	}
}
