// Command loadgen measures the sign-in path of a running server: it asks
// for codes for n phone numbers, reads the codes the development SMS sender
// printed to the server's log file, then verifies them all with c
// concurrent clients and prints throughput and latency percentiles.
//
//	APP_ENV=development RATE_LIMIT_OTP_PER_IP=1000000 ./server > /tmp/server.log &
//	go run ./cmd/loadgen -url http://127.0.0.1:3000 -log /tmp/server.log -n 5000 -c 16
//
// It is a measuring tool for this machine, not part of the product.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secondbloom/marketplace/cmd/internal/loadtest"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:3000", "server base URL")
	logPath := flag.String("log", "", "file the server's stdout goes to (required)")
	n := flag.Int("n", 2000, "phone numbers to sign in")
	c := flag.Int("c", 16, "concurrent clients")
	prefix := flag.Int("prefix", 99893, "first digits of the generated numbers (vary between runs: each phone may get 5 codes an hour)")
	flag.Parse()
	if *logPath == "" {
		fmt.Fprintln(os.Stderr, "loadgen: -log is required")
		os.Exit(2)
	}
	phones := loadtest.Phones(*prefix, *n)
	client := loadtest.NewClient(*c)

	sendLat, sendFail := run(client, *c, phones, func(p string) (*http.Request, int) {
		return loadtest.NewPost(*base+"/api/v1/auth/send-otp", "", fmt.Sprintf(`{"phoneNumber":%q}`, p)), http.StatusCreated
	})
	report("send-otp", sendLat, sendFail)

	time.Sleep(500 * time.Millisecond) // let the server flush its log
	codes, err := readCodes(*logPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	verifyLat, verifyFail := run(client, *c, phones, func(p string) (*http.Request, int) {
		return loadtest.NewPost(*base+"/api/v1/auth/verify-otp", "", fmt.Sprintf(`{"phoneNumber":%q,"code":%q}`, p, codes[p])), http.StatusCreated
	})
	report("verify-otp", verifyLat, verifyFail)
}

type result struct {
	latencies []time.Duration
	elapsed   time.Duration
}

// run sends one request per phone with c workers and returns the
// latencies of the requests that got the wanted status, and the number
// that did not.
func run(client *http.Client, c int, phones []string, build func(string) (*http.Request, int)) (result, int64) {
	var (
		next  atomic.Int64
		fails atomic.Int64
		mu    sync.Mutex
		lat   = make([]time.Duration, 0, len(phones))
		wg    sync.WaitGroup
	)
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(phones) {
					return
				}
				req, want := build(phones[i])
				t0 := time.Now()
				resp, err := client.Do(req)
				d := time.Since(t0)
				if err != nil {
					fails.Add(1)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != want {
					fails.Add(1)
					continue
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return result{latencies: lat, elapsed: time.Since(start)}, fails.Load()
}

func report(name string, r result, fails int64) {
	sort.Slice(r.latencies, func(i, j int) bool { return r.latencies[i] < r.latencies[j] })
	pct := func(p float64) time.Duration {
		if len(r.latencies) == 0 {
			return 0
		}
		return r.latencies[int(p*float64(len(r.latencies)-1))]
	}
	fmt.Printf("%-10s ok=%d failed=%d elapsed=%s rate=%.0f req/s p50=%s p90=%s p99=%s max=%s\n",
		name, len(r.latencies), fails, r.elapsed.Round(time.Millisecond),
		float64(len(r.latencies))/r.elapsed.Seconds(), pct(0.5), pct(0.9), pct(0.99), pct(1))
}

var codeLine = regexp.MustCompile(`^\[dev sms\] sign-in code for (\+[0-9]+): ([0-9]{6})`)

// readCodes returns the last code printed for each phone.
func readCodes(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	codes := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if m := codeLine.FindStringSubmatch(sc.Text()); m != nil {
			codes[m[1]] = m[2]
		}
	}
	return codes, sc.Err()
}
