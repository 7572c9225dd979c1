package backup_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secondbloom/marketplace/adapters/backup"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
)

func TestVerifyFindsBrokenStockInvariants(t *testing.T) {
	requireTools(t)
	dsn := pgtest.NewDatabase(t)
	db := open(t, dsn)
	// No constraints here: the point is a backup whose data is wrong.
	exec(t, db, `CREATE TABLE products (id uuid PRIMARY KEY, quantity integer NOT NULL)`)
	exec(t, db, `CREATE TABLE orders (id uuid PRIMARY KEY, product_id uuid)`)
	exec(t, db, `INSERT INTO products VALUES ('00000000-0000-0000-0000-000000000001', 3), ('00000000-0000-0000-0000-000000000002', -1)`)
	exec(t, db, `INSERT INTO orders VALUES ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-000000000001'),
		('00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-000000000009')`)
	dir := t.TempDir()
	if _, err := backup.Create(context.Background(), dsn, dir, backup.Tools{}); err != nil {
		t.Fatal(err)
	}
	rep, err := backup.Verify(context.Background(), pgtest.URL(), dir, "", backup.Tools{})
	if err == nil {
		t.Fatalf("Verify of a backup with a negative stock and an orphan order passed: %+v", rep)
	}
	msg := strings.Join(rep.Problems, "; ")
	if !strings.Contains(msg, "1 product(s) have a negative quantity") || !strings.Contains(msg, "1 order(s) reference a missing product") {
		t.Fatalf("Verify problems = %q, want the negative quantity and the orphan order", msg)
	}
}

func TestVerifySeededDatabaseAndRejectCorruption(t *testing.T) {
	requireTools(t)
	dsn := pgtest.NewDatabase(t)
	if err := backup.Seed(context.Background(), dsn, 500, 700); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	if err := backup.Seed(context.Background(), dsn, 1, 1); !errors.Is(err, backup.ErrRealTables) {
		t.Fatalf("Seed over existing tables = %v, want ErrRealTables", err)
	}
	dir := t.TempDir()
	m, err := backup.Create(context.Background(), dsn, dir, backup.Tools{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Tables["public.products"] != 500 || m.Tables["public.orders"] != 700 {
		t.Fatalf("manifest tables = %v, want 500 products and 700 orders", m.Tables)
	}
	rep, err := backup.Verify(context.Background(), pgtest.URL(), dir, m.Name, backup.Tools{})
	if err != nil || rep.Rows != 1200 || rep.Tables != 2 {
		t.Fatalf("Verify = %+v, %v; want 2 tables, 1200 rows, no error", rep, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "secondbloom_backup_verify.prom")); err != nil {
		t.Fatalf("verify left no textfile-collector evidence: %v", err)
	}

	// One flipped byte makes the dump fail its checksum, before any restore.
	path := filepath.Join(dir, m.File)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Verify(context.Background(), pgtest.URL(), dir, "", backup.Tools{}); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("Verify of a corrupted dump = %v, want a checksum error", err)
	}
}
