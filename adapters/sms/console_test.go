package sms

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

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
