package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/ports"
)

var (
	_ ports.TextSender = (*Webhook)(nil)
	_ ports.TextSender = (*Console)(nil)
)

// ErrRefused is wrapped by the error of a message the gateway refused for
// good (a 4xx other than 408 and 429): sending it again would not help.
var ErrRefused = errors.New("sms: the gateway refused the message")

// SendText posts {"to", "text"} with key as the Idempotency-Key header.
// A gateway that cannot be reached, times out or answers 5xx, 408 or 429
// gives an error wrapping domain.ErrUnavailable; another non-2xx answer
// one wrapping ErrRefused.
func (w *Webhook) SendText(ctx context.Context, p phone.Number, key, text string) error {
	body, _ := json.Marshal(map[string]string{"to": p.String(), "text": text})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: sms request: %v", domain.ErrUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	if w.token != "" {
		req.Header.Set("Authorization", "Bearer "+w.token)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: sms gateway: %v", domain.ErrUnavailable, err)
	}
	resp.Body.Close()
	return classify(resp.StatusCode)
}

// classify maps a gateway's status to the delivery rules of notifications.
func classify(status int) error {
	switch {
	case status >= 200 && status <= 299:
		return nil
	case status >= 500, status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return fmt.Errorf("%w: sms gateway answered %d", domain.ErrUnavailable, status)
	default:
		return fmt.Errorf("%w: answered %d", ErrRefused, status)
	}
}

// SendText prints the message.
func (c *Console) SendText(_ context.Context, p phone.Number, _, text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := fmt.Fprintf(c.w, "[dev sms] to %s: %s\n", p, text)
	return err
}
