package acceptance

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/acceptance/testenv"
)

func TestHTTPConventions(t *testing.T) {
	testenv.ForEachBackend(t, testenv.Options{}, func(t *testing.T, e *testenv.Env) {
		t.Run("uptime monitors see health, liveness and readiness", func(t *testing.T) {
			for _, path := range []string{"/api/v1/health", "/api/v1/health/liveness"} {
				r := e.Get(t, path, "")
				if r.Status != http.StatusOK || r.Data()["status"] != "ok" || r.Data()["version"] != "test" {
					t.Errorf("GET %s = %s, want 200 ok with version", path, r)
				}
				if _, ok := r.Data()["uptimeSeconds"].(float64); !ok {
					t.Errorf("GET %s has no numeric uptimeSeconds: %s", path, r)
				}
			}
			r := e.Get(t, "/api/v1/health/readiness", "")
			checks, _ := r.Data()["checks"].(map[string]any)
			if r.Status != http.StatusOK || r.Data()["status"] != "ready" || checks["database"] != "up" {
				t.Errorf("readiness = %s, want 200 ready with database up", r)
			}
		})

		t.Run("readiness turns 503 while the server drains", func(t *testing.T) {
			d := testenv.New(t, e.Backend, testenv.Options{})
			d.Server.StartDraining()
			r := d.Get(t, "/api/v1/health/readiness", "")
			if r.Status != http.StatusServiceUnavailable || r.ErrorCode() != "UNAVAILABLE" || !strings.Contains(string(r.Raw), `"field":"server"`) {
				t.Errorf("readiness while draining = %s, want 503 UNAVAILABLE naming the server check", r)
			}
			if r := d.Get(t, "/api/v1/health/liveness", ""); r.Status != http.StatusOK {
				t.Errorf("liveness while draining = %s, want 200", r)
			}
		})

		t.Run("the OpenAPI description is served", func(t *testing.T) {
			r := e.Get(t, "/api/v1/openapi.json", "")
			if r.Status != http.StatusOK || !strings.HasPrefix(r.Body["openapi"].(string), "3.") || r.Body["paths"] == nil {
				t.Errorf("GET /openapi.json = %d, want an OpenAPI 3 document", r.Status)
			}
		})

		t.Run("request ids are echoed when well formed and replaced otherwise", func(t *testing.T) {
			r := e.Do(t, testenv.Request{Method: "GET", Path: "/api/v1/health", Header: map[string]string{"X-Request-ID": "abc.DEF_123-x"}})
			if got := r.Header.Get("X-Request-ID"); got != "abc.DEF_123-x" {
				t.Errorf("X-Request-ID = %q, want the client's", got)
			}
			for _, bad := range []string{"has space", "ünïcode", strings.Repeat("a", 129)} {
				r := e.Do(t, testenv.Request{Method: "GET", Path: "/api/v1/health", Header: map[string]string{"X-Request-ID": bad}})
				if got := r.Header.Get("X-Request-ID"); got == "" || got == bad {
					t.Errorf("X-Request-ID for %.10q = %q, want a generated one", bad, got)
				}
			}
			r = e.Get(t, "/api/v1/nope", "")
			if r.Status != http.StatusNotFound || r.ErrorCode() != "NOT_FOUND" || r.Body["requestId"] != r.Header.Get("X-Request-ID") || r.Body["success"] != false {
				t.Errorf("unknown route = %s, want 404 NOT_FOUND envelope carrying the request id", r)
			}
		})

		bad := []struct {
			name   string
			req    testenv.Request
			status int
			code   string
			field  string
		}{
			{"a body that is not JSON", testenv.Request{Body: "phoneNumber=+998901234567", ContentType: "application/x-www-form-urlencoded"}, 415, "UNSUPPORTED_MEDIA_TYPE", ""},
			{"a JSON body without a content type", testenv.Request{Body: `{"phoneNumber":"+998901234567"}`}, 415, "UNSUPPORTED_MEDIA_TYPE", ""},
			{"malformed JSON", testenv.Request{Body: `{"phoneNumber":`, ContentType: "application/json"}, 400, "VALIDATION_FAILED", "body"},
			{"a JSON array", testenv.Request{Body: `["+998901234567"]`, ContentType: "application/json"}, 400, "VALIDATION_FAILED", "body"},
			{"two JSON objects", testenv.Request{Body: `{"phoneNumber":"+998901234567"}{}`, ContentType: "application/json"}, 400, "VALIDATION_FAILED", "body"},
			{"an unknown field", testenv.Request{Body: `{"phoneNumber":"+998901234567","role":"ADMIN"}`, ContentType: "application/json"}, 400, "VALIDATION_FAILED", "role"},
			{"a duplicate field", testenv.Request{Body: `{"phoneNumber":"+998901234567","phoneNumber":"+998901234568"}`, ContentType: "application/json"}, 400, "VALIDATION_FAILED", "phoneNumber"},
			{"a number for a string", testenv.Request{Body: `{"phoneNumber":998901234567}`, ContentType: "application/json"}, 400, "VALIDATION_FAILED", "phoneNumber"},
			{"null for a required field", testenv.Request{Body: `{"phoneNumber":null}`, ContentType: "application/json"}, 400, "VALIDATION_FAILED", "phoneNumber"},
			{"an empty object", testenv.Request{Body: `{}`, ContentType: "application/json"}, 400, "VALIDATION_FAILED", "phoneNumber"},
			{"no body", testenv.Request{}, 400, "VALIDATION_FAILED", "phoneNumber"},
		}
		for _, tc := range bad {
			t.Run("send-otp refuses "+tc.name, func(t *testing.T) {
				tc.req.Method, tc.req.Path = "POST", "/api/v1/auth/send-otp"
				before := len(e.SMS.Sent())
				r := e.Do(t, tc.req)
				if r.Status != tc.status || r.ErrorCode() != tc.code {
					t.Fatalf("got %.300s, want %d %s", r, tc.status, tc.code)
				}
				if tc.field != "" && !strings.Contains(string(r.Raw), `"field":"`+tc.field+`"`) {
					t.Errorf("details do not name %q: %s", tc.field, r.Raw)
				}
				if after := len(e.SMS.Sent()); after != before {
					t.Errorf("a refused request sent an SMS")
				}
			})
		}

		t.Run("a body over 1 MiB is refused with 413", func(t *testing.T) {
			d := testenv.New(t, testenv.Memory, testenv.Options{})
			base := d.Listen(t)
			// A raw connection: the server answers as soon as it reads the
			// declared length, and an HTTP client still uploading the body
			// would see the connection reset instead of the answer.
			conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			fmt.Fprintf(conn, "POST /api/v1/auth/send-otp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"phoneNumber\":\"", 2<<20)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got struct {
				Error     struct{ Code string }
				RequestID string
			}
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusRequestEntityTooLarge || got.Error.Code != "PAYLOAD_TOO_LARGE" || got.RequestID == "" ||
				resp.Header.Get("X-Request-ID") != got.RequestID {
				t.Errorf("oversized body = %d %+v (X-Request-ID %q), want 413 PAYLOAD_TOO_LARGE with a request id", resp.StatusCode, got, resp.Header.Get("X-Request-ID"))
			}
			if n := len(d.SMS.Sent()); n != 0 {
				t.Errorf("%d SMS sent for an oversized request", n)
			}
		})

		t.Run("every offending field gets its own detail", func(t *testing.T) {
			r := e.Do(t, testenv.Request{Method: "POST", Path: "/api/v1/auth/verify-otp", ContentType: "application/json",
				Body: `{"phoneNumber":1,"code":2,"extra":3}`})
			for _, f := range []string{"phoneNumber", "code", "extra"} {
				if !strings.Contains(string(r.Raw), `"field":"`+f+`"`) {
					t.Errorf("no detail for %s: %s", f, r)
				}
			}
		})
	})
}
