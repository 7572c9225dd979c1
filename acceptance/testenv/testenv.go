// Package testenv builds the whole server in process for acceptance tests:
// the real Fiber adapter over the real core, on the memory store or on a
// fresh PostgreSQL database. Tests drive it over HTTP with app.Test, so they
// see exactly what a client sees.
package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/adapters/blobstore"
	"github.com/secondbloom/marketplace/adapters/clock"
	httpadapter "github.com/secondbloom/marketplace/adapters/http"
	"github.com/secondbloom/marketplace/adapters/imaging"
	"github.com/secondbloom/marketplace/adapters/jwt"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/cmd/server/system"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/ports"
)

// Backend names a storage adapter.
type Backend string

// The backends every scenario runs on.
const (
	Memory   Backend = "memory"
	Postgres Backend = "postgres"
)

// Store is what the environment needs of a storage adapter.
type Store = system.Store

// Options adjust an environment.
type Options struct {
	// AdminPhones get the ADMIN role at first sign-in.
	AdminPhones []string
	// Clock replaces the system clock.
	Clock ports.Clock
	// Configure may change the core's configuration before it is built.
	Configure func(*app.Config)
	// ManualCloser leaves the auction closer off, for scenarios that
	// close auctions themselves (Core.Auctions.CloseDue) and count what
	// they closed. Every other worker runs as in production.
	ManualCloser bool
	// Push receives notifications when set (PUSH_WEBHOOK_URL).
	Push ports.PushSender
	// SendTimeout bounds a delivery attempt; 0 means the contract's 10 s.
	SendTimeout time.Duration
	// ManualDispatcher leaves the notification dispatcher off, for
	// scenarios that run it themselves (System.Dispatcher.RunOnce).
	ManualDispatcher bool
	// OTPPerIP is the per-IP limit of the OTP routes; 0 means 10000, so
	// that scenarios sharing one client IP are not limited.
	OTPPerIP int
	// MediaStore keeps photo bytes; nil means a directory of the test's
	// own.
	MediaStore ports.MediaStore
	// ManualJanitor leaves the media janitor off, for scenarios that sweep
	// themselves (Core.Media.Sweep) with a fake clock.
	ManualJanitor bool
	// TrustedProxies are the proxies whose X-Forwarded-For the server
	// believes; empty means none.
	TrustedProxies []netip.Prefix
	// HTTP may change the HTTP adapter's options before it is built.
	HTTP func(*httpadapter.Options)
	// DefaultLocale is the server's DEFAULT_LOCALE; "" means uz.
	DefaultLocale i18n.Locale
}

// Env is one server instance with its store.
type Env struct {
	Backend Backend
	Store   Store
	// System is the whole instance, built as cmd/server builds it: the
	// product cache, the event relay, the workers.
	System *system.System
	Core   *app.App
	Server *httpadapter.Server
	SMS    *SMSOutbox
	Log    *bytes.Buffer
}

// ForEachBackend runs fn as a subtest on the memory store and on
// PostgreSQL (which skips loudly when unreachable, and fails under CI=true).
func ForEachBackend(t *testing.T, opt Options, fn func(t *testing.T, e *Env)) {
	t.Helper()
	for _, b := range []Backend{Memory, Postgres} {
		t.Run(string(b), func(t *testing.T) { fn(t, New(t, b, opt)) })
	}
}

// New returns an environment on backend b.
func New(t testing.TB, b Backend, opt Options) *Env {
	t.Helper()
	var store Store
	switch b {
	case Memory:
		store = memory.New()
	case Postgres:
		store = pgtest.New(t)
	default:
		t.Fatalf("unknown backend %q", b)
	}
	return NewOnStore(t, b, store, opt)
}

// NewOnStore returns an environment serving an existing store, for tests
// that run several instances over one database.
func NewOnStore(t testing.TB, b Backend, store Store, opt Options) *Env {
	t.Helper()
	clk := opt.Clock
	if clk == nil {
		clk = clock.System{}
	}
	tokens, err := jwt.New([]byte("acceptance-test-secret-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	var admins []phone.Number
	for _, a := range opt.AdminPhones {
		admins = append(admins, phone.MustParse(a))
	}
	cfg := app.Config{AdminPhones: admins, CodeHashKey: []byte("acceptance-code-hash-key-0123456789abcdef")}
	if opt.Configure != nil {
		opt.Configure(&cfg)
	}
	outbox := &SMSOutbox{}
	logs := &bytes.Buffer{}
	if opt.OTPPerIP == 0 {
		opt.OTPPerIP = 10000
	}
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: logs}, nil))
	if opt.MediaStore == nil {
		photos, err := blobstore.Open(context.Background(), "file://"+t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = photos.Close() })
		opt.MediaStore = photos
	}
	// The store's rate limiter, as cmd/server wires it: instances on one
	// database share their per-IP budgets.
	var limiter ports.RateLimiter = memory.NewRateLimiter()
	if pg, ok := store.(*postgres.Store); ok {
		limiter = postgres.NewRateLimiter(pg)
	}
	hopt := httpadapter.Options{Version: "test", OTPPerIP: opt.OTPPerIP, Logger: logger, DefaultLocale: opt.DefaultLocale,
		RateLimiter: limiter, TrustedProxies: opt.TrustedProxies}
	if opt.HTTP != nil {
		opt.HTTP(&hopt)
	}
	sys, err := system.New(system.Config{Store: store, Clock: clk, SMS: outbox, Tokens: tokens, Logger: logger,
		Core: cfg, CacheSizeMB: 8, ManualCloser: opt.ManualCloser, Push: opt.Push, SendTimeout: opt.SendTimeout, ManualDispatcher: opt.ManualDispatcher,
		MediaStore: opt.MediaStore, Images: imaging.New(), ManualJanitor: opt.ManualJanitor, HTTP: hopt})
	if err != nil {
		t.Fatal(err)
	}
	sys.Start()
	// Registered after the store's own cleanup, so it runs first: the
	// workers stop before a test database is dropped.
	t.Cleanup(func() { _ = sys.Close() })
	return &Env{Backend: b, Store: store, System: sys, Core: sys.Core, Server: sys.Server, SMS: outbox, Log: logs}
}

// SMSOutbox records the codes the core sends, in place of a phone.
type SMSOutbox struct {
	mu    sync.Mutex
	sent  []SMS
	texts []Text
}

// SMS is one delivered code.
type SMS struct {
	To   string
	Code string
}

// SendText records a text message (a notification) with its key.
func (o *SMSOutbox) SendText(_ context.Context, p phone.Number, key, text string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.texts = append(o.texts, Text{To: p.String(), Key: key, Text: text})
	return nil
}

// Text is one text message sent.
type Text struct{ To, Key, Text string }

// Texts returns the text messages sent so far.
func (o *SMSOutbox) Texts() []Text {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.texts)
}

// SendCode records the code.
func (o *SMSOutbox) SendCode(_ context.Context, p phone.Number, code auth.Code) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, SMS{To: p.String(), Code: string(code)})
	return nil
}

// Sent returns the codes sent so far.
func (o *SMSOutbox) Sent() []SMS {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]SMS(nil), o.sent...)
}

// LastCode returns the last code sent to p, or "" if none.
func (o *SMSOutbox) LastCode(p string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.sent) - 1; i >= 0; i-- {
		if o.sent[i].To == p {
			return o.sent[i].Code
		}
	}
	return ""
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Response is a decoded HTTP response.
type Response struct {
	Status int
	Header http.Header
	Raw    []byte
	// Body is the JSON body decoded into generic values (nil for no body).
	Body map[string]any
}

// Data returns body.data as an object (nil if it is not one).
func (r *Response) Data() map[string]any {
	d, _ := r.Body["data"].(map[string]any)
	return d
}

// List returns body.data as an array of objects.
func (r *Response) List() []map[string]any {
	items, _ := r.Body["data"].([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		m, _ := it.(map[string]any)
		out = append(out, m)
	}
	return out
}

// ErrorCode returns body.error.code, or "".
func (r *Response) ErrorCode() string {
	e, _ := r.Body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// String renders the response for failure messages.
func (r *Response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Raw) }

// Request is one HTTP request to send.
type Request struct {
	Method string
	Path   string
	// Body is sent as JSON unless it is a string or []byte, which are sent
	// as they are.
	Body        any
	Token       string
	ContentType string
	Header      map[string]string
}

// Do sends req to the server and decodes the answer; transport failures
// fail t.
func (e *Env) Do(t testing.TB, req Request) *Response {
	t.Helper()
	var body io.Reader
	var sent []byte
	ct := req.ContentType
	switch b := req.Body.(type) {
	case nil:
	case string:
		sent = []byte(b)
		body = strings.NewReader(b)
	case []byte:
		sent = b
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		sent = raw
		body = bytes.NewReader(raw)
		if ct == "" {
			ct = "application/json"
		}
	}
	r := httptest.NewRequest(req.Method, req.Path, body)
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	if req.Token != "" {
		r.Header.Set("Authorization", "Bearer "+req.Token)
	}
	for k, v := range req.Header {
		r.Header.Set(k, v)
	}
	resp, err := e.Server.App().Test(r, int((30 * time.Second).Milliseconds()))
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), fiber.MIMEApplicationJSON) {
		if err := json.Unmarshal(raw, &out.Body); err != nil {
			t.Fatalf("%s %s: response is not a JSON object: %v: %s", req.Method, req.Path, err, raw)
		}
	}
	checkContract(t, r, sent, out)
	return out
}

// Listen serves the environment on a real loopback listener until t ends
// and returns its base URL, for what app.Test cannot show (oversized
// bodies are refused by the HTTP server itself).
func (e *Env) Listen(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.Server.App().Listener(ln) }()
	t.Cleanup(func() { _ = e.Server.Shutdown(context.Background()) })
	return "http://" + ln.Addr().String()
}

// Post sends a JSON body with an optional bearer token.
func (e *Env) Post(t testing.TB, path, token string, body any) *Response {
	t.Helper()
	return e.Do(t, Request{Method: http.MethodPost, Path: path, Body: body, Token: token})
}

// Get sends a GET with an optional bearer token.
func (e *Env) Get(t testing.TB, path, token string) *Response {
	t.Helper()
	return e.Do(t, Request{Method: http.MethodGet, Path: path, Token: token})
}

// Patch sends a JSON body with PATCH.
func (e *Env) Patch(t testing.TB, path, token string, body any) *Response {
	t.Helper()
	return e.Do(t, Request{Method: http.MethodPatch, Path: path, Body: body, Token: token})
}

// Delete sends a DELETE.
func (e *Env) Delete(t testing.TB, path, token string) *Response {
	t.Helper()
	return e.Do(t, Request{Method: http.MethodDelete, Path: path, Token: token})
}

// Session is a signed-in user.
type Session struct {
	Phone        string
	UserID       string
	AccessToken  string
	RefreshToken string
}

// SignIn asks for a code for phoneNumber, reads it from the SMS outbox and
// signs in, failing the test on any unexpected answer.
func (e *Env) SignIn(t testing.TB, phoneNumber string) Session {
	t.Helper()
	if r := e.Post(t, "/api/v1/auth/send-otp", "", map[string]string{"phoneNumber": phoneNumber}); r.Status != http.StatusCreated {
		t.Fatalf("send-otp for %s: %s", phoneNumber, r)
	}
	code := e.SMS.LastCode(phoneNumber)
	r := e.Post(t, "/api/v1/auth/verify-otp", "", map[string]string{"phoneNumber": phoneNumber, "code": code})
	if r.Status != http.StatusCreated {
		t.Fatalf("verify-otp for %s: %s", phoneNumber, r)
	}
	d := r.Data()
	u, _ := d["user"].(map[string]any)
	return Session{Phone: phoneNumber, UserID: fmt.Sprint(u["id"]), AccessToken: fmt.Sprint(d["accessToken"]), RefreshToken: fmt.Sprint(d["refreshToken"])}
}
