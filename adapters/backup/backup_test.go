package backup_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/secondbloom/marketplace/adapters/backup"
	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
)

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn)))
	t.Cleanup(func() { db.Close() })
	return db
}

func exec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

type row struct {
	id      int64
	payload string
	n       int64
}

func rows(t *testing.T, db *sql.DB) map[int64]row {
	t.Helper()
	rs, err := db.Query(`SELECT id, payload, n FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	out := map[int64]row{}
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.id, &r.payload, &r.n); err != nil {
			t.Fatal(err)
		}
		out[r.id] = r
	}
	return out
}

// TestBackupUnderConcurrentWritesRestoresConsistently takes a backup while
// goroutines insert rows, then checks that the manifest matches the
// restored data exactly, that every row committed before the backup began
// is there, and that every restored row equals its source row.
func TestBackupUnderConcurrentWritesRestoresConsistently(t *testing.T) {
	requireTools(t)
	// The real, migrated schema, plus a busy table.
	srcDSN := pgtest.NewDatabase(t)
	store, err := postgres.Open(srcDSN, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	src := open(t, srcDSN)
	exec(t, src, `CREATE TABLE events (id bigserial PRIMARY KEY, payload text NOT NULL, n bigint NOT NULL)`)
	exec(t, src, `INSERT INTO events (payload, n) SELECT 'seed-' || g, g FROM generate_series(1, 5000) g`)

	ctx, stop := context.WithCancel(context.Background())
	var (
		mu        sync.Mutex
		committed []int64
		wg        sync.WaitGroup
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				var id int64
				err := src.QueryRowContext(ctx, `INSERT INTO events (payload, n) VALUES ($1, $2) RETURNING id`,
					fmt.Sprintf("w%d-%d", w, i), i).Scan(&id)
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("insert: %v", err)
					}
					return
				}
				mu.Lock()
				committed = append(committed, id)
				mu.Unlock()
			}
		}()
	}
	waitFor := func(n int) {
		for {
			mu.Lock()
			l := len(committed)
			mu.Unlock()
			if l >= n {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(200)
	mu.Lock()
	before := append([]int64(nil), committed...)
	mu.Unlock()

	dir := t.TempDir()
	m, err := backup.Create(context.Background(), srcDSN, dir, backup.Tools{})
	if err != nil {
		stop()
		wg.Wait()
		t.Fatalf("Create: %v", err)
	}
	mu.Lock()
	after := len(committed)
	mu.Unlock()
	waitFor(after + 100) // writes went on during and after the dump
	stop()
	wg.Wait()

	for _, f := range []string{m.File, m.File + ".sha256", m.Name + ".json", "secondbloom_backup.prom"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("backup file %s: %v", f, err)
		}
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(tmp) > 0 {
		t.Errorf("temporary files left behind: %v", tmp)
	}
	if _, ok := m.Tables["public.users"]; !ok {
		t.Errorf("manifest tables = %v, want the migrated tables too", m.Tables)
	}

	dstDSN := pgtest.NewDatabase(t)
	if err := backup.Restore(context.Background(), dstDSN, dir, m, false, backup.Tools{}); err != nil {
		t.Fatalf("Restore into an empty database: %v", err)
	}
	dst := open(t, dstDSN)
	restored := rows(t, dst)
	if int64(len(restored)) != m.Tables["public.events"] {
		t.Fatalf("restored %d events, manifest says %d: counts and dump are not from one snapshot", len(restored), m.Tables["public.events"])
	}
	for _, id := range before {
		if _, ok := restored[id]; !ok {
			t.Fatalf("row %d, committed before the backup began, is missing from the restore", id)
		}
	}
	source := rows(t, src)
	if len(source) <= len(restored) {
		t.Fatalf("source has %d rows, restore %d: the test wrote nothing after the snapshot, so it proves little", len(source), len(restored))
	}
	for id, r := range restored {
		if source[id] != r {
			t.Fatalf("restored row %d = %+v, source has %+v", id, r, source[id])
		}
	}

	// A database with tables is refused, unless replace is asked for.
	if err := backup.Restore(context.Background(), dstDSN, dir, m, false, backup.Tools{}); !errors.Is(err, backup.ErrNotEmpty) {
		t.Fatalf("Restore into a non-empty database = %v, want ErrNotEmpty", err)
	}
	exec(t, dst, `INSERT INTO events (payload, n) VALUES ('extra', 0)`)
	exec(t, dst, `CREATE TABLE stray (x int)`)
	if err := backup.Restore(context.Background(), dstDSN, dir, m, true, backup.Tools{}); err != nil {
		t.Fatalf("Restore with replace: %v", err)
	}
	if got := len(rows(t, dst)); int64(got) != m.Tables["public.events"] {
		t.Fatalf("after replace, %d events, want %d", got, m.Tables["public.events"])
	}
	var stray bool
	if err := dst.QueryRow(`SELECT to_regclass('public.stray') IS NOT NULL`).Scan(&stray); err != nil || stray {
		t.Fatalf("after replace, the stray table exists = %v (%v), want false", stray, err)
	}

	// Verify restores into a scratch database, compares and drops it.
	rep, err := backup.Verify(context.Background(), pgtest.URL(), dir, "", backup.Tools{})
	if err != nil {
		t.Fatalf("Verify: %v (%+v)", err, rep)
	}
	if rep.Backup != m.Name || rep.Rows < m.Tables["public.events"] || rep.Restore <= 0 {
		t.Fatalf("Verify report = %+v, want backup %s with >= %d rows", rep, m.Name, m.Tables["public.events"])
	}
	var left int
	admin := open(t, pgtest.URL())
	if err := admin.QueryRow(`SELECT count(*) FROM pg_database WHERE datname = $1`, rep.Scratch).Scan(&left); err != nil || left != 0 || rep.Scratch == "" {
		t.Fatalf("scratch databases left = %d (%v), want 0", left, err)
	}
}
