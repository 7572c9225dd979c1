package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/ports"
)

var (
	_ ports.SMSSender = (*Webhook)(nil)
	_ ports.SMSSender = Unconfigured{}
)

// Webhook delivers codes by POSTing {"to": "+998...", "text": "..."} as JSON
// to an SMS gateway, with an optional bearer token. Any 2xx answer counts as
// delivered.
type Webhook struct {
	url    string
	token  string
	client *http.Client
}

// NewWebhook returns a sender posting to rawURL, or an error if it is not an
// http(s) URL.
func NewWebhook(rawURL, token string) (*Webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("sms: the webhook URL must be an http(s) URL")
	}
	return &Webhook{url: rawURL, token: token, client: &http.Client{Timeout: 5 * time.Second}}, nil
}

// SendCode posts the message. It returns an error wrapping
// domain.ErrUnavailable when the gateway cannot be reached or refuses; the
// error never contains the code.
func (w *Webhook) SendCode(ctx context.Context, p phone.Number, code auth.Code) error {
	body, _ := json.Marshal(map[string]string{
		"to":   p.String(),
		"text": fmt.Sprintf("Second Bloom: your sign-in code is %s. It expires in 5 minutes.", code),
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: sms request: %v", domain.ErrUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if w.token != "" {
		req.Header.Set("Authorization", "Bearer "+w.token)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		// err names the URL, never the body.
		return fmt.Errorf("%w: sms gateway: %v", domain.ErrUnavailable, err)
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%w: sms gateway answered %d", domain.ErrUnavailable, resp.StatusCode)
	}
	return nil
}

// Unconfigured is the sender of a production server with no gateway: every
// send fails as unavailable, so send-otp answers 503 instead of pretending.
// It is no ports.TextSender on purpose: an instance without a gateway
// queues no SMS notifications and claims none queued by others.
type Unconfigured struct{}

// SendCode always returns an error wrapping domain.ErrUnavailable.
func (Unconfigured) SendCode(context.Context, phone.Number, auth.Code) error {
	return fmt.Errorf("%w: no SMS gateway configured (set SMS_WEBHOOK_URL)", domain.ErrUnavailable)
}
