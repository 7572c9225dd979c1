package http

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	tests := []struct {
		name    string
		peer    string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"no trusted proxies: the peer, whatever the header says", "10.0.0.1", []string{"198.51.100.7"}, nil, "10.0.0.1"},
		{"an untrusted peer is the client", "203.0.113.9", []string{"198.51.100.7"}, trusted, "203.0.113.9"},
		{"a trusted peer: the address it appended", "10.0.0.1", []string{"198.51.100.7"}, trusted, "198.51.100.7"},
		{"a forged left part is ignored", "10.0.0.1", []string{"1.1.1.1, 198.51.100.7"}, trusted, "198.51.100.7"},
		{"several trusted hops are skipped", "10.0.0.1", []string{"1.1.1.1, 198.51.100.7, 10.2.3.4, 10.9.9.9"}, trusted, "198.51.100.7"},
		{"several header lines read as one list", "10.0.0.1", []string{"1.1.1.1, 198.51.100.7", "10.2.3.4"}, trusted, "198.51.100.7"},
		{"all trusted: the leftmost", "10.0.0.1", []string{"10.1.1.1, 10.2.2.2"}, trusted, "10.1.1.1"},
		{"no header: the proxy itself", "10.0.0.1", nil, trusted, "10.0.0.1"},
		{"garbage stops at the last trusted hop", "10.0.0.1", []string{"198.51.100.7, not-an-ip, 10.2.3.4"}, trusted, "10.2.3.4"},
		{"ports are dropped", "10.0.0.1", []string{"198.51.100.7:5123"}, trusted, "198.51.100.7"},
		{"IPv6 through an IPv6 proxy", "2001:db8:ffff::1", []string{"[2001:db8:1:2::99]:443"}, trusted, "2001:db8:1:2::99"},
		{"IPv4-mapped IPv6 is IPv4", "10.0.0.1", []string{"::ffff:198.51.100.7"}, trusted, "198.51.100.7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := fiber.New()
			fctx := &fasthttp.RequestCtx{}
			fctx.Init(&fasthttp.Request{}, &net.TCPAddr{IP: net.ParseIP(tc.peer), Port: 40000}, nil)
			for _, v := range tc.xff {
				fctx.Request.Header.Add(headerForwardedFor, v)
			}
			c := app.AcquireCtx(fctx)
			defer app.ReleaseCtx(c)
			if got := clientIP(c, tc.trusted); got.String() != tc.want {
				t.Errorf("clientIP(peer %s, XFF %q) = %s, want %s", tc.peer, tc.xff, got, tc.want)
			}
		})
	}
}

func TestLimitKey(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"198.51.100.7", "198.51.100.7"},
		{"2001:db8:1:2::99", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
	}
	for _, tc := range tests {
		if got := limitKey(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("limitKey(%s) = %s, want %s", tc.addr, got, tc.want)
		}
	}
}

// TestOTPLimitPerClientBehindProxies: behind a trusted proxy, clients are
// limited one by one (one client using up its budget leaves the others
// theirs), and forging X-Forwarded-For does not buy a fresh budget.
func TestOTPLimitPerClientBehindProxies(t *testing.T) {
	e := listenEdge(t, Options{OTPPerIP: 2, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	send := func(xff string) int {
		t.Helper()
		// The body is invalid on purpose: the limit is counted before it is read.
		body := `{}`
		resp, _ := e.raw(t, "POST /api/v1/auth/send-otp HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"+
			"X-Forwarded-For: "+xff+"\r\nContent-Length: 2\r\n\r\n"+body)
		if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get(fiber.HeaderRetryAfter) == "" {
			t.Error("429 without Retry-After")
		}
		return resp.StatusCode
	}
	for i := range 2 {
		if st := send("198.51.100.1"); st == http.StatusTooManyRequests {
			t.Fatalf("request %d of client A limited", i+1)
		}
	}
	if st := send("198.51.100.1"); st != http.StatusTooManyRequests {
		t.Fatalf("third request of client A = %d, want 429", st)
	}
	if st := send("6.6.6.6, 198.51.100.1"); st != http.StatusTooManyRequests {
		t.Fatalf("client A forging a left-hand address = %d, want 429", st)
	}
	if st := send("198.51.100.2"); st == http.StatusTooManyRequests {
		t.Fatal("client B limited by client A's requests")
	}
	// IPv6: one /64 is one client.
	send("2001:db8:0:1::1")
	send("2001:db8:0:1::2")
	if st := send("2001:db8:0:1::3"); st != http.StatusTooManyRequests {
		t.Fatalf("third address of one /64 = %d, want 429", st)
	}
	if st := send("2001:db8:0:2::1"); st == http.StatusTooManyRequests {
		t.Fatal("another /64 limited")
	}
}

func TestCORS(t *testing.T) {
	preflight := func(origin string) string {
		return "OPTIONS /api/v1/orders HTTP/1.1\r\nHost: test\r\nOrigin: " + origin + "\r\n" +
			"Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization, content-type\r\n\r\n"
	}
	t.Run("a listed origin", func(t *testing.T) {
		e := listenEdge(t, Options{CORSAllowedOrigins: []string{"https://admin.example.uz", "http://localhost:5173"}})
		resp, body := e.raw(t, preflight("https://admin.example.uz"))
		if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
			t.Fatalf("preflight = %d %s, want 204 without a body", resp.StatusCode, body)
		}
		want := map[string]string{
			"Access-Control-Allow-Origin":  "https://admin.example.uz",
			"Access-Control-Allow-Methods": "GET, POST, PATCH, DELETE",
			"Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key, Accept-Language, Content-Language, X-Request-ID, Last-Event-ID",
		}
		for k, v := range want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if resp.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Error("credentials allowed")
		}
		resp, _ = e.raw(t, get("/api/v1/health", "Origin: http://localhost:5173\r\n"))
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
			t.Errorf("GET from a listed origin: %d, Allow-Origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
		if got, want := resp.Header.Get("Access-Control-Expose-Headers"), "X-Request-ID, Retry-After, Idempotent-Replayed, Content-Language"; got != want {
			t.Errorf("Expose-Headers = %q, want %q", got, want)
		}
		if !strings.Contains(resp.Header.Get("Vary"), "Origin") {
			t.Errorf("Vary = %q, want Origin in it", resp.Header.Get("Vary"))
		}
		// Errors carry the headers too, so the browser lets scripts read them.
		resp, _ = e.raw(t, get("/api/v1/nope", "Origin: http://localhost:5173\r\n"))
		if resp.StatusCode != 404 || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
			t.Errorf("404 from a listed origin: %d, Allow-Origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
		// Another origin gets nothing.
		for _, req := range []string{preflight("https://evil.example"), get("/api/v1/health", "Origin: https://evil.example\r\n")} {
			resp, _ = e.raw(t, req)
			assertNoCORS(t, resp)
		}
		if resp.StatusCode != 200 {
			t.Errorf("GET from another origin = %d, want 200 (the browser, not the server, keeps it out)", resp.StatusCode)
		}
	})
	t.Run("none configured", func(t *testing.T) {
		e := listenEdge(t, Options{})
		resp, _ := e.raw(t, preflight("https://admin.example.uz"))
		assertNoCORS(t, resp)
		resp, _ = e.raw(t, get("/api/v1/health", "Origin: https://admin.example.uz\r\n"))
		assertNoCORS(t, resp)
	})
}

func assertNoCORS(t *testing.T, resp *http.Response) {
	t.Helper()
	for k := range resp.Header {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("%d answer carries %s: %q", resp.StatusCode, k, resp.Header.Get(k))
		}
	}
}

func TestMetricsToken(t *testing.T) {
	metrics := func(c *fiber.Ctx) error { return c.SendString("secondbloom_up 1\n") }
	scrape := func(t *testing.T, e *edgeServer, auth string) (int, string, string) {
		t.Helper()
		h := ""
		if auth != "" {
			h = "Authorization: " + auth + "\r\n"
		}
		resp, body := e.raw(t, get("/metrics", h))
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
	}
	t.Run("set", func(t *testing.T) {
		e := listenEdge(t, Options{MetricsHandler: metrics, MetricsToken: "s3cret-metrics-token"})
		for _, auth := range []string{"", "Bearer wrong", "Bearer s3cret-metrics-token-and-more", "Basic s3cret-metrics-token", "s3cret-metrics-token", "Bearer "} {
			st, ct, body := scrape(t, e, auth)
			if st != http.StatusUnauthorized || !strings.HasPrefix(ct, "text/plain") || strings.Contains(body, "secondbloom_up") {
				t.Errorf("Authorization %q: %d %s %q, want 401 in plain text", auth, st, ct, body)
			}
			if strings.Contains(body, "s3cret") {
				t.Errorf("the 401 body shows the token: %q", body)
			}
		}
		if st, _, body := scrape(t, e, "Bearer s3cret-metrics-token"); st != 200 || !strings.Contains(body, "secondbloom_up") {
			t.Errorf("with the token: %d %q, want 200 and the metrics", st, body)
		}
	})
	t.Run("unset", func(t *testing.T) {
		e := listenEdge(t, Options{MetricsHandler: metrics})
		if st, _, _ := scrape(t, e, ""); st != 200 {
			t.Errorf("without METRICS_TOKEN, /metrics = %d, want 200", st)
		}
	})
}
