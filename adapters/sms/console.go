// Package sms holds SMS senders. Console is the development sender: it
// prints codes to the server's console in place of a phone.
package sms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/ports"
)

var _ ports.SMSSender = (*Console)(nil)

// ErrProduction is returned by NewConsole when asked to run in production.
var ErrProduction = errors.New("sms: the console sender prints codes and refuses to run when APP_ENV=production")

// Console writes each code to w. It is the one place where a code appears in
// clear outside a phone, which is why it refuses production.
type Console struct {
	mu sync.Mutex
	w  io.Writer
}

// NewConsole returns a console sender writing to w, or ErrProduction when
// appEnv is "production".
func NewConsole(w io.Writer, appEnv string) (*Console, error) {
	if appEnv == "production" {
		return nil, ErrProduction
	}
	return &Console{w: w}, nil
}

// SendCode prints the code. It never fails unless the console does.
func (c *Console) SendCode(_ context.Context, p phone.Number, code auth.Code) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := fmt.Fprintf(c.w, "[dev sms] sign-in code for %s: %s (this line appears only outside production)\n", p, code)
	return err
}
