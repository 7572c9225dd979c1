// Package pgtest gives tests a fresh, migrated PostgreSQL database.
//
// The server is found through TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable). Each call of
// New creates a database of its own and drops it when the test ends. When
// the server cannot be reached the test is skipped with a loud message,
// except under CI=true, where it fails.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/secondbloom/marketplace/adapters/postgres"
)

// DefaultURL is used when TEST_DATABASE_URL is not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// URL returns the DSN of the server tests use.
func URL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// NewDatabase creates an empty database and returns its DSN; it is dropped
// when t ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	base := URL()
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(base), pgdriver.WithDialTimeout(2*time.Second)))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		msg := fmt.Sprintf("PostgreSQL is not reachable at TEST_DATABASE_URL (%v): %v", redact(base), err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPING POSTGRES TEST: " + msg)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "sb_test_" + hex.EncodeToString(b)
	// CREATE DATABASE waits for a checkpoint, which takes far longer than
	// the ping when many test packages create databases at once on a busy
	// machine; give it its own, generous bound.
	createCtx, cancelCreate := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancelCreate()
	if _, err := admin.ExecContext(createCtx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// New returns a migrated store on a fresh database; both are closed and
// dropped when t ends.
func New(t testing.TB) *postgres.Store {
	t.Helper()
	return open(t, NewDatabase(t), 40)
}

// Open returns another migrated store on the database at dsn (from
// NewDatabase), closed when t ends: a second server instance sharing the
// database, with a pool and caches of its own.
func Open(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	return open(t, dsn, 8)
}

func open(t testing.TB, dsn string, conns int) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(dsn, postgres.Options{MaxOpenConns: conns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable)"
	}
	u.User = nil
	return u.String()
}
