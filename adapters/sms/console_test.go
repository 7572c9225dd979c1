package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/phone"
)

func TestConsoleRefusesProduction(t *testing.T) {
	if _, err := NewConsole(&bytes.Buffer{}, "production"); !errors.Is(err, ErrProduction) {
		t.Errorf("NewConsole(production) error = %v, want ErrProduction", err)
	}
}

func TestConsolePrintsTheCode(t *testing.T) {
	var out bytes.Buffer
	c, err := NewConsole(&out, "development")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendCode(context.Background(), phone.MustParse("+998901234567"), "042424"); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "+998901234567") || !strings.Contains(got, "042424") {
		t.Errorf("console output = %q, want the phone and the code", got)
	}
}

func TestWebhookPostsTheMessage(t *testing.T) {
	var got struct{ To, Text string }
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		_ = json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	w, err := NewWebhook(srv.URL, "gw-token")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SendCode(context.Background(), phone.MustParse("+998901234567"), "424242"); err != nil {
		t.Fatal(err)
	}
	if got.To != "+998901234567" || !strings.Contains(got.Text, "424242") || auth != "Bearer gw-token" {
		t.Errorf("gateway got %+v with Authorization %q", got, auth)
	}
}

func TestWebhookFailuresAreUnavailableAndHideTheCode(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	w, _ := NewWebhook(srv.URL, "")
	err := w.SendCode(context.Background(), phone.MustParse("+998901234567"), "424242")
	if !errors.Is(err, domain.ErrUnavailable) || strings.Contains(err.Error(), "424242") {
		t.Errorf("SendCode error = %v, want ErrUnavailable without the code", err)
	}
	if err := (Unconfigured{}).SendCode(context.Background(), phone.MustParse("+998901234567"), "1"); !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("Unconfigured.SendCode = %v, want ErrUnavailable", err)
	}
	if _, err := NewWebhook("ftp://x", ""); err == nil {
		t.Error("NewWebhook(ftp://x) succeeded")
	}
}
