package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

func TestUserCommandMakesTheFirstAdminAndKeepsTheLastOne(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	cfg := config{DatabaseURL: dsn, JWTSecret: []byte(strings.Repeat("k", 32))}
	ctx := context.Background()
	var out bytes.Buffer
	if err := userCommand(ctx, cfg, []string{"-phone", "+998 90 111-22-33", "-role", "ADMIN"}, &out); err != nil {
		t.Fatalf("user -role ADMIN = %v", err)
	}
	if !strings.Contains(out.String(), "role ADMIN, status ACTIVE") {
		t.Errorf("output %q, want the new role and status", out.String())
	}
	store, err := postgres.Open(dsn, postgres.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	u, err := store.Repos().Users.GetByPhone(ctx, phone.MustParse("+998901112233"))
	if err != nil || u.Role() != user.RoleAdmin {
		t.Fatalf("user after the command = %v, %v, want an ADMIN", u, err)
	}
	entries, _, err := store.Repos().Audit.List(ctx, ports.AuditFilter{TargetID: u.ID()}, ports.Page{Number: 1, Limit: 10})
	if err != nil || len(entries) != 1 || entries[0].Action != "user.role" || entries[0].Actor != "cli" || entries[0].ActorID != "" {
		t.Fatalf("audit = %+v, %v, want one user.role entry by cli", entries, err)
	}
	err = userCommand(ctx, cfg, []string{"-phone", "+998901112233", "-role", "USER"}, &out)
	if !errors.Is(err, user.ErrLastAdmin) {
		t.Errorf("demoting the only admin = %v, want %v", err, user.ErrLastAdmin)
	}
	if err := userCommand(ctx, cfg, []string{"-phone", "+998901112233", "-role", "KING"}, &out); err == nil {
		t.Error("an unknown role was accepted")
	}
	if err := userCommand(ctx, config{JWTSecret: cfg.JWTSecret}, []string{"-phone", "+998901112233", "-role", "ADMIN"}, &out); err == nil {
		t.Error("the command ran without DATABASE_URL")
	}
}
