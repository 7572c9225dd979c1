package http

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDocsPageLoadsOnlyFromTheServer checks the page and its assets without
// a browser: every script and stylesheet the page names is served here with
// its content type, and the page forbids loading anything from elsewhere.
func TestDocsPageLoadsOnlyFromTheServer(t *testing.T) {
	s := newTestServer(t)
	get := func(path string) *http.Response {
		t.Helper()
		resp, err := s.App().Test(httptest.NewRequest(http.MethodGet, path, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	page := get("/api/docs")
	body, _ := io.ReadAll(page.Body)
	if page.StatusCode != http.StatusOK || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /api/docs = %d %s, want 200 text/html", page.StatusCode, page.Header.Get("Content-Type"))
	}
	csp := page.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "font-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy = %q, want it to contain %q", csp, want)
		}
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(body), -1)
	if len(refs) < 3 {
		t.Fatalf("the page names %d resources; the pattern is broken", len(refs))
	}
	for _, m := range refs {
		ref := m[1]
		if ref == "data:," || ref == "/api/v1/openapi.json" {
			continue
		}
		if !strings.HasPrefix(ref, "/api/docs/") {
			t.Errorf("the page loads %q, which is not served by /api/docs", ref)
			continue
		}
		resp := get(ref)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", ref, resp.StatusCode)
		}
		wantType := "text/css"
		if strings.HasSuffix(ref, ".js") {
			wantType = "text/javascript"
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, wantType) {
			t.Errorf("GET %s Content-Type = %q, want %s", ref, ct, wantType)
		}
	}
	// Compressed for clients that accept it, byte for byte the same.
	plain := get("/api/docs/swagger-ui-bundle.js")
	want, _ := io.ReadAll(plain.Body)
	req := httptest.NewRequest(http.MethodGet, "/api/docs/swagger-ui-bundle.js", nil)
	req.Header.Set("Accept-Encoding", "gzip, br")
	zipped, err := s.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	if zipped.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("Content-Encoding with Accept-Encoding: gzip = %q, want gzip", zipped.Header.Get("Content-Encoding"))
	} else {
		zr, err := gzip.NewReader(zipped.Body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, want) || len(want) == 0 {
			t.Errorf("gunzipped bundle = %d bytes (err %v), want the %d bytes served plain", len(got), err, len(want))
		}
	}
	if resp := get("/api/docs/vendor.sh"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /api/docs/vendor.sh = %d, want 404 (only the page's assets are served)", resp.StatusCode)
	}
}

// TestDocsPageRendersInChromium loads /api/docs in Debian's headless
// Chromium and checks that the rendered page lists every operation of
// openapi.json and that no request went anywhere but this server: the
// browser sends everything, loopback included, through a recording proxy
// that forwards only to the server, and cannot resolve any other host.
func TestDocsPageRendersInChromium(t *testing.T) {
	browser := chromium(t)

	s := newTestServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.App().Listener(ln) }()
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	addr := ln.Addr().String()

	var mu sync.Mutex
	var requested []string
	forward := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: addr})
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if r.Method == http.MethodConnect {
			requested = append(requested, "CONNECT "+r.Host)
		} else {
			requested = append(requested, r.URL.String())
		}
		mu.Unlock()
		if r.Method == http.MethodConnect || r.URL.Host != addr {
			http.Error(w, "only the server under test is reachable", http.StatusForbidden)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	defer proxy.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-extensions", "--no-first-run", "--no-default-browser-check",
		// Chromium's own traffic (sign-in, updates, field trials), which
		// would otherwise show up at the proxy as the browser's, not the page's.
		"--disable-domain-reliability", "--disable-client-side-phishing-detection", "--metrics-recording-only",
		"--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication,CertificateTransparencyComponentUpdater,DialMediaRouteProvider,NetworkTimeServiceQuerying",
		"--variations-server-url=http://127.0.0.1:9/", "--safebrowsing-disable-auto-update", "--no-service-autorun",
		"--disable-signin-promo", "--disable-component-extensions-with-background-pages", "--component-updater=url-source=http://127.0.0.1:9/", "--google-base-url=http://127.0.0.1:9/", "--gaia-url=http://127.0.0.1:9/",
		"--user-data-dir="+t.TempDir(),
		"--proxy-server=http://"+proxy.Listener.Addr().String(), "--proxy-bypass-list=<-loopback>",
		"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
		"--virtual-time-budget=15000", "--dump-dom",
		"http://"+addr+"/api/docs")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, tail(stderr.String(), 2000))
	}
	dom := stdout.String()

	ops := documentedOperations(t)
	var missing []string
	for _, op := range ops {
		// Swagger UI shows each operation's id and path; an id that is
		// merely present in the raw JSON would not be in the DOM.
		if !strings.Contains(dom, ">"+op.OperationID+"<") {
			missing = append(missing, op.OperationID)
		}
	}
	if len(missing) > 0 {
		t.Errorf("the rendered page does not list %d of %d operations: %v\nDOM starts: %s", len(missing), len(ops), missing, tail(dom, 1500))
	}

	mu.Lock()
	defer mu.Unlock()
	var outside []string
	sawSpec := false
	for _, u := range requested {
		if !strings.HasPrefix(u, "http://"+addr+"/") {
			outside = append(outside, u)
		}
		if u == "http://"+addr+"/api/v1/openapi.json" {
			sawSpec = true
		}
	}
	sort.Strings(outside)
	if len(outside) > 0 {
		t.Errorf("the page asked for resources outside the server: %v", outside)
	}
	if !sawSpec {
		t.Errorf("the browser never fetched /api/v1/openapi.json through the proxy (requests: %v); the proxy check is not in the path", requested)
	}
}

// chromium returns the path of a Chromium binary. Without one the test is
// skipped loudly, except under CI=true where it fails (.ci/run installs
// Debian's chromium package).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is required under CI=true (apt-get install chromium)")
	}
	t.Skip("SKIPPED: chromium is not installed, the API docs page was not tried in a browser (apt-get install chromium)")
	return ""
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
