package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/secondbloom/marketplace/adapters/clock"
	httpadapter "github.com/secondbloom/marketplace/adapters/http"
	"github.com/secondbloom/marketplace/adapters/jwt"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/phone"
)

// recordingSMS keeps the last code sent, as the user's phone would.
type recordingSMS struct {
	mu   sync.Mutex
	last auth.Code
}

func (r *recordingSMS) SendCode(_ context.Context, _ phone.Number, c auth.Code) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last = c
	return nil
}

// safeBuffer is a bytes.Buffer for concurrent log writes.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// failingPinger makes readiness fail with a cause, to see causes logged.
type failingPinger struct{}

func (failingPinger) Ping(context.Context) error {
	return errors.New("dial tcp 10.0.0.5:5432: connection refused")
}

// TestSignInFlowLogsNoSecrets runs a whole sign-in (send, a wrong code,
// verify, me, refresh, logout) and checks the JSON log: one line per
// request with its fields, and no code, token or full phone number.
func TestSignInFlowLogsNoSecrets(t *testing.T) {
	var logs safeBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store := memory.New()
	tokens, _ := jwt.New([]byte(strings.Repeat("j", 32)))
	sender := &recordingSMS{}
	core, err := app.New(app.Deps{Tx: store, Repos: store.Repos(), Clock: clock.System{}, Pinger: store,
		SMS: sender, Tokens: tokens, Config: app.Config{CodeHashKey: []byte(strings.Repeat("h", 32))}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httpadapter.New(core, httpadapter.Options{Logger: logger})

	const number = "+998935551234"
	call := func(method, path, body, bearer string, want int) map[string]any {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := srv.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s %s = %d, want %d", method, path, resp.StatusCode, want)
		}
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		data, _ := out["data"].(map[string]any)
		return data
	}
	call("POST", "/api/v1/auth/send-otp", `{"phoneNumber":"`+number+`"}`, "", 201)
	sender.mu.Lock()
	code := string(sender.last)
	sender.mu.Unlock()
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	call("POST", "/api/v1/auth/verify-otp", `{"phoneNumber":"`+number+`","code":"`+wrong+`"}`, "", 401)
	signIn := call("POST", "/api/v1/auth/verify-otp", `{"phoneNumber":"`+number+`","code":"`+code+`"}`, "", 201)
	access, _ := signIn["accessToken"].(string)
	refresh, _ := signIn["refreshToken"].(string)
	user, _ := signIn["user"].(map[string]any)
	userID, _ := user["id"].(string)
	call("GET", "/api/v1/auth/me", "", access, 200)
	again := call("POST", "/api/v1/auth/refresh", `{"refreshToken":"`+refresh+`"}`, "", 200)
	access2, _ := again["accessToken"].(string)
	refresh2, _ := again["refreshToken"].(string)
	call("POST", "/api/v1/auth/logout", "", access2, 204)
	call("GET", "/api/v1/auth/me", "", access2, 401)
	if access == "" || refresh == "" || access2 == "" || refresh2 == "" || userID == "" {
		t.Fatalf("the sign-in flow returned no tokens or user: %v %v", signIn, again)
	}

	out := logs.String()
	for name, secret := range map[string]string{
		"the code": code, "the wrong code": wrong, "the phone number": number, "the phone's subscriber digits": number[4:],
		"the access token": access, "the refresh token": refresh, "the second access token": access2, "the second refresh token": refresh2,
	} {
		if strings.Contains(out, secret) {
			t.Errorf("the log contains %s (%q)", name, secret)
		}
	}

	// The log is not silent: one structured line per request, with the
	// user id once signed in and the error code of failures.
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		if m["msg"] == "request" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 7 {
		t.Fatalf("got %d request lines, want 7:\n%s", len(lines), out)
	}
	for _, l := range lines {
		for _, k := range []string{"requestId", "method", "route", "status", "latencyMs"} {
			if _, ok := l[k]; !ok {
				t.Errorf("request line %v lacks %s", l, k)
			}
		}
	}
	if l := lines[1]; l["status"] != float64(401) || l["errorCode"] != "INVALID_OTP" || l["route"] != "/api/v1/auth/verify-otp" {
		t.Errorf("wrong-code line = %v, want 401 INVALID_OTP on /api/v1/auth/verify-otp", l)
	}
	if l := lines[3]; l["userId"] != userID {
		t.Errorf("GET /auth/me line = %v, want userId %s", l, userID)
	}
}

// TestInternalErrorsAreLoggedWithTheirCause checks that a 5xx line carries
// the cause, while the client sees none of it.
func TestInternalErrorsAreLoggedWithTheirCause(t *testing.T) {
	var logs safeBuffer
	store := memory.New()
	tokens, _ := jwt.New([]byte(strings.Repeat("j", 32)))
	core, err := app.New(app.Deps{Tx: store, Repos: store.Repos(), Clock: clock.System{}, Pinger: failingPinger{},
		SMS: &recordingSMS{}, Tokens: tokens, Config: app.Config{CodeHashKey: []byte(strings.Repeat("h", 32))}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httpadapter.New(core, httpadapter.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	resp, err := srv.App().Test(httptest.NewRequest("GET", "/api/v1/health/readiness", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	if resp.StatusCode != 503 || strings.Contains(body.String(), "10.0.0.5") {
		t.Fatalf("readiness = %d %s, want 503 without the cause", resp.StatusCode, body.String())
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(logs.String())), &line); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	if line["level"] != "ERROR" || line["errorCode"] != "UNAVAILABLE" || !strings.Contains(line["error"].(string), "connection refused") {
		t.Fatalf("log line = %v, want an ERROR with errorCode UNAVAILABLE and the cause", line)
	}
}
