package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestGracefulShutdown starts the real server, keeps clients busy, and
// cancels its context as SIGTERM would: readiness must turn 503 while
// requests keep succeeding, and run must return nil.
func TestGracefulShutdown(t *testing.T) {
	port := freePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, env(map[string]string{"PORT": fmt.Sprint(port), "HOST": "127.0.0.1", "SHUTDOWN_DRAIN": "700ms", "LOG_LEVEL": "error", "MEDIA_STORE": "file://" + t.TempDir()}))
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/api/v1/health")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []string
		served   int
	)
	stop := make(chan struct{})
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 5 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Post(base+"/api/v1/auth/send-otp", "application/json", strings.NewReader(`{"phoneNumber":"bad"}`))
				if err != nil {
					// Connections refused after the listener closed are expected.
					continue
				}
				resp.Body.Close()
				mu.Lock()
				if resp.StatusCode >= 500 {
					failures = append(failures, resp.Status)
				} else {
					served++
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	cancel()
	time.Sleep(200 * time.Millisecond)
	resp, err := http.Get(base + "/api/v1/health/readiness")
	if err != nil {
		t.Fatalf("readiness during the drain: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readiness during the drain = %d, want 503", resp.StatusCode)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop within 30 s")
	}
	close(stop)
	wg.Wait()
	if len(failures) > 0 {
		t.Errorf("%d requests failed with 5xx during shutdown: %v", len(failures), failures[:min(5, len(failures))])
	}
	if served == 0 {
		t.Errorf("no request was served; the test exercised nothing")
	}
}
