package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/secondbloom/marketplace/adapters/jwt"
	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/adapters/sms"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/cmd/server/system"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/user"
)

// userCommand sets a user's role or status from the command line: the
// first admin of a new deployment, or an emergency. It is audited with
// actor "cli" and keeps the last-admin rule.
//
//	server user -phone +998901234567 -role ADMIN
//	server user -phone +998901234567 -status BLOCKED
func userCommand(ctx context.Context, cfg config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("user", flag.ContinueOnError)
	fs.SetOutput(out)
	phoneArg := fs.String("phone", "", "the user's phone number (E.164); a phone that never signed in gets a user")
	role := fs.String("role", "", "new role: USER, MODERATOR or ADMIN")
	status := fs.String("status", "", "new status: ACTIVE or BLOCKED")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		return errors.New("user: DATABASE_URL is required (the memory store lives only inside a running server)")
	}
	p, err := phone.Parse(*phoneArg)
	if err != nil {
		return fmt.Errorf("user: -phone: %w", err)
	}
	var ch app.UserChange
	if *role != "" {
		r := user.Role(*role)
		ch.Role = &r
	}
	if *status != "" {
		st := user.Status(*status)
		ch.Status = &st
	}
	db, err := postgres.Open(cfg.DatabaseURL, postgres.Options{MaxOpenConns: 2})
	if err != nil {
		return err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return fmt.Errorf("migrate: %w", err)
	}
	tokens, err := jwt.New(cfg.JWTSecret)
	if err != nil {
		db.Close()
		return err
	}
	sys, err := system.New(system.Config{Store: db, CloseStore: db.Close, SMS: sms.Unconfigured{}, Tokens: tokens,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Core:   app.Config{CodeHashKey: deriveKey(cfg.JWTSecret, "otp-code-hash")}})
	if err != nil {
		db.Close()
		return err
	}
	defer sys.Close()
	u, err := sys.Core.Users.ChangeFromCLI(ctx, p, ch)
	if err != nil {
		return fmt.Errorf("user: %w", err)
	}
	_, err = fmt.Fprintf(out, "user %s %s: role %s, status %s\n", u.ID(), u.Phone(), u.Role(), u.Status())
	return err
}
