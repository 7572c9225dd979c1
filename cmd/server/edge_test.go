package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestEdgeAsConfigured starts the real server with the edge settings and
// checks them end to end: oversized requests are refused in the envelope
// and counted by the real metrics, which need the token.
func TestEdgeAsConfigured(t *testing.T) {
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, env(map[string]string{"PORT": fmt.Sprint(port), "HOST": "127.0.0.1", "SHUTDOWN_DRAIN": "0s",
			"LOG_LEVEL": "error", "METRICS_TOKEN": "edge-test-token", "CORS_ALLOWED_ORIGINS": "https://admin.example.uz",
			"TRUSTED_PROXIES": "127.0.0.0/8"}))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run returned %v", err)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/api/v1/health")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	raw := func(request string) (int, string) {
		t.Helper()
		conn, err := net.Dial("tcp", addr)
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
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	if st, body := raw("GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("p", 20000) + "\r\n\r\n"); st != 431 || !strings.Contains(body, `"HEADERS_TOO_LARGE"`) {
		t.Errorf("20 KB header = %d %s, want 431 HEADERS_TOO_LARGE", st, body)
	}
	if st, body := raw("GET /api/v1/health?p=" + strings.Repeat("u", 10000) + " HTTP/1.1\r\nHost: x\r\n\r\n"); st != 414 || !strings.Contains(body, `"URI_TOO_LONG"`) {
		t.Errorf("10 KB URL = %d %s, want 414 URI_TOO_LONG", st, body)
	}
	if st, body := raw("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"); st != 401 || strings.Contains(body, "secondbloom_") {
		t.Errorf("/metrics without the token = %d, want 401 and no metrics", st)
	}
	st, body := raw("GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer edge-test-token\r\n\r\n")
	if st != 200 {
		t.Fatalf("/metrics with the token = %d", st)
	}
	for _, status := range []string{"431", "414"} {
		if !strings.Contains(body, `status="`+status+`"`) {
			t.Errorf("metrics count no %s:\n%s", status, body)
		}
	}
	if strings.Contains(body, `status="500"`) {
		t.Errorf("a refused request was counted as a 500")
	}
	preflight := "OPTIONS /api/v1/orders HTTP/1.1\r\nHost: x\r\nOrigin: https://admin.example.uz\r\nAccess-Control-Request-Method: POST\r\n\r\n"
	if st, _ := raw(preflight); st != 204 {
		t.Errorf("preflight from the configured origin = %d, want 204", st)
	}
}
