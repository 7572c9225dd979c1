package acceptance

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/secondbloom/marketplace/acceptance/testenv"
)

// The contract check that Env.Do runs on every exchange must be able to
// fail: an undocumented status, a body off its schema, a missing required
// field and an accepted request the description forbids are each caught,
// and conforming exchanges pass.
func TestTheResponseContractCatchesDrift(t *testing.T) {
	c, err := testenv.ServedContract()
	if err != nil {
		t.Fatal(err)
	}
	jsonHeader := http.Header{"Content-Type": []string{"application/json; charset=utf-8"}}
	health := `{"success":true,"data":{"status":"ok","version":"test","uptimeSeconds":3}}`
	errBody := `{"success":false,"error":{"code":"NOT_FOUND","message":"no such order"},"requestId":"r1"}`
	sent := `{"success":true,"data":{"message":"code sent","expiresInSeconds":300,"retryAfterSeconds":60}}`
	cases := []struct {
		name, method, path string
		reqBody            string
		status             int
		body               string
		wantErr            bool
	}{
		{"a conforming health answer", "GET", "/api/v1/health", "", 200, health, false},
		{"a documented error", "GET", "/api/v1/orders/0190b2a4-0000-7000-8000-000000000001", "", 404, errBody, false},
		{"an undocumented status", "GET", "/api/v1/health", "", 418, health, true},
		{"a missing required field", "GET", "/api/v1/health", "", 200, `{"success":true}`, true},
		{"a field of the wrong type", "GET", "/api/v1/health", "", 200, strings.Replace(health, `3}`, `"3"}`, 1), true},
		{"an accepted request the description allows", "POST", "/api/v1/auth/send-otp", `{"phoneNumber":"+998901234567"}`, 201, sent, false},
		{"an accepted request with a field the description forbids", "POST", "/api/v1/auth/send-otp", `{"phoneNumber":"+998901234567","name":"x"}`, 201, sent, true},
		{"an error code outside the list", "GET", "/api/v1/orders/0190b2a4-0000-7000-8000-000000000001", "", 404, strings.Replace(errBody, "NOT_FOUND", "GONE", 1), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			if tc.reqBody != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			err := c.Check(req, []byte(tc.reqBody), tc.status, jsonHeader, []byte(tc.body))
			if errors.Is(err, testenv.ErrUndocumentedRoute) {
				t.Fatalf("Check(%s %s) found no operation: the route lookup is broken", tc.method, tc.path)
			}
			if (err != nil) != tc.wantErr {
				t.Errorf("Check(%s %s, %d, %s) = %v, want error: %v", tc.method, tc.path, tc.status, tc.body, err, tc.wantErr)
			}
		})
	}
	if err := c.Check(httptest.NewRequest("GET", "/api/v1/no-such-route", nil), nil, 404, jsonHeader, []byte(errBody)); !errors.Is(err, testenv.ErrUndocumentedRoute) {
		t.Errorf("Check(unknown route) = %v, want ErrUndocumentedRoute", err)
	}
}
