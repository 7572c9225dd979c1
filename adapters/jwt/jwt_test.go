package jwt

import (
	"errors"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/ports"
)

var (
	secret = []byte("jwt-test-secret-0123456789abcdefghij")
	t0     = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
)

func TestIssueVerifyRoundTrip(t *testing.T) {
	i, err := New(secret)
	if err != nil {
		t.Fatal(err)
	}
	want := ports.AccessClaims{UserID: "u1", SessionID: "s1", ExpiresAt: t0.Add(auth.AccessTokenTTL)}
	tok, err := i.Issue(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := i.Verify(tok, t0.Add(time.Minute))
	if err != nil || got.UserID != want.UserID || got.SessionID != want.SessionID || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Fatalf("Verify = %+v, %v; want %+v", got, err, want)
	}
	if _, err := i.Verify(tok, want.ExpiresAt.Add(time.Second)); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("Verify after expiry = %v, want auth.ErrUnauthenticated", err)
	}
}

func TestVerifyRefusesForgedTokens(t *testing.T) {
	i, _ := New(secret)
	sign := func(method gojwt.SigningMethod, key any, c claims) string {
		s, err := gojwt.NewWithClaims(method, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := claims{SessionID: "s1", RegisteredClaims: gojwt.RegisteredClaims{Issuer: IssuerName, Subject: "u1",
		Audience: gojwt.ClaimStrings{Audience}, IssuedAt: gojwt.NewNumericDate(t0), ExpiresAt: gojwt.NewNumericDate(t0.Add(time.Hour))}}
	with := func(f func(*claims)) claims { c := good; f(&c); return c }
	valid := sign(gojwt.SigningMethodHS256, secret, good)

	tests := []struct {
		name  string
		token string
	}{
		{"alg none", sign(gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, good)},
		{"another HMAC algorithm", sign(gojwt.SigningMethodHS512, secret, good)},
		{"another key", sign(gojwt.SigningMethodHS256, []byte("another-secret-0123456789abcdefghijkl"), good)},
		{"wrong issuer", sign(gojwt.SigningMethodHS256, secret, with(func(c *claims) { c.Issuer = "evil" }))},
		{"wrong audience", sign(gojwt.SigningMethodHS256, secret, with(func(c *claims) { c.Audience = gojwt.ClaimStrings{"other"} }))},
		{"no expiry", sign(gojwt.SigningMethodHS256, secret, with(func(c *claims) { c.ExpiresAt = nil }))},
		{"no session", sign(gojwt.SigningMethodHS256, secret, with(func(c *claims) { c.SessionID = "" }))},
		{"no subject", sign(gojwt.SigningMethodHS256, secret, with(func(c *claims) { c.Subject = "" }))},
		{"tampered payload", strings.Replace(valid, ".", ".x", 1)},
		{"garbage", "not.a.token"},
		{"empty", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := i.Verify(tc.token, t0); !errors.Is(err, auth.ErrUnauthenticated) {
				t.Errorf("Verify = %v, want auth.ErrUnauthenticated", err)
			}
		})
	}
	if _, err := i.Verify(valid, t0); err != nil {
		t.Fatalf("the untampered token is refused: %v", err)
	}
}

func TestNewRefusesShortSecrets(t *testing.T) {
	if _, err := New([]byte("too-short")); err == nil {
		t.Error("New(short secret) succeeded, want an error")
	}
}
