package http

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/mock/gomock"

	"github.com/secondbloom/marketplace/adapters/clock"
	"github.com/secondbloom/marketplace/adapters/jwt"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/adapters/sms"
	"github.com/secondbloom/marketplace/app"
)

// statusCounter stands in for the metrics middleware: it sees every
// request that runs the middleware chain, and the status it ended with.
type statusCounter struct {
	mu       sync.Mutex
	statuses []int
}

func (s *statusCounter) middleware(c *fiber.Ctx) error {
	if err := c.Next(); err != nil {
		_ = c.App().ErrorHandler(c, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses = append(s.statuses, c.Response().StatusCode())
	return nil
}

func (s *statusCounter) seen(status int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.statuses {
		if st == status {
			return true
		}
	}
	return false
}

// lockedBuffer collects log lines written concurrently.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type edgeServer struct {
	addr     string
	reporter *reportRecorder
	counter  *statusCounter
	logs     *lockedBuffer
}

// listenEdge serves a memory-backed server on a loopback port until the
// test ends, so requests go through fasthttp's own reader.
func listenEdge(t *testing.T, opt Options) *edgeServer {
	t.Helper()
	store := memory.New()
	tokens, _ := jwt.New([]byte(strings.Repeat("e", 32)))
	core, err := app.New(app.Deps{Tx: store, Repos: store.Repos(), Clock: clock.System{}, Pinger: store,
		SMS: sms.Unconfigured{}, Tokens: tokens, Config: app.Config{CodeHashKey: []byte(strings.Repeat("k", 32))}})
	if err != nil {
		t.Fatal(err)
	}
	e := &edgeServer{reporter: &reportRecorder{}, counter: &statusCounter{}, logs: &lockedBuffer{}}
	rep := newMockReporter(t)
	rep.EXPECT().Report(gomock.Any(), gomock.Any(), gomock.Any()).Do(e.reporter.record).AnyTimes()
	opt.Reporter = rep
	opt.Middleware = append(opt.Middleware, e.counter.middleware)
	opt.Logger = slog.New(slog.NewJSONHandler(e.logs, nil))
	s := New(core, opt)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.App().Listener(ln) }()
	t.Cleanup(func() { _ = s.Shutdown(t.Context()) })
	e.addr = ln.Addr().String()
	return e
}

// raw sends bytes as they are on a new connection and reads one response.
func (e *edgeServer) raw(t *testing.T, request string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func get(target string, headers ...string) string {
	return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + strings.Join(headers, "") + "\r\n"
}

// headOf builds a GET whose request line and headers, up to and with the
// blank line that ends them, are exactly n bytes.
func headOf(n int) string {
	const head = "GET /api/v1/health HTTP/1.1\r\nHost: test\r\nX-Pad: "
	return head + strings.Repeat("p", n-len(head)-4) + "\r\n\r\n"
}

// requestLine builds a GET whose request line is exactly n bytes.
func requestLine(n int) string {
	const prefix, suffix = "GET /api/v1/health?pad=", " HTTP/1.1"
	return get("/api/v1/health?pad=" + strings.Repeat("a", n-len(prefix)-len(suffix)))
}

// TestTransportLimitsOverTCP sends real requests over TCP: sizes around
// the header and request-line limits, and requests fasthttp cannot read.
// Every refusal is a 4xx in the error envelope with a request id that is
// also the X-Request-ID header and the request id of its log line; none
// is reported to the error tracker, and each passed the middleware chain
// that metrics hang on.
func TestTransportLimitsOverTCP(t *testing.T) {
	e := listenEdge(t, Options{})
	tests := []struct {
		name    string
		request string
		status  int
		code    string
	}{
		{"an 8 KB header is served", get("/api/v1/health", "X-Pad: "+strings.Repeat("p", 8000)+"\r\n"), 200, ""},
		{"a request head of exactly 16 KiB is served", headOf(MaxHeaderBytes), 200, ""},
		{"a request head one byte over 16 KiB is 431", headOf(MaxHeaderBytes + 1), 431, "HEADERS_TOO_LARGE"},
		{"a request line of 8 KiB is served", requestLine(MaxRequestLineBytes), 200, ""},
		{"a request line one byte over 8 KiB is 414", requestLine(MaxRequestLineBytes + 1), 414, "URI_TOO_LONG"},
		{"a 10 KB URL is 414", get("/api/v1/health?pad=" + strings.Repeat("u", 10000)), 414, "URI_TOO_LONG"},
		{"a 20 KB header is 431", get("/api/v1/health", "X-Pad: "+strings.Repeat("p", 20000)+"\r\n"), 431, "HEADERS_TOO_LARGE"},
		{"a 20 KB URL is 431", get("/api/v1/health?pad=" + strings.Repeat("u", 20000)), 431, "HEADERS_TOO_LARGE"},
		{"many small headers over 16 KiB are 431", get("/api/v1/health", strings.Repeat("X-Pad: "+strings.Repeat("p", 90)+"\r\n", 200)), 431, "HEADERS_TOO_LARGE"},
		{"an unknown method is 404", "BREW /api/v1/health HTTP/1.1\r\nHost: test\r\n\r\n", 404, "NOT_FOUND"},
		{"a bad Content-Length is 400", "POST /api/v1/auth/send-otp HTTP/1.1\r\nHost: test\r\nContent-Length: nope\r\n\r\n", 400, "VALIDATION_FAILED"},
		{"a body over 1 MiB is 413", "POST /api/v1/auth/send-otp HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n", 413, "PAYLOAD_TOO_LARGE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.raw(t, tc.request)
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d %s, want %d", resp.StatusCode, body, tc.status)
			}
			id := resp.Header.Get(HeaderRequestID)
			if id == "" {
				t.Error("no X-Request-ID header")
			}
			if !e.counter.seen(tc.status) {
				t.Errorf("status %d never went through the middleware chain", tc.status)
			}
			if !strings.Contains(e.logs.String(), `"requestId":"`+id+`"`) {
				t.Errorf("no log line with requestId %s in:\n%s", id, e.logs)
			}
			if tc.code == "" {
				return
			}
			var env struct {
				Success bool `json:"success"`
				Error   struct {
					Code string `json:"code"`
				} `json:"error"`
				RequestID string `json:"requestId"`
			}
			if err := json.Unmarshal(body, &env); err != nil {
				t.Fatalf("body is not the envelope: %v: %s", err, body)
			}
			if env.Success || env.Error.Code != tc.code || env.RequestID != id {
				t.Errorf("envelope = %s, want code %s and requestId %s", body, tc.code, id)
			}
		})
	}
	if routes := e.reporter.routes(); len(routes) != 0 {
		t.Errorf("reported to the error tracker: %v, want nothing", routes)
	}
}

func TestTransportErrorMapping(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&net.OpError{Op: "read", Err: timeoutErr{}}, "REQUEST_TIMEOUT"},
		{io.ErrUnexpectedEOF, "VALIDATION_FAILED"},
		{&net.OpError{Op: "read", Err: io.ErrClosedPipe}, "VALIDATION_FAILED"},
	}
	for _, tc := range tests {
		if got := transportError(tc.err); got.Code != tc.want {
			t.Errorf("transportError(%v) = %s, want %s", tc.err, got.Code, tc.want)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// TestOpenAPIDocumentsTransportRefusals: every operation lists 408, 414
// and 431, which any request can meet before it is routed.
func TestOpenAPIDocumentsTransportRefusals(t *testing.T) {
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatal(err)
	}
	ops := 0
	for path, item := range doc.Paths {
		for method, raw := range item {
			var op struct {
				Responses map[string]struct {
					Ref string `json:"$ref"`
				} `json:"responses"`
			}
			if json.Unmarshal(raw, &op) != nil || op.Responses == nil {
				continue
			}
			ops++
			for _, status := range []string{"408", "414", "431"} {
				r, ok := op.Responses[status]
				if !ok {
					t.Errorf("%s %s does not document %s", method, path, status)
					continue
				}
				if name, isRef := strings.CutPrefix(r.Ref, "#/components/responses/"); isRef && doc.Components.Responses[name] == nil {
					t.Errorf("%s %s: %s refers to the missing response %s", method, path, status, name)
				}
			}
		}
	}
	if ops < 10 {
		t.Fatalf("only %d operations found", ops)
	}
}

// TestSlowRequestIsATimeoutNotAnError: a client that sends half a request
// and stalls gets 408 in the envelope, not a 5xx and not a report.
func TestSlowRequestIsATimeoutNotAnError(t *testing.T) {
	e := listenEdge(t, Options{ReadTimeout: 300 * time.Millisecond})
	for _, stalled := range []string{
		"GET /api/v1/health HTTP/1.1\r\nHost: te",
		"POST /api/v1/auth/send-otp HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"phone",
	} {
		resp, body := e.raw(t, stalled)
		if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), `"REQUEST_TIMEOUT"`) {
			t.Fatalf("stalled request %q = %d %s, want 408 REQUEST_TIMEOUT", stalled, resp.StatusCode, body)
		}
		if id := resp.Header.Get(HeaderRequestID); id == "" || !strings.Contains(string(body), id) {
			t.Errorf("request id %q missing from the header or the body %s", id, body)
		}
	}
	if routes := e.reporter.routes(); len(routes) != 0 {
		t.Errorf("reported: %v", routes)
	}
}
