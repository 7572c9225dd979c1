package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/adapters/clock"
	httpadapter "github.com/secondbloom/marketplace/adapters/http"
	"github.com/secondbloom/marketplace/adapters/jwt"
	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
	"github.com/secondbloom/marketplace/adapters/sms"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/cmd/server/system"
)

// tcpProxy forwards connections to a target; Cut closes every connection
// and refuses new ones until Restore, like a database that went away.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	hang   bool
	conns  map[net.Conn]bool
	held   []net.Conn
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.Cut() })
	go p.serve()
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			continue
		}
		if p.hang { // accept, then never answer: a network partition
			p.held = append(p.held, c)
			p.mu.Unlock()
			continue
		}
		p.mu.Unlock()
		up, err := net.DialTimeout("tcp", p.target, time.Second)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.cut { // cut while dialling
			p.mu.Unlock()
			c.Close()
			up.Close()
			continue
		}
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

func (p *tcpProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			hang := p.hang
			p.mu.Unlock()
			if hang {
				// Swallow the bytes: the peer waits for an answer that never comes.
				continue
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// Cut closes every open connection and refuses new ones.
func (p *tcpProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
	for _, c := range p.held {
		c.Close()
	}
	p.held = nil
}

// Hang keeps every connection open but forwards nothing, and accepts new
// connections without answering: the database is partitioned away.
func (p *tcpProxy) Hang() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hang = true
}

// Restore accepts and forwards connections again; held connections are
// closed, as a healed network would reset them.
func (p *tcpProxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut, p.hang = false, false
	for _, c := range p.held {
		c.Close()
	}
	p.held = nil
}

type envelope struct {
	Success bool `json:"success"`
	Error   struct {
		Code    string `json:"code"`
		Details []struct {
			Field string `json:"field"`
		} `json:"details"`
	} `json:"error"`
}

// TestDatabaseOutageAndRecovery cuts the database away from a server built
// from the real adapters, either refusing connections or swallowing every
// byte (a partition), and checks the health contract of API.md section
// 2: readiness 503 within 2 s, liveness 200, business routes 503
// UNAVAILABLE within 2 s, and recovery without a restart.
func TestDatabaseOutageAndRecovery(t *testing.T) {
	for _, mode := range []string{"refused", "partitioned"} {
		t.Run(mode, func(t *testing.T) { testOutage(t, mode) })
	}
}

func testOutage(t *testing.T, mode string) {
	dsn := pgtest.NewDatabase(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, u.Host)
	u.Host = proxy.addr()
	store, err := postgres.Open(u.String(), postgres.Options{MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate through the proxy: %v", err)
	}
	tokens, _ := jwt.New([]byte(strings.Repeat("s", 32)))
	sender, _ := sms.NewConsole(io.Discard, "test")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	sys, err := system.New(system.Config{Store: store, Clock: clock.System{}, SMS: sender, Tokens: tokens, Logger: quiet,
		Core: app.Config{CodeHashKey: []byte(strings.Repeat("h", 32))}, HTTP: httpadapter.Options{Logger: quiet}})
	if err != nil {
		t.Fatal(err)
	}
	sys.Start() // the store watch among the workers, as in production
	defer sys.Close()
	srv := sys.Server

	phoneN := 0
	call := func(method, path string) (int, envelope, time.Duration) {
		t.Helper()
		var body io.Reader
		if method == "POST" {
			phoneN++ // a new phone each time: no resend cooldown
			body = strings.NewReader(fmt.Sprintf(`{"phoneNumber":"+9989011100%02d"}`, phoneN))
		}
		req := httptest.NewRequest(method, path, body)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		start := time.Now()
		resp, err := srv.App().Test(req, 10_000)
		elapsed := time.Since(start)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		var env envelope
		_ = json.NewDecoder(resp.Body).Decode(&env)
		return resp.StatusCode, env, elapsed
	}
	const (
		readiness = "/api/v1/health/readiness"
		liveness  = "/api/v1/health/liveness"
		sendOTP   = "/api/v1/auth/send-otp"
	)

	if st, _, _ := call("GET", readiness); st != 200 {
		t.Fatalf("readiness before the outage = %d, want 200", st)
	}
	if st, _, _ := call("POST", sendOTP); st != 201 {
		t.Fatalf("send-otp before the outage = %d, want 201", st)
	}

	if mode == "refused" {
		proxy.Cut()
	} else {
		proxy.Hang()
	}
	for i := range 3 { // every request during the outage, not just the first
		st, env, d := call("GET", readiness)
		if st != 503 || env.Error.Code != "UNAVAILABLE" || len(env.Error.Details) == 0 || env.Error.Details[0].Field != "database" {
			t.Fatalf("readiness #%d during the outage = %d %+v, want 503 UNAVAILABLE naming database", i, st, env)
		}
		if d > 2*time.Second {
			t.Fatalf("readiness #%d during the outage took %v, want within 2 s", i, d)
		}
		if st, _, _ := call("GET", liveness); st != 200 {
			t.Fatalf("liveness during the outage = %d, want 200", st)
		}
		st, env, d = call("POST", sendOTP)
		if st != 503 || env.Error.Code != "UNAVAILABLE" {
			t.Fatalf("send-otp #%d during the outage = %d %+v, want 503 UNAVAILABLE", i, st, env)
		}
		if d > 2*time.Second {
			t.Fatalf("send-otp #%d during the outage took %v, want within 2 s", i, d)
		}
	}

	proxy.Restore()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, _, _ := call("GET", readiness)
		if st == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readiness still %d 10 s after the database came back", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st, _, _ := call("POST", sendOTP); st != 201 {
		t.Fatalf("send-otp after recovery = %d, want 201", st)
	}
}
