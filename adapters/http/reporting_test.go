package http

import (
	"context"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/secondbloom/marketplace/adapters/clock"
	"github.com/secondbloom/marketplace/adapters/jwt"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/adapters/sms"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/mocks"
)

type downPinger struct{}

func (downPinger) Ping(context.Context) error { return domain.ErrUnavailable }

// reportCall is one call of ErrorReporter.Report.
type reportCall struct {
	err  error
	tags map[string]string
}

// reportRecorder keeps the Report calls that a gomock expectation hands it
// through Do. The server calls Report on its own goroutines, where a failed
// gomock expectation (t.Fatalf) must not fire, so the expectations accept
// the calls and the test goroutine asserts on what was recorded.
type reportRecorder struct {
	mu    sync.Mutex
	calls []reportCall
}

func (r *reportRecorder) record(_ context.Context, err error, tags map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, reportCall{err: err, tags: maps.Clone(tags)})
}

func (r *reportRecorder) recorded() []reportCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// routes returns the route tag of each recorded call.
func (r *reportRecorder) routes() []string {
	var out []string
	for _, c := range r.recorded() {
		out = append(out, c.tags["route"])
	}
	return out
}

// newMockReporter returns the generated ErrorReporter mock; Flush may be
// called any number of times (by Shutdown), Report only as the test
// expects.
func newMockReporter(t *testing.T) *mocks.MockErrorReporter {
	m := mocks.NewMockErrorReporter(gomock.NewController(t))
	m.EXPECT().Flush(gomock.Any()).AnyTimes()
	return m
}

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
	rep := newMockReporter(t)
	sendOTP, others := &reportRecorder{}, &reportRecorder{}
	// Exactly one report of the send-otp failure (the controller checks
	// the count when the test ends); any other report lands in others.
	rep.EXPECT().Report(gomock.Any(), gomock.Not(gomock.Nil()),
		gomock.Cond(func(tags map[string]string) bool { return tags["route"] == "/api/v1/auth/send-otp" })).
		Do(sendOTP.record).Times(1)
	rep.EXPECT().Report(gomock.Any(), gomock.Any(), gomock.Any()).Do(others.record).AnyTimes()
	s := New(core, Options{Reporter: rep})

	get := httptest.NewRequest("GET", "/api/v1/health/readiness", nil)
	if resp, _ := s.App().Test(get, -1); resp.StatusCode != 503 {
		t.Fatalf("readiness = %d, want 503", resp.StatusCode)
	}
	const number = "998901234567"
	post := httptest.NewRequest("POST", "/api/v1/auth/send-otp", strings.NewReader(`{"phoneNumber":"+`+number+`"}`))
	post.Header.Set("Content-Type", "application/json")
	resp, _ := s.App().Test(post, -1)
	if resp.StatusCode != 503 {
		t.Fatalf("send-otp with the SMS gateway down = %d, want 503", resp.StatusCode)
	}
	if routes := others.routes(); len(routes) != 0 {
		t.Errorf("reported routes besides send-otp = %v, want none", routes)
	}
	calls := sendOTP.recorded()
	if len(calls) != 1 {
		t.Fatalf("send-otp reported %d times, want once", len(calls))
	}
	c := calls[0]
	if c.tags["method"] != "POST" || c.tags["request_id"] == "" || c.tags["request_id"] != resp.Header.Get(HeaderRequestID) {
		t.Errorf("report tags = %v, want method POST and the response's request id %q", c.tags, resp.Header.Get(HeaderRequestID))
	}
	if strings.Contains(c.err.Error(), number) {
		t.Errorf("the reported error carries the phone number: %v", c.err)
	}
	for k, v := range c.tags {
		if strings.Contains(v, number) {
			t.Errorf("report tag %s carries the phone number: %q", k, v)
		}
	}
}
