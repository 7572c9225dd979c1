// Package push delivers notifications to a push gateway over HTTP: each is
// POSTed as JSON {"userId", "notification"} with the notification id as
// the Idempotency-Key header, so the gateway can drop repeats.
package push

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/notification"
	"github.com/secondbloom/marketplace/ports"
)

var _ ports.PushSender = (*Webhook)(nil)

// ErrRefused is wrapped by the error of a notification the gateway refused
// for good (a 4xx other than 408 and 429).
var ErrRefused = errors.New("push: the gateway refused the notification")

// Webhook posts notifications to one URL.
type Webhook struct {
	url    string
	client *http.Client
}

// New returns a webhook sender for rawURL, or an error if it is not an
// http(s) URL. The error never repeats the URL, which may hold a secret.
func New(rawURL string) (*Webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("push: the webhook URL must be an http(s) URL")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	// The dispatcher bounds each attempt with its context; this is a
	// backstop for a caller that does not.
	return &Webhook{url: rawURL, client: &http.Client{Transport: tr, Timeout: notification.SendTimeout}}, nil
}

type payload struct {
	UserID       string          `json:"userId"`
	Notification notificationDTO `json:"notification"`
}

type notificationDTO struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Body      string         `json:"body"`
	Data      map[string]any `json:"data"`
	ReadAt    *string        `json:"readAt"`
	CreatedAt string         `json:"createdAt"`
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// Push posts n rendered as m. A gateway that cannot be reached, times out
// or answers 5xx, 408 or 429 gives an error wrapping
// domain.ErrUnavailable (retry); another non-2xx answer one wrapping
// ErrRefused (give up).
func (w *Webhook) Push(ctx context.Context, n *notification.Notification, m notification.Message) error {
	data := map[string]any{}
	for k, v := range n.Data() {
		data[k] = v
	}
	if n.Type() == notification.AuctionEnded && data["orderId"] == nil {
		data["orderId"] = nil
	}
	dto := notificationDTO{ID: n.ID(), Type: string(n.Type()), Title: m.Title, Body: m.Body, Data: data, CreatedAt: stamp(n.CreatedAt())}
	if t := n.ReadAt(); t != nil {
		s := stamp(*t)
		dto.ReadAt = &s
	}
	body, err := json.Marshal(payload{UserID: n.UserID(), Notification: dto})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: push request: %v", domain.ErrUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", n.ID())
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: push gateway: %v", domain.ErrUnavailable, redact(err))
	}
	resp.Body.Close()
	switch s := resp.StatusCode; {
	case s >= 200 && s <= 299:
		return nil
	case s >= 500, s == http.StatusRequestTimeout, s == http.StatusTooManyRequests:
		return fmt.Errorf("%w: push gateway answered %d", domain.ErrUnavailable, s)
	default:
		return fmt.Errorf("%w: answered %d", ErrRefused, s)
	}
}

// redact drops the URL from a transport error, keeping its cause.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
