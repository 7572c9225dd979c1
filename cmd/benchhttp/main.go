// Command benchhttp is make bench-http: it measures the real server side by
// side with a bare Fiber handler that returns the same bytes, on a scratch
// PostgreSQL database, and writes the table into docs/PERFORMANCE.md.
//
// One run: create the scratch database sb_bench_<pid>; seed it with
// bin/seed (it migrates first); start bin/server with default settings
// (only PORT, HOST, DATABASE_URL, the buyers' OTP_TEST_CODES and a high
// RATE_LIMIT_OTP_PER_IP are set); sign buyers in and stock products for
// orders; capture the server's answers to the measured requests and start
// bin/benchbare with them; then, for every endpoint, load the server and
// the bare handler in turn (wrk -t2 -c50 -d10s when wrk is installed,
// otherwise the Go generator in this command, which does the same), while
// sampling the server's RSS; print the table, write it between the markers
// of docs/PERFORMANCE.md, stop both servers and drop the database.
//
//	make bench-http                       # the full run (about 3 minutes)
//	make bench-http BENCH_FLAGS=-quick    # a smoke check: 1,000 products, 2 s per run, prints only
//
// It is a measuring tool for this machine, not part of the product, and
// no test runs it.
package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/secondbloom/marketplace/cmd/internal/loadtest"
	"github.com/secondbloom/marketplace/domain/product"
)

const (
	code        = "246810"
	beginMarker = "<!-- bench-http:begin (written by cmd/benchhttp; edits inside are overwritten) -->"
	endMarker   = "<!-- bench-http:end -->"
)

type options struct {
	adminDSN  string
	bin       string
	products  int
	buyers    int
	sellers   int
	stock     int
	dur       time.Duration
	conns     int
	threads   int
	loadgen   string
	out       string
	quick     bool
	port      int
	serverEnv multiFlag
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var o options
	flag.StringVar(&o.adminDSN, "admin-dsn", envOr("BENCH_ADMIN_DSN", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"DSN of a database on the server where the scratch database is created (and dropped)")
	flag.StringVar(&o.bin, "bin", "bin", "directory holding server, seed and benchbare")
	flag.IntVar(&o.products, "products", 10_000, "products to seed")
	flag.IntVar(&o.buyers, "buyers", 50, "signed-in buyers placing orders")
	flag.IntVar(&o.stock, "order-products", 200, "distinct products orders are spread over")
	flag.IntVar(&o.sellers, "sellers", 20, "sellers the products of the second order row belong to")
	flag.DurationVar(&o.dur, "d", 10*time.Second, "duration of each load run")
	flag.IntVar(&o.conns, "c", 50, "concurrent connections")
	flag.IntVar(&o.threads, "t", 2, "load generator threads (wrk -t)")
	flag.StringVar(&o.loadgen, "loadgen", "auto", "wrk, go, or auto (wrk when installed)")
	flag.StringVar(&o.out, "out", "docs/PERFORMANCE.md", "file whose bench-http section is rewritten; empty prints only")
	flag.BoolVar(&o.quick, "quick", false, "smoke check: 1,000 products, 2 s runs, 10 connections, prints only (unless -out is given)")
	flag.IntVar(&o.port, "port", 39300, "server port; the bare handler listens on port+1")
	flag.Var(&o.serverEnv, "server-env", "KEY=VALUE added to the server's environment (repeatable; the run is then not one with default settings)")
	flag.Parse()
	if o.quick {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["products"] {
			o.products = 1000
		}
		if !set["d"] {
			o.dur = 2 * time.Second
		}
		if !set["c"] {
			o.conns = 10
		}
		if !set["out"] {
			o.out = ""
		}
		if !set["buyers"] {
			o.buyers = 10
		}
		if !set["order-products"] {
			o.stock = 20
		}
		if !set["sellers"] {
			o.sellers = 4
		}
	}
	if o.loadgen == "auto" {
		o.loadgen = "go"
		if _, err := exec.LookPath("wrk"); err == nil {
			o.loadgen = "wrk"
		}
	}
	if o.loadgen != "wrk" && o.loadgen != "go" {
		fail(fmt.Errorf("-loadgen: want wrk, go or auto, not %q", o.loadgen))
	}
	cl := &cleanup{}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Fprintln(os.Stderr, "benchhttp: interrupted, cleaning up")
		cl.run()
		os.Exit(1)
	}()
	err := run(o, cl)
	cl.run()
	if err != nil {
		fail(err)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchhttp:", err)
	os.Exit(1)
}

// cleanup runs its functions once, last added first.
type cleanup struct {
	mu  sync.Mutex
	fns []func()
}

func (c *cleanup) add(fn func()) { c.mu.Lock(); c.fns = append(c.fns, fn); c.mu.Unlock() }

func (c *cleanup) run() {
	c.mu.Lock()
	fns := c.fns
	c.fns = nil
	c.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}

// endpoint is one measured request.
type endpoint struct {
	name   string
	method string
	target string
	goal   func(ours, bare result) (string, bool)
	// pids are the products a POST picks one of at random per request,
	// with a random buyer: the Go generator picks itself, wrk through the
	// Lua script lua.
	pids []string
	lua  string
}

type result struct {
	reqs     int
	errs     int // non-2xx answers
	sockErrs int // connect, read and write errors and timeouts (wrk's: 2 s)
	elapsed  time.Duration
	p50, p99 time.Duration
	rssPeak  int64 // kB, the server's highest VmRSS sampled during the run
}

func (r result) rate() float64 { return float64(r.reqs) / r.elapsed.Seconds() }

func run(o options, cl *cleanup) error {
	started := time.Now()
	for _, b := range []string{"server", "seed", "benchbare"} {
		if _, err := os.Stat(filepath.Join(o.bin, b)); err != nil {
			return fmt.Errorf("%s/%s missing: build with go build -o %s/ ./cmd/server ./cmd/seed ./cmd/benchbare", o.bin, b, o.bin)
		}
	}
	tmp, err := os.MkdirTemp("", "benchhttp-")
	if err != nil {
		return err
	}
	cl.add(func() { os.RemoveAll(tmp) })

	// The scratch database.
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(o.adminDSN)))
	cl.add(func() { admin.Close() })
	dbName := fmt.Sprintf("sb_bench_%d", os.Getpid())
	if _, err := admin.Exec("CREATE DATABASE " + dbName); err != nil {
		return fmt.Errorf("create scratch database (is Postgres up? -admin-dsn %s): %w", o.adminDSN, err)
	}
	cl.add(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)"); err != nil {
			fmt.Fprintln(os.Stderr, "benchhttp: drop", dbName, ":", err)
		} else {
			fmt.Println("dropped database", dbName)
		}
	})
	dsn, err := withDatabase(o.adminDSN, dbName)
	if err != nil {
		return err
	}
	step("seeding %d products into %s", o.products, dbName)
	seed := exec.Command(filepath.Join(o.bin, "seed"), "-dsn", dsn, "-products", strconv.Itoa(o.products))
	if out, err := seed.CombinedOutput(); err != nil {
		return fmt.Errorf("seed: %w\n%s", err, out)
	}

	// The server, with default settings apart from what the run needs.
	// phones[0] is the seller of the first order row, phones[:sellers]
	// those of the second; the others buy.
	o.sellers = max(o.sellers, 1)
	phones := loadtest.Phones(99896, o.buyers+o.sellers)
	base := fmt.Sprintf("http://127.0.0.1:%d", o.port)
	env := []string{
		"PORT=" + strconv.Itoa(o.port), "HOST=127.0.0.1", "DATABASE_URL=" + dsn,
		"OTP_TEST_CODES=" + loadtest.TestCodes(phones, code), "RATE_LIMIT_OTP_PER_IP=1000000",
		"MEDIA_STORE=file://" + filepath.Join(tmp, "media"),
	}
	env = append(env, o.serverEnv...)
	srv, err := start(cl, filepath.Join(o.bin, "server"), nil, env, filepath.Join(tmp, "server.log"))
	if err != nil {
		return err
	}
	if err := waitReady(base+"/api/v1/health/readiness", srv, filepath.Join(tmp, "server.log")); err != nil {
		return err
	}
	idleRSS, _ := readRSS(srv.Process.Pid)

	step("signing in %d buyers, stocking %d products for orders", o.buyers, o.stock)
	client := loadtest.NewClient(8)
	tokens, ids, err := loadtest.SignInAll(client, base, phones, code)
	if err != nil {
		return err
	}
	pids, err := loadtest.Stock(dsn, ids[0], "Bench bouquet", o.stock, product.MaxQuantity)
	if err != nil {
		return err
	}
	// The same number of products spread over many sellers: every order
	// also notifies its seller, and one seller's notifications are
	// numbered one transaction at a time, so a single seller's order rate
	// is bounded by commit latency where many sellers' are not.
	var spread []string
	for i := range o.sellers {
		ps, err := loadtest.Stock(dsn, ids[i], fmt.Sprintf("Bench posy %d", i), max(o.stock/o.sellers, 1), product.MaxQuantity)
		if err != nil {
			return err
		}
		spread = append(spread, ps...)
	}
	buyerTokens := tokens[o.sellers:]
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn)))
	defer db.Close()
	var productID, categoryID string
	if err := db.QueryRow(`SELECT id FROM products WHERE status = 'ACTIVE' AND slug LIKE 'flower-lot-%' ORDER BY created_at DESC LIMIT 1`).Scan(&productID); err != nil {
		return fmt.Errorf("pick a product: %w", err)
	}
	if err := db.QueryRow(`SELECT id FROM categories WHERE parent_id IS NULL AND slug LIKE 'root-%' ORDER BY slug LIMIT 1`).Scan(&categoryID); err != nil {
		return fmt.Errorf("pick a category: %w", err)
	}

	eps := []endpoint{
		{name: "GET /products/{id} (cache hit)", method: "GET", target: "/api/v1/products/" + productID, goal: goalVsBare},
		{name: "GET /products?categoryId=&limit=20", method: "GET", target: "/api/v1/products?categoryId=" + categoryID + "&limit=20", goal: goalRate(4500, 20*time.Millisecond)},
		{name: "GET /categories", method: "GET", target: "/api/v1/categories", goal: goalRate(10000, 0)},
		{name: "POST /orders (distinct products, one seller)", method: "POST", target: "/api/v1/orders", goal: goalRate(1500, 0), pids: pids, lua: orderScript(buyerTokens, pids)},
		{name: fmt.Sprintf("POST /orders (distinct products, %d sellers)", o.sellers), method: "POST", target: "/api/v1/orders", goal: goalRate(1500, 0), pids: spread, lua: orderScript(buyerTokens, spread)},
	}

	// Capture the real answers for the bare handler; the product is read
	// twice so the second answer comes from the cache.
	var captured []capturedResponse
	for _, ep := range eps {
		var status int
		var ctype, body string
		for range 2 {
			req, _ := http.NewRequest(ep.method, base+ep.target, nil)
			if ep.method == "POST" {
				req = loadtest.NewPost(base+ep.target, buyerTokens[0], fmt.Sprintf(`{"productId":%q,"quantity":1}`, ep.pids[0]))
			}
			if status, ctype, body, err = fetch(client, req); err != nil {
				return err
			}
			if ep.method == "POST" {
				break
			}
		}
		if status/100 != 2 {
			return fmt.Errorf("%s %s answered %d: %s", ep.method, ep.target, status, body)
		}
		captured = append(captured, capturedResponse{Method: ep.method, Target: ep.target, Status: status, ContentType: ctype, Body: body})
	}
	respFile := filepath.Join(tmp, "responses.json")
	raw, _ := json.MarshalIndent(captured, "", " ")
	if err := os.WriteFile(respFile, raw, 0o600); err != nil {
		return err
	}
	bareAddr := fmt.Sprintf("127.0.0.1:%d", o.port+1)
	bare, err := start(cl, filepath.Join(o.bin, "benchbare"), []string{"-addr", bareAddr, "-responses", respFile}, nil, filepath.Join(tmp, "bare.log"))
	if err != nil {
		return err
	}
	if err := waitReady("http://"+bareAddr+eps[2].target, bare, filepath.Join(tmp, "bare.log")); err != nil {
		return err
	}

	gen := loadGenerator{o: o, dir: tmp, tokens: buyerTokens}
	rows := make([][2]result, len(eps))
	var rssMax int64
	for i, ep := range eps {
		step("%s: server", ep.name)
		stop := sampleRSS(srv.Process.Pid)
		ours, err := gen.run(base, ep)
		ours.rssPeak = stop()
		if err != nil {
			return err
		}
		rssMax = max(rssMax, ours.rssPeak)
		step("%s: bare handler", ep.name)
		b, err := gen.run("http://"+bareAddr, ep)
		if err != nil {
			return err
		}
		rows[i] = [2]result{ours, b}
		printRow(ep, ours, b)
	}
	hwm, _ := readStatus(srv.Process.Pid, "VmHWM:")

	report := render(o, eps, rows, idleRSS, rssMax, hwm, time.Since(started))
	fmt.Println()
	fmt.Print(report)
	if o.out != "" {
		if err := writeSection(o.out, report); err != nil {
			return err
		}
		fmt.Println("wrote", o.out)
	}
	return nil
}

type capturedResponse struct {
	Method      string `json:"method"`
	Target      string `json:"target"`
	Status      int    `json:"status"`
	ContentType string `json:"contentType"`
	Body        string `json:"body"`
}

func step(format string, args ...any) {
	fmt.Printf("%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func withDatabase(dsn, name string) (string, error) {
	re := regexp.MustCompile(`^(postgres(?:ql)?://[^/]*)/[^?]*(\?.*)?$`)
	m := re.FindStringSubmatch(dsn)
	if m == nil {
		return "", fmt.Errorf("-admin-dsn %q: want postgres://user@host:port/db?...", dsn)
	}
	return m[1] + "/" + name + m[2], nil
}

// start runs bin with args and, when env is not nil, a default environment
// plus env; output goes to logFile. The process is stopped at cleanup.
func start(cl *cleanup, bin string, args, env []string, logFile string) (*exec.Cmd, error) {
	f, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if env != nil {
		cmd.Env = append(baseEnv(), env...)
	}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	cl.add(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(40 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		f.Close()
	})
	return cmd, nil
}

// baseEnv is this process's environment without the server's settings, so
// the server runs with its defaults whatever the caller's shell exports.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PATH", "HOME", "TMPDIR", "LANG", "TZ":
			env = append(env, kv)
		}
	}
	return env
}

func waitReady(url string, cmd *exec.Cmd, logFile string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if cmd.ProcessState != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, _ := os.ReadFile(logFile)
	return fmt.Errorf("%s did not answer 200 within 30 s; its log:\n%s", url, tail(out, 3000))
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func fetch(client *http.Client, req *http.Request) (int, string, string, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body), err
}

// readRSS returns the process's VmRSS in kB.
func readRSS(pid int) (int64, error) { return readStatus(pid, "VmRSS:") }

func readStatus(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s not in /proc/%d/status", field, pid)
}

// sampleRSS samples VmRSS every 100 ms until the returned function is
// called, which returns the highest sample in kB.
func sampleRSS(pid int) func() int64 {
	var peak int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if v, err := readRSS(pid); err == nil {
				peak = max(peak, v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() int64 { close(done); wg.Wait(); return peak }
}

// loadGenerator runs one endpoint's load with wrk or in this process.
type loadGenerator struct {
	o      options
	dir    string
	tokens []string
}

func (g loadGenerator) run(base string, ep endpoint) (result, error) {
	if g.o.loadgen == "wrk" {
		return g.wrk(base, ep)
	}
	return g.goLoad(base, ep)
}

// orderScript is the wrk script of POST /orders: each request a random
// buyer orders one item of a random product.
func orderScript(tokens, pids []string) string {
	var b strings.Builder
	b.WriteString("local tokens = {")
	for _, t := range tokens {
		fmt.Fprintf(&b, "%q,", t)
	}
	b.WriteString("}\nlocal products = {")
	for _, p := range pids {
		fmt.Fprintf(&b, "%q,", p)
	}
	b.WriteString(`}
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  local t = tokens[math.random(#tokens)]
  local p = products[math.random(#products)]
  return wrk.format("POST", "/api/v1/orders",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. t},
    '{"productId":"' .. p .. '","quantity":1}')
end
`)
	return b.String()
}

func (g loadGenerator) wrkArgs(base string, ep endpoint) []string {
	args := []string{"-t" + strconv.Itoa(g.o.threads), "-c" + strconv.Itoa(g.o.conns), "-d" + g.o.dur.String(), "--latency"}
	if ep.lua != "" {
		args = append(args, "-s", filepath.Join(g.dir, "orders.lua"))
	}
	return append(args, base+ep.target)
}

var (
	reRate  = regexp.MustCompile(`(\d+) requests in ([\d.]+)(us|ms|s|m),`)
	rePct   = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$`)
	reNon2x = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	reSock  = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func (g loadGenerator) wrk(base string, ep endpoint) (result, error) {
	if ep.lua != "" {
		if err := os.WriteFile(filepath.Join(g.dir, "orders.lua"), []byte(ep.lua), 0o600); err != nil {
			return result{}, err
		}
	}
	out, err := exec.Command("wrk", g.wrkArgs(base, ep)...).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	s := string(out)
	var r result
	m := reRate.FindStringSubmatch(s)
	if m == nil {
		return result{}, fmt.Errorf("wrk output not understood:\n%s", s)
	}
	r.reqs, _ = strconv.Atoi(m[1])
	r.elapsed = duration(m[2], m[3])
	for _, m := range rePct.FindAllStringSubmatch(s, -1) {
		if m[1] == "50" {
			r.p50 = duration(m[2], m[3])
		} else {
			r.p99 = duration(m[2], m[3])
		}
	}
	if m := reNon2x.FindStringSubmatch(s); m != nil {
		r.errs, _ = strconv.Atoi(m[1])
	}
	if m := reSock.FindStringSubmatch(s); m != nil {
		for _, v := range m[1:] {
			n, _ := strconv.Atoi(v)
			r.sockErrs += n
		}
	}
	return r, nil
}

func duration(v, unit string) time.Duration {
	f, _ := strconv.ParseFloat(v, 64)
	mult := map[string]float64{"us": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9}[unit]
	return time.Duration(f * mult)
}

// goLoad is the fallback generator: c connections, each sending its next
// request when the previous answer is in (as wrk does), for the duration.
func (g loadGenerator) goLoad(base string, ep endpoint) (result, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: g.o.conns, MaxConnsPerHost: g.o.conns,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var (
		mu             sync.Mutex
		lat            []time.Duration
		errs, sockErrs int
	)
	elapsed := loadtest.RunFor(g.o.conns, g.o.dur, 11, func(rnd *rand.Rand) {
		var req *http.Request
		if ep.method == "POST" {
			body := fmt.Sprintf(`{"productId":%q,"quantity":1}`, ep.pids[rnd.IntN(len(ep.pids))])
			req = loadtest.NewPost(base+ep.target, g.tokens[rnd.IntN(len(g.tokens))], body)
		} else {
			req, _ = http.NewRequest(ep.method, base+ep.target, nil)
		}
		t0 := time.Now()
		resp, err := client.Do(req)
		status := 0
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			status = resp.StatusCode
		}
		el := time.Since(t0)
		mu.Lock()
		lat = append(lat, el)
		switch {
		case status == 0:
			sockErrs++
		case status/100 != 2:
			errs++
		}
		mu.Unlock()
	})
	if len(lat) == 0 {
		return result{}, errors.New("no request completed")
	}
	p := loadtest.Summarize(lat)
	return result{reqs: len(lat), errs: errs, sockErrs: sockErrs, elapsed: elapsed, p50: p.P50, p99: p.P99}, nil
}

func goalVsBare(ours, bare result) (string, bool) {
	ok := ours.rate() >= bare.rate()/2 && ours.p99 <= 2*bare.p99
	return ">= 50% of bare req/s, p99 <= 2x bare", ok
}

func goalRate(rate float64, p99 time.Duration) func(ours, bare result) (string, bool) {
	return func(ours, _ result) (string, bool) {
		text := fmt.Sprintf(">= %s req/s", thousands(rate))
		ok := ours.rate() >= rate
		if p99 > 0 {
			text += ", p99 < " + ms(p99)
			ok = ok && ours.p99 < p99
		}
		return text, ok
	}
}

func printRow(ep endpoint, ours, bare result) {
	fmt.Printf("    ours %s req/s p50 %s p99 %s non-2xx %d socket errors %d | bare %s req/s p50 %s p99 %s | RSS peak %.0f MB\n",
		thousands(ours.rate()), ms(ours.p50), ms(ours.p99), ours.errs, ours.sockErrs, thousands(bare.rate()), ms(bare.p50), ms(bare.p99), mb(ours.rssPeak))
}

func thousands(f float64) string {
	s := strconv.FormatInt(int64(f+0.5), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + " ms"
}

func mb(kb int64) float64 { return float64(kb) / 1024 }

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

func render(o options, eps []endpoint, rows [][2]result, idle, peak, hwm int64, took time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Run of %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Machine: %s, %d cores (nproc), %s memory, %s/%s, %s. Load generator: %s.\n",
		cpuModel(), runtime.NumCPU(), memTotal(), runtime.GOOS, runtime.GOARCH, runtime.Version(), o.loadgen)
	fmt.Fprintf(&b, "%d products seeded, %d buyers ordering from %d products of one seller, then from %d products of %d sellers; each row is %s with %d connections",
		o.products, o.buyers, o.stock, max(o.stock/o.sellers, 1)*o.sellers, o.sellers, o.dur, o.conns)
	if o.loadgen == "wrk" {
		fmt.Fprintf(&b, " and %d threads", o.threads)
	}
	fmt.Fprintf(&b, ", first the server then the bare handler. The whole run took %s.\n", took.Round(time.Second))
	if len(o.serverEnv) > 0 {
		fmt.Fprintf(&b, "Server settings changed for this run: `%s`.\n", strings.Join(o.serverEnv, " "))
	} else {
		b.WriteString("The server ran with default settings.\n")
	}
	b.WriteString("\n| endpoint | ours req/s | ours p50 | ours p99 | bare req/s | bare p50 | bare p99 | ours / bare req/s | non-2xx / socket errors (ours) | goal | met |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|\n")
	for i, ep := range eps {
		ours, bare := rows[i][0], rows[i][1]
		goal, ok := ep.goal(ours, bare)
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %.0f%% | %d / %d | %s | %s |\n", ep.name,
			thousands(ours.rate()), ms(ours.p50), ms(ours.p99), thousands(bare.rate()), ms(bare.p50), ms(bare.p99),
			100*ours.rate()/bare.rate(), ours.errs, ours.sockErrs, goal, yes(ok))
	}
	fmt.Fprintf(&b, "| server RSS | idle %.0f MB | | | | | | | | <= 100 MB under load | %s |\n", mb(idle), yes(mb(max(peak, hwm)) <= 100))
	fmt.Fprintf(&b, "\nServer RSS: %.0f MB after start-up, %.0f MB highest VmRSS sampled under load (every 100 ms), %.0f MB VmHWM at the end.\n",
		mb(idle), mb(peak), mb(hwm))
	b.WriteString("\nCommands:\n\n```\n")
	fmt.Fprintf(&b, "%s\n", strings.Join(append([]string{"bin/benchhttp"}, os.Args[1:]...), " "))
	if o.loadgen == "wrk" {
		g := loadGenerator{o: o, dir: "$TMP"}
		for _, ep := range eps {
			fmt.Fprintf(&b, "wrk %s\n", strings.Join(g.wrkArgs("http://127.0.0.1:PORT", ep), " "))
		}
	}
	b.WriteString("```\n")
	return b.String()
}

func cpuModel() string {
	raw, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func memTotal() string {
	raw, _ := os.ReadFile("/proc/meminfo")
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	return "unknown"
}

// writeSection replaces the text between the markers of file with report,
// adding the markers at the end when the file has none. Earlier runs are
// kept below the new one, newest first, up to five.
func writeSection(file, report string) error {
	raw, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	s := string(raw)
	i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
	var before, inside, after string
	if i < 0 || j < i {
		before, after = s, ""
		if before != "" && !strings.HasSuffix(before, "\n") {
			before += "\n"
		}
	} else {
		before, inside, after = s[:i], s[i+len(beginMarker):j], s[j+len(endMarker):]
	}
	runs := []string{strings.TrimSpace(report)}
	for _, r := range strings.Split(inside, "\n### Run of ") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if !strings.HasPrefix(r, "### Run of ") {
			r = "### Run of " + r
		}
		runs = append(runs, r)
	}
	runs = runs[:min(len(runs), 5)]
	var b bytes.Buffer
	b.WriteString(before)
	b.WriteString(beginMarker + "\n\n")
	b.WriteString(strings.Join(runs, "\n\n"))
	b.WriteString("\n\n" + endMarker)
	b.WriteString(after)
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteString("\n")
	}
	return os.WriteFile(file, b.Bytes(), 0o644)
}
