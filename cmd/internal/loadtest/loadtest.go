// Package loadtest holds what the measuring commands loadgen, orderload and
// bidload share: the phone numbers they sign in and the OTP_TEST_CODES value
// for them, the HTTP client and requests, signing in with a fixed test code,
// the worker loop that sends requests for a fixed time, and the latency
// percentiles they print, and stocking products straight into the
// database. It is part of those tools, not of the product.
package loadtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Phones returns n phone numbers "+<prefix><i as 7 digits>" for i from 0 to n-1.
func Phones(prefix, n int) []string {
	phones := make([]string, n)
	for i := range phones {
		phones[i] = fmt.Sprintf("+%d%07d", prefix, i)
	}
	return phones
}

// TestCodes returns the server's OTP_TEST_CODES value that gives every
// phone the code: "+phone=code,+phone=code,...".
func TestCodes(phones []string, code string) string {
	parts := make([]string, len(phones))
	for i, p := range phones {
		parts[i] = p + "=" + code
	}
	return strings.Join(parts, ",")
}

// NewClient returns the HTTP client of a run with c concurrent clients: it
// keeps c idle connections to the server and gives up on a request after
// 30 s.
func NewClient(c int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c}, Timeout: 30 * time.Second}
}

// NewPost returns a POST of the JSON body to url, with the bearer token
// unless token is empty.
func NewPost(url, token, body string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// SignIn signs phone in on the server at base with send-otp and then
// verify-otp with code (a code the server was given in OTP_TEST_CODES), and
// returns the access token and the user's id.
func SignIn(client *http.Client, base, phone, code string) (token, userID string, err error) {
	do := func(path, body string, want int) (map[string]any, error) {
		resp, err := client.Post(base+path, "application/json", bytes.NewBufferString(body))
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			return nil, fmt.Errorf("%s for %s: %d %s", path, phone, resp.StatusCode, raw)
		}
		var out struct {
			Data map[string]any `json:"data"`
		}
		return out.Data, json.Unmarshal(raw, &out)
	}
	if _, err := do("/api/v1/auth/send-otp", fmt.Sprintf(`{"phoneNumber":%q}`, phone), http.StatusCreated); err != nil {
		return "", "", err
	}
	data, err := do("/api/v1/auth/verify-otp", fmt.Sprintf(`{"phoneNumber":%q,"code":%q}`, phone, code), http.StatusCreated)
	if err != nil {
		return "", "", err
	}
	u, _ := data["user"].(map[string]any)
	return fmt.Sprint(data["accessToken"]), fmt.Sprint(u["id"]), nil
}

// SignInAll signs every phone in, one after another, with the same code, and
// returns their access tokens and user ids in the order of phones. It stops
// at the first error.
func SignInAll(client *http.Client, base string, phones []string, code string) (tokens, userIDs []string, err error) {
	tokens = make([]string, len(phones))
	userIDs = make([]string, len(phones))
	for i, p := range phones {
		if tokens[i], userIDs[i], err = SignIn(client, base, p, code); err != nil {
			return nil, nil, err
		}
	}
	return tokens, userIDs, nil
}

// RunFor runs c workers until d has passed and returns how long they ran.
// Each worker calls fn again and again while the time is not up, with a
// random source of its own seeded with its number (0 to c-1) and seed, so a
// run's choices are the same from one run to the next.
func RunFor(c int, d time.Duration, seed uint64, fn func(rnd *rand.Rand)) time.Duration {
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(w), seed))
			for time.Now().Before(deadline) {
				fn(rnd)
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// Percentiles are the latency percentiles the tools print, each rounded to
// the microsecond.
type Percentiles struct {
	P50, P90, P99, Max time.Duration
}

// Summarize sorts lat in place and returns its percentiles: the p-th one is
// the latency at index min(len-1, int(p*len)). All are zero when lat is
// empty.
func Summarize(lat []time.Duration) Percentiles {
	if len(lat) == 0 {
		return Percentiles{}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(time.Microsecond)
	}
	return Percentiles{P50: pct(.5), P90: pct(.9), P99: pct(.99), Max: pct(1)}
}

// String formats the percentiles as "p50 1.2ms  p90 3ms  p99 5.1ms  max 7ms".
func (p Percentiles) String() string {
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s", p.P50, p.P90, p.P99, p.Max)
}

// Describe sorts lat in place and returns its percentiles as String formats
// them, or "none" when lat is empty.
func Describe(lat []time.Duration) string {
	if len(lat) == 0 {
		return "none"
	}
	return Summarize(lat).String()
}
