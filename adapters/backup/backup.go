// Package backup takes, restores, verifies and prunes PostgreSQL backups
// with pg_dump and pg_restore. It is the logic behind cmd/ops.
//
// A backup is three files in one directory, all named after the moment it
// was taken (secondbloom-20261126T203000Z): the dump in pg_dump's custom
// format (.dump), its SHA-256 in sha256sum format (.dump.sha256) and a
// manifest (.json) with the row count of every table. The row counts and
// the dump come from one snapshot: Create holds a REPEATABLE READ
// transaction open, exports its snapshot and hands it to pg_dump
// --snapshot, so a backup taken under concurrent writes matches its
// manifest exactly. Files are written under temporary names and renamed
// when complete; a backup exists once its manifest does.
//
// Create and Verify also write Prometheus textfile-collector files next to
// the backups (secondbloom_backup.prom, secondbloom_backup_verify.prom),
// the evidence the "backup too old" alert reads.
//
// Offsite (offsite.go) keeps a copy of the same three files per backup in
// S3 or another directory, checked by SHA-256 on the way out and back, and
// pruned by the same Policy.
//
// Connection strings are handed to pg_dump and pg_restore through PG*
// environment variables, never on the command line, and never appear in
// errors or logs.
package backup

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"
)

// Prefix starts the name of every backup.
const Prefix = "secondbloom-"

// nameLayout is the UTC timestamp in a backup's name.
const nameLayout = "20060102T150405Z"

// ErrNotEmpty is returned by Restore when the target database already has
// tables and Replace is not set.
var ErrNotEmpty = errors.New("backup: the target database is not empty (it has tables); pass -replace to overwrite it")

// ErrNoBackup is returned when a directory holds no complete backup.
var ErrNoBackup = errors.New("backup: no complete backup found")

// Manifest describes one backup.
type Manifest struct {
	// Name is the backup's base name (secondbloom-20261126T203000Z).
	Name string `json:"name"`
	// File is the dump's file name, relative to the manifest.
	File string `json:"file"`
	// Format is the pg_dump format, always "custom".
	Format string `json:"format"`
	// CreatedAt is when the snapshot was taken.
	CreatedAt time.Time `json:"createdAt"`
	// Database is the name of the database dumped (no host, no user).
	Database string `json:"database"`
	// SizeBytes and SHA256 describe the dump file.
	SizeBytes int64  `json:"sizeBytes"`
	SHA256    string `json:"sha256"`
	// DurationSeconds is how long the whole backup took.
	DurationSeconds float64 `json:"durationSeconds"`
	// Tables maps "schema.table" to its row count in the snapshot.
	Tables map[string]int64 `json:"tables"`
}

// Tools names the PostgreSQL client programs; empty fields mean the ones
// on PATH.
type Tools struct {
	PgDump    string
	PgRestore string
}

func (t Tools) pgDump() string {
	if t.PgDump != "" {
		return t.PgDump
	}
	return "pg_dump"
}

func (t Tools) pgRestore() string {
	if t.PgRestore != "" {
		return t.PgRestore
	}
	return "pg_restore"
}

// Create dumps the database at dsn into dir and returns the manifest of
// the new backup. It fails, leaving no complete backup behind, if any
// step fails.
func Create(ctx context.Context, dsn, dir string, tools Tools) (Manifest, error) {
	start := time.Now()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	env, dbName, err := pgEnv(dsn)
	if err != nil {
		return Manifest{}, err
	}
	db := openDB(dsn)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: connect: %w", err)
	}
	defer conn.Close()

	// The transaction's snapshot is taken by its first statement,
	// pg_export_snapshot, and shared by the counts and by pg_dump.
	if _, err := conn.ExecContext(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
		return Manifest{}, fmt.Errorf("backup: begin: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK") //nolint:errcheck // read-only
	var snapshot string
	if err := conn.QueryRowContext(ctx, "SELECT pg_export_snapshot()").Scan(&snapshot); err != nil {
		return Manifest{}, fmt.Errorf("backup: export snapshot: %w", err)
	}
	taken := time.Now().UTC()
	tables, err := countRows(ctx, conn)
	if err != nil {
		return Manifest{}, err
	}

	name := Prefix + taken.Format(nameLayout)
	m := Manifest{Name: name, File: name + ".dump", Format: "custom", CreatedAt: taken, Database: dbName, Tables: tables}
	final := filepath.Join(dir, m.File)
	if _, err := os.Stat(final); err == nil {
		return Manifest{}, fmt.Errorf("backup: %s already exists", m.File)
	}
	tmp := filepath.Join(dir, "."+m.File+".tmp")
	defer os.Remove(tmp)
	cmd := exec.CommandContext(ctx, tools.pgDump(), "--format=custom", "--snapshot="+snapshot, "--no-password", "--file="+tmp)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return Manifest{}, fmt.Errorf("backup: pg_dump: %v: %s", err, strings.TrimSpace(string(out)))
	}
	if err := os.Chmod(tmp, 0o640); err != nil { // backups hold every user's data
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if m.SHA256, m.SizeBytes, err = hashFile(tmp, true); err != nil {
		return Manifest{}, err
	}
	m.DurationSeconds = time.Since(start).Seconds()

	if err := writeFileAtomic(filepath.Join(dir, m.File+".sha256"), []byte(m.SHA256+"  "+m.File+"\n")); err != nil {
		return Manifest{}, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	mj, _ := json.MarshalIndent(m, "", "  ")
	if err := writeFileAtomic(filepath.Join(dir, name+".json"), append(mj, '\n')); err != nil {
		os.Remove(final)
		return Manifest{}, err
	}
	syncDir(dir)
	prom := fmt.Sprintf(`# HELP secondbloom_backup_last_success_timestamp_seconds When the newest complete backup was taken.
# TYPE secondbloom_backup_last_success_timestamp_seconds gauge
secondbloom_backup_last_success_timestamp_seconds %d
# HELP secondbloom_backup_last_duration_seconds How long the newest backup took.
# TYPE secondbloom_backup_last_duration_seconds gauge
secondbloom_backup_last_duration_seconds %.3f
# HELP secondbloom_backup_last_size_bytes Size of the newest backup's dump.
# TYPE secondbloom_backup_last_size_bytes gauge
secondbloom_backup_last_size_bytes %d
`, taken.Unix(), m.DurationSeconds, m.SizeBytes)
	if err := writeFileAtomic(filepath.Join(dir, "secondbloom_backup.prom"), []byte(prom)); err != nil {
		return m, err
	}
	return m, nil
}

// List returns the complete backups in dir (those with a manifest),
// newest first.
func List(dir string) ([]Manifest, error) {
	paths, err := filepath.Glob(filepath.Join(dir, Prefix+"*.json"))
	if err != nil {
		return nil, err
	}
	var out []Manifest
	for _, p := range paths {
		m, err := readManifest(p)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

// Find returns the backup called name in dir, or the newest one when name
// is empty. It returns ErrNoBackup when there is none.
func Find(dir, name string) (Manifest, error) {
	if name != "" {
		name = strings.TrimSuffix(strings.TrimSuffix(filepath.Base(name), ".json"), ".dump")
		m, err := readManifest(filepath.Join(dir, name+".json"))
		if errors.Is(err, os.ErrNotExist) {
			return Manifest{}, fmt.Errorf("%w: %s", ErrNoBackup, name)
		}
		return m, err
	}
	all, err := List(dir)
	if err != nil {
		return Manifest{}, err
	}
	if len(all) == 0 {
		return Manifest{}, fmt.Errorf("%w in %s", ErrNoBackup, dir)
	}
	return all[0], nil
}

func readManifest(path string) (Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("backup: manifest %s: %w", filepath.Base(path), err)
	}
	return m, nil
}

// CheckSum verifies the dump of m in dir against its recorded SHA-256.
func CheckSum(dir string, m Manifest) error {
	sum, _, err := hashFile(filepath.Join(dir, m.File), false)
	if err != nil {
		return err
	}
	if sum != m.SHA256 {
		return fmt.Errorf("backup: %s is corrupt: sha256 %s, manifest says %s", m.File, sum, m.SHA256)
	}
	return nil
}

// Restore checks the dump of m in dir against its checksum and restores it
// into the database at dsn. The database must have no tables, or Restore
// returns ErrNotEmpty; with replace, every schema of the database is
// dropped first.
func Restore(ctx context.Context, dsn, dir string, m Manifest, replace bool, tools Tools) error {
	if err := CheckSum(dir, m); err != nil {
		return err
	}
	env, dbName, err := pgEnv(dsn)
	if err != nil {
		return err
	}
	db := openDB(dsn)
	defer db.Close()
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND `+userSchema).Scan(&tables); err != nil {
		return fmt.Errorf("restore: inspect target: %w", err)
	}
	if tables > 0 {
		if !replace {
			return ErrNotEmpty
		}
		if err := dropSchemas(ctx, db); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, tools.pgRestore(), "--exit-on-error", "--single-transaction", "--no-owner", "--no-password",
		"--dbname="+dbName, filepath.Join(dir, m.File))
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("restore: pg_restore: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// userSchema selects the schemas that hold the application's objects.
const userSchema = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'`

// dropSchemas empties a database for Restore's replace mode.
func dropSchemas(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT n.nspname FROM pg_namespace n WHERE `+userSchema)
	if err != nil {
		return fmt.Errorf("restore: list schemas: %w", err)
	}
	var schemas []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		schemas = append(schemas, s)
	}
	rows.Close()
	for _, s := range schemas {
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+quoteIdent(s)+" CASCADE"); err != nil {
			return fmt.Errorf("restore: drop schema %s: %w", s, err)
		}
	}
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS public"); err != nil {
		return fmt.Errorf("restore: create schema public: %w", err)
	}
	return nil
}

// countRows counts the rows of every table visible to q's snapshot.
func countRows(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND `+userSchema+` ORDER BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("backup: list tables: %w", err)
	}
	var names [][2]string
	for rows.Next() {
		var s, t string
		if err := rows.Scan(&s, &t); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, [2]string{s, t})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	counts := make(map[string]int64, len(names))
	for _, n := range names {
		var c int64
		if err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteIdent(n[0])+"."+quoteIdent(n[1])).Scan(&c); err != nil {
			return nil, fmt.Errorf("backup: count %s.%s: %w", n[0], n[1], err)
		}
		counts[n[0]+"."+n[1]] = c
	}
	return counts, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// openDB returns a pool for dsn; it does not connect yet.
func openDB(dsn string) *sql.DB {
	return sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn), pgdriver.WithDialTimeout(5*time.Second)))
}

// pgEnv turns a postgres:// DSN into the PG* environment of pg_dump and
// pg_restore, so the password never appears on a command line. It also
// returns the database name.
func pgEnv(dsn string) ([]string, string, error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, "", errors.New("backup: the database URL must be a postgres:// URL")
	}
	env := os.Environ()
	set := func(k, v string) {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	set("PGHOST", u.Hostname())
	set("PGPORT", u.Port())
	if u.User != nil {
		set("PGUSER", u.User.Username())
		if p, ok := u.User.Password(); ok {
			set("PGPASSWORD", p)
		}
	}
	q := u.Query()
	set("PGSSLMODE", q.Get("sslmode"))
	set("PGCONNECT_TIMEOUT", "10")
	set("PGAPPNAME", "secondbloom-ops")
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" {
		return nil, "", errors.New("backup: the database URL names no database")
	}
	env = append(env, "PGDATABASE="+db)
	return env, db, nil
}

// withDatabase returns dsn pointing at database name.
func withDatabase(dsn, name string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", errors.New("backup: the database URL must be a postgres:// URL")
	}
	u.Path = "/" + name
	return u.String(), nil
}

// hashFile returns the hex SHA-256 and size of a file, syncing it first
// when sync is set.
func hashFile(path string, sync bool) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	if sync {
		if err := f.Sync(); err != nil {
			return "", 0, fmt.Errorf("backup: sync: %w", err)
		}
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("backup: read %s: %w", filepath.Base(path), err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// writeFileAtomic writes data to a temporary file in the same directory,
// syncs it and renames it over path.
func writeFileAtomic(path string, data []byte) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// syncDir makes renames in dir durable; failure only weakens durability.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// randomSuffix returns a short random hex string.
func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
