package sentry_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/adapters/clock"
	httpadapter "github.com/secondbloom/marketplace/adapters/http"
	"github.com/secondbloom/marketplace/adapters/jwt"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/adapters/metrics"
	"github.com/secondbloom/marketplace/adapters/sentry"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/phone"
)

// fakeSentry records the envelopes sent to it. When block is set, each
// request waits until it is closed, as an unreachable server would.
type fakeSentry struct {
	srv   *httptest.Server
	mu    sync.Mutex
	items []item
	raw   [][]byte
	block chan struct{}
}

type item struct {
	Type    string
	Payload map[string]any
}

func newFakeSentry(t testing.TB, blocking bool) *fakeSentry {
	f := &fakeSentry{}
	if blocking {
		f.block = make(chan struct{})
	}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.block != nil {
			select {
			case <-f.block:
			case <-r.Context().Done():
			}
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Errorf("gzip: %v", err)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.raw = append(f.raw, b)
		// An envelope is a header line, then item header and payload lines.
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 1<<20), 1<<22)
		sc.Scan()
		for sc.Scan() {
			var h map[string]any
			if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
				t.Errorf("envelope item header %q: %v", sc.Text(), err)
				return
			}
			sc.Scan()
			var p map[string]any
			_ = json.Unmarshal(sc.Bytes(), &p)
			typ, _ := h["type"].(string)
			f.items = append(f.items, item{Type: typ, Payload: p})
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(func() {
		if f.block != nil {
			close(f.block)
		}
		f.srv.Close()
	})
	return f
}

// dsn is the DSN pointing at the fake.
func (f *fakeSentry) dsn() string {
	return "http://publickey@" + strings.TrimPrefix(f.srv.URL, "http://") + "/1"
}

func (f *fakeSentry) events() []item {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []item
	for _, it := range f.items {
		if it.Type == "event" {
			out = append(out, it)
		}
	}
	return out
}

func (f *fakeSentry) allRaw() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(bytes.Join(f.raw, []byte("\n")))
}

// panickingSMS panics with the phone and code in the message, the worst
// thing a buggy SMS gateway client could do.
type panickingSMS struct{}

func (panickingSMS) SendCode(_ context.Context, p phone.Number, code auth.Code) error {
	panic(fmt.Sprintf("gateway rejected %s with code %s", p, code))
}

type nopSMS struct{}

func (nopSMS) SendCode(context.Context, phone.Number, auth.Code) error { return nil }

const (
	testPhone = "+998901234567"
	testCode  = "246810"
)

func newServer(t testing.TB, r *sentry.Reporter, sms interface {
	SendCode(context.Context, phone.Number, auth.Code) error
}) *httpadapter.Server {
	t.Helper()
	store := memory.New()
	tokens, err := jwt.New([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	core, err := app.New(app.Deps{Tx: store, Repos: store.Repos(), Clock: clock.System{}, Pinger: store,
		SMS: sms, Tokens: tokens,
		Config: app.Config{CodeHashKey: []byte(strings.Repeat("h", 32)),
			TestCodes: map[string]auth.Code{"+998900000001": testCode}}})
	if err != nil {
		t.Fatal(err)
	}
	return httpadapter.New(core, httpadapter.Options{
		Logger:     slogDiscard(),
		Reporter:   r,
		Middleware: r.Middleware(),
	})
}

func newReporter(t testing.TB, dsn, env string) *sentry.Reporter {
	t.Helper()
	r, err := sentry.New(sentry.Options{DSN: dsn, Environment: env, Release: "v-test", TracesSampleRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestPanicGivesA500AndExactlyOneScrubbedEvent(t *testing.T) {
	f := newFakeSentry(t, false)
	r := newReporter(t, f.dsn(), "production")
	s := newServer(t, r, panickingSMS{})

	req := httptest.NewRequest("POST", "/api/v1/auth/send-otp?token=querysecret", strings.NewReader(`{"phoneNumber":"`+testPhone+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer headersecret.abc.def")
	req.Header.Set("Cookie", "session=cookiesecret")
	req.Header.Set("X-Request-ID", "req-panic-1")
	resp, err := s.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Success bool `json:"success"`
		Error   struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode the 500 body: %v", err)
	}
	if resp.StatusCode != 500 || body.Success || body.Error.Code != "INTERNAL" || body.Error.Message != "internal error" {
		t.Fatalf("panic answered %d %+v, want 500 INTERNAL \"internal error\"", resp.StatusCode, body)
	}
	r.Flush(5 * time.Second)

	events := f.events()
	if len(events) != 1 {
		t.Fatalf("got %d error events, want exactly 1", len(events))
	}
	ev := events[0].Payload
	tags, _ := ev["tags"].(map[string]any)
	for k, want := range map[string]string{"route": "/api/v1/auth/send-otp", "request_id": "req-panic-1", "method": "POST"} {
		if tags[k] != want {
			t.Errorf("tag %s = %v, want %q", k, tags[k], want)
		}
	}
	if ev["environment"] != "production" || ev["release"] != "v-test" {
		t.Errorf("environment, release = %v, %v; want production, v-test", ev["environment"], ev["release"])
	}
	if !strings.Contains(fmt.Sprint(ev["exception"]), "gateway rejected") {
		t.Errorf("the event does not carry the panic: %v", ev["exception"])
	}
	raw := f.allRaw()
	for _, secret := range []string{testPhone, "901234567", "headersecret", "cookiesecret", "querysecret"} {
		if strings.Contains(raw, secret) {
			t.Errorf("an envelope sent to Sentry contains %q", secret)
		}
	}
	if !strings.Contains(raw, sentry.MaskPhone(testPhone)) {
		t.Errorf("the masked phone %q is missing from the event; was the message dropped?", sentry.MaskPhone(testPhone))
	}
}

func TestAuthBodiesAndCodesAreScrubbed(t *testing.T) {
	f := newFakeSentry(t, false)
	r := newReporter(t, f.dsn(), "development")
	s := newServer(t, r, nopSMS{})
	// A test phone gets the fixed code; sign in, then report an error that
	// carries the code and tokens, as a careless wrap might.
	do := func(path, body string) map[string]any {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	do("/api/v1/auth/send-otp", `{"phoneNumber":"+998900000001"}`)
	out := do("/api/v1/auth/verify-otp", `{"phoneNumber":"+998900000001","code":"`+testCode+`"}`)
	data, _ := out["data"].(map[string]any)
	access, _ := data["accessToken"].(string)
	refresh, _ := data["refreshToken"].(string)
	if access == "" || refresh == "" {
		t.Fatalf("sign-in failed: %v", out)
	}
	r.Report(context.Background(), fmt.Errorf("verify %s code=%s failed; {\"refreshToken\":\"%s\"} Authorization: Bearer %s; dial postgres://app:hunter2@db/x",
		"+998900000001", testCode, refresh, access), map[string]string{"route": "/api/v1/auth/verify-otp", "user_id": "u-1"})
	r.Flush(5 * time.Second)
	events := f.events()
	if len(events) != 1 {
		t.Fatalf("got %d error events, want 1", len(events))
	}
	if u, _ := events[0].Payload["user"].(map[string]any); u["id"] != "u-1" {
		t.Errorf("event user = %v, want id u-1", events[0].Payload["user"])
	}
	raw := f.allRaw()
	for _, secret := range []string{testCode, access, refresh, "+998900000001", "hunter2"} {
		if strings.Contains(raw, secret) {
			t.Errorf("an envelope sent to Sentry contains %q", secret)
		}
	}
}

func TestProductionSendsNothingBelow500(t *testing.T) {
	f := newFakeSentry(t, false)
	r := newReporter(t, f.dsn(), "production")
	s := newServer(t, r, nopSMS{})
	resp, err := s.App().Test(httptest.NewRequest("GET", "/api/v1/no-such-route", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 404 {
		t.Fatalf("unknown route = %d, want 404", resp.StatusCode)
	}
	// Even an explicit report of a client error is dropped in production.
	r.Report(context.Background(), fmt.Errorf("not found"), map[string]string{"status": "404"})
	r.Flush(5 * time.Second)
	if n := len(f.events()); n != 0 {
		t.Fatalf("a 404 in production sent %d error events, want 0", n)
	}
	// The same report outside production is sent, so the check above can fail.
	f2 := newFakeSentry(t, false)
	r2 := newReporter(t, f2.dsn(), "development")
	r2.Report(context.Background(), fmt.Errorf("not found"), map[string]string{"status": "404"})
	r2.Flush(5 * time.Second)
	if n := len(f2.events()); n != 1 {
		t.Fatalf("outside production, a report sent %d events, want 1", n)
	}
}

func TestUnreachableSentryDoesNotSlowRequests(t *testing.T) {
	f := newFakeSentry(t, true) // accepts connections and never answers
	r := newReporter(t, f.dsn(), "production")
	s := newServer(t, r, panickingSMS{})
	for i := range 20 {
		start := time.Now()
		body := fmt.Sprintf(`{"phoneNumber":"+9989012345%02d"}`, i) // a phone each: no cooldown
		req := httptest.NewRequest("POST", "/api/v1/auth/send-otp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.App().Test(req, 2000)
		if err != nil {
			t.Fatalf("request %d while Sentry hangs: %v", i, err)
		}
		if resp.StatusCode != 500 {
			t.Fatalf("request %d = %d, want 500", i, resp.StatusCode)
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Fatalf("request %d took %v while Sentry hangs, want well under 500ms", i, d)
		}
	}
	select {
	case <-f.block:
		t.Fatal("the fake Sentry was released early")
	default: // every request above completed while the endpoint was blocked
	}
}

func TestEmptyDSNIsANoOp(t *testing.T) {
	r, err := sentry.New(sentry.Options{Environment: "production"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Enabled() || r.Middleware() != nil {
		t.Fatal("an empty DSN gave an enabled reporter")
	}
	r.Report(context.Background(), fmt.Errorf("x"), nil)
	r.Flush(time.Millisecond)
	if _, err := sentry.New(sentry.Options{DSN: "not a dsn"}); err == nil || strings.Contains(err.Error(), "not a dsn") {
		t.Fatalf("New with a bad DSN = %v, want an error that does not quote the DSN", err)
	}
}

func slogDiscard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestPanicIsReportedOnceWithMetricsInTheChain wires the middleware as
// cmd/server does (Sentry first, then metrics, which handles errors
// itself) and checks the panic is still sent exactly once.
func TestPanicIsReportedOnceWithMetricsInTheChain(t *testing.T) {
	f := newFakeSentry(t, false)
	r := newReporter(t, f.dsn(), "production")
	m := metrics.New()
	store := memory.New()
	tokens, _ := jwt.New([]byte(strings.Repeat("k", 32)))
	core, err := app.New(app.Deps{Tx: store, Repos: store.Repos(), Clock: clock.System{}, Pinger: panickingPinger{},
		SMS: nopSMS{}, Tokens: tokens, Config: app.Config{CodeHashKey: []byte(strings.Repeat("h", 32))}})
	if err != nil {
		t.Fatal(err)
	}
	s := httpadapter.New(core, httpadapter.Options{Logger: slogDiscard(), Reporter: r,
		Middleware: append(r.Middleware(), m.Middleware()), MetricsHandler: m.Handler()})
	resp, err := s.App().Test(httptest.NewRequest("GET", "/api/v1/health/readiness", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 500 {
		t.Fatalf("readiness with a panicking pinger = %d, want 500", resp.StatusCode)
	}
	r.Flush(5 * time.Second)
	events := f.events()
	if len(events) != 1 {
		t.Fatalf("got %d error events, want exactly 1", len(events))
	}
	if tags, _ := events[0].Payload["tags"].(map[string]any); tags["route"] != "/api/v1/health/readiness" {
		t.Errorf("route tag = %v, want /api/v1/health/readiness", tags["route"])
	}
	// The metrics middleware saw the 500 too.
	mresp, err := s.App().Test(httptest.NewRequest("GET", "/metrics", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(mresp.Body)
	if !strings.Contains(string(body), `secondbloom_http_requests_total{method="GET",route="/api/v1/health/readiness",status="500"} 1`) {
		t.Errorf("/metrics does not count the panic as a 500:\n%s", body)
	}
}

func TestOutageEventsShareOneFingerprintPerRoute(t *testing.T) {
	f := newFakeSentry(t, false)
	r := newReporter(t, f.dsn(), "production")
	tags := map[string]string{"route": "/api/v1/orders"}
	for _, port := range []int{41001, 41002} {
		r.Report(context.Background(), fmt.Errorf("%w: read tcp 127.0.0.1:%d: i/o timeout", domain.ErrUnavailable, port), tags)
	}
	r.Report(context.Background(), fmt.Errorf("a bug"), tags)
	r.Flush(5 * time.Second)
	events := f.events()
	if len(events) != 3 {
		t.Fatalf("%d events, want 3", len(events))
	}
	fp := func(e item) string { return fmt.Sprint(e.Payload["fingerprint"]) }
	if fp(events[0]) != fp(events[1]) || !strings.Contains(fp(events[0]), "dependency-unavailable") {
		t.Errorf("outage fingerprints = %s and %s, want one shared fingerprint", fp(events[0]), fp(events[1]))
	}
	if fp(events[2]) == fp(events[0]) {
		t.Errorf("a bug got the outage fingerprint %s", fp(events[2]))
	}
}

// TestEventsCarryTheRequestAndTracesFollowTheRate checks what the lean
// middleware must keep: an event reported during a request describes the
// request (method, URL, headers minus secrets), traced or not; at rate 1
// every request sends one transaction named by its route template, in the
// same trace as the request's event; at rate 0 none is sent.
func TestEventsCarryTheRequestAndTracesFollowTheRate(t *testing.T) {
	for _, rate := range []float64{0, 1} {
		t.Run(fmt.Sprint("rate ", rate), func(t *testing.T) {
			f := newFakeSentry(t, false)
			r, err := sentry.New(sentry.Options{DSN: f.dsn(), Environment: "development", Release: "v-test", TracesSampleRate: rate})
			if err != nil {
				t.Fatal(err)
			}
			s := newServer(t, r, panickingSMS{})
			req := httptest.NewRequest("POST", "/api/v1/auth/send-otp?lang=en", strings.NewReader(`{"phoneNumber":"`+testPhone+`"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Request-ID", "req-described-1")
			if resp, err := s.App().Test(req, -1); err != nil || resp.StatusCode != 500 {
				t.Fatalf("panicking route: %v %v", resp, err)
			}
			if resp, err := s.App().Test(httptest.NewRequest("GET", "/api/v1/health", nil), -1); err != nil || resp.StatusCode != 200 {
				t.Fatalf("health: %v %v", resp, err)
			}
			r.Flush(5 * time.Second)
			events := f.events()
			if len(events) != 1 {
				t.Fatalf("got %d events, want 1", len(events))
			}
			ev := events[0].Payload
			request, _ := ev["request"].(map[string]any)
			headers, _ := request["headers"].(map[string]any)
			if !strings.Contains(fmt.Sprint(request["url"]), "/api/v1/auth/send-otp") || request["method"] != "POST" ||
				headers["X-Request-Id"] != "req-described-1" || request["query_string"] != "lang=en" {
				t.Errorf("the event does not describe the request: %v", request)
			}
			var names []string
			var txTrace any
			f.mu.Lock()
			for _, it := range f.items {
				if it.Type == "transaction" {
					names = append(names, fmt.Sprint(it.Payload["transaction"]))
					if it.Payload["transaction"] == "POST /api/v1/auth/send-otp" {
						txTrace = it.Payload["contexts"].(map[string]any)["trace"].(map[string]any)["trace_id"]
					}
				}
			}
			f.mu.Unlock()
			slices.Sort(names)
			want := []string(nil)
			if rate == 1 {
				want = []string{"GET /api/v1/health", "POST /api/v1/auth/send-otp"}
				evTrace := ev["contexts"].(map[string]any)["trace"].(map[string]any)["trace_id"]
				if txTrace == nil || evTrace != txTrace {
					t.Errorf("event trace %v, transaction trace %v: want the same", evTrace, txTrace)
				}
			}
			if !slices.Equal(names, want) {
				t.Errorf("transactions %q, want %q", names, want)
			}
		})
	}
}
