package acceptance

import (
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/secondbloom/marketplace/acceptance/testenv"
)

// sendOTPVia asks for a sign-in code at the server at base as a client
// behind a load balancer whose X-Forwarded-For is xff, and returns the
// status and Retry-After.
func sendOTPVia(t *testing.T, base, xff, phoneNumber string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/api/v1/auth/send-otp", strings.NewReader(`{"phoneNumber":"`+phoneNumber+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// loopback is the load balancer of these scenarios: requests come from
// 127.0.0.1.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// Two instances behind one load balancer on one database: a client that
// spreads its sign-in requests over both gets the per-IP budget once, and
// another client behind the same balancer keeps its own.
func TestTwoInstancesShareTheOTPPerIPBudget(t *testing.T) {
	opt := testenv.Options{OTPPerIP: 3, TrustedProxies: loopback}
	a := testenv.New(t, testenv.Postgres, opt)
	b := testenv.NewOnStore(t, testenv.Postgres, a.Store, opt)
	baseA, baseB := a.Listen(t), b.Listen(t)

	const client, other = "198.51.100.10", "198.51.100.20"
	phones := []string{"+998901110001", "+998901110002", "+998901110003", "+998901110004", "+998901110005"}
	for i, base := range []string{baseA, baseB, baseA} {
		if st, _ := sendOTPVia(t, base, client, phones[i]); st != http.StatusCreated {
			t.Fatalf("send-otp %d of the client = %d, want 201", i+1, st)
		}
	}
	for name, base := range map[string]string{"A": baseA, "B": baseB} {
		st, retry := sendOTPVia(t, base, client, phones[3])
		if st != http.StatusTooManyRequests || retry == "" {
			t.Errorf("fourth send-otp of the client via instance %s = %d (Retry-After %q), want 429 with Retry-After", name, st, retry)
		}
	}
	if st, _ := sendOTPVia(t, baseB, other, phones[4]); st != http.StatusCreated {
		t.Errorf("another client behind the same balancer = %d, want 201", st)
	}
}

// Without TRUSTED_PROXIES, X-Forwarded-For is the client's own claim: a
// client cannot escape its limit by changing it.
func TestForwardedForIsIgnoredWithoutTrustedProxies(t *testing.T) {
	testenv.ForEachBackend(t, testenv.Options{OTPPerIP: 2}, func(t *testing.T, e *testenv.Env) {
		base := e.Listen(t)
		for i, xff := range []string{"203.0.113.1", "203.0.113.2"} {
			if st, _ := sendOTPVia(t, base, xff, "+99890222000"+string(rune('1'+i))); st != http.StatusCreated {
				t.Fatalf("send-otp %d = %d, want 201", i+1, st)
			}
		}
		if st, _ := sendOTPVia(t, base, "203.0.113.3", "+998902220003"); st != http.StatusTooManyRequests {
			t.Errorf("third send-otp with yet another X-Forwarded-For = %d, want 429", st)
		}
	})
}
