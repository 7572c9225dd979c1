package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/secondbloom/marketplace/adapters/backup"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
	"github.com/secondbloom/marketplace/adapters/s3test"
)

// runOps runs one command and returns its exit status and output lines.
func runOps(t *testing.T, env map[string]string, args ...string) (int, []map[string]any, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("output line %q is not JSON: %v", l, err)
		}
		lines = append(lines, m)
	}
	return code, lines, errOut.String()
}

func TestCheck(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer up.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer down.Close()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)

	cases := []struct {
		name string
		args []string
		want int
		msg  string
	}{
		{"up", []string{"check", "-url", up.URL}, 0, "check up"},
		{"503 is down", []string{"check", "-url", down.URL}, 1, "check failed"},
		{"a hang is down after the timeout", []string{"check", "-url", hang.URL, "-timeout", "200ms"}, 1, "check failed"},
		{"nothing listening", []string{"check", "-url", "http://127.0.0.1:1/", "-timeout", "1s"}, 1, "check failed"},
		{"bad flag", []string{"check", "-nope"}, 2, ""},
		{"unknown command", []string{"frobnicate"}, 2, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, lines, _ := runOps(t, nil, tc.args...)
			if code != tc.want {
				t.Fatalf("ops %v = exit %d, want %d", tc.args, code, tc.want)
			}
			if tc.msg == "" {
				return
			}
			if len(lines) != 1 || lines[0]["msg"] != tc.msg {
				t.Fatalf("ops %v logged %v, want one line %q", tc.args, lines, tc.msg)
			}
		})
	}
}

func TestBackupVerifyRestorePruneCommands(t *testing.T) {
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not on PATH", tool)
			}
			t.Skipf("SKIPPING BACKUP COMMAND TEST: %s is not on PATH (apt-get install postgresql-client-15)", tool)
		}
	}
	src := pgtest.NewDatabase(t)
	if err := backup.Seed(context.Background(), src, 50, 80); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATABASE_URL": src, "BACKUP_DIR": t.TempDir()}

	code, lines, stderr := runOps(t, env, "backup")
	if code != 0 || len(lines) != 1 || lines[0]["msg"] != "backup done" || lines[0]["rows"] != float64(130) {
		t.Fatalf("ops backup = %d %v %s, want one 'backup done' line with 130 rows", code, lines, stderr)
	}
	time.Sleep(1100 * time.Millisecond) // backup names have one-second resolution
	if code, _, _ := runOps(t, env, "backup"); code != 0 {
		t.Fatalf("second ops backup = %d", code)
	}
	env2 := map[string]string{"DATABASE_URL": pgtest.URL(), "BACKUP_DIR": env["BACKUP_DIR"]}
	if code, lines, _ := runOps(t, env2, "verify"); code != 0 || lines[0]["msg"] != "verify passed" {
		t.Fatalf("ops verify = %d %v, want 0 and 'verify passed'", code, lines)
	}

	// Restoring over the source is refused without -replace.
	if code, lines, _ := runOps(t, env, "restore"); code != 1 || !strings.Contains(lines[0]["error"].(string), "-replace") {
		t.Fatalf("ops restore over a database with tables = %d %v, want 1 and a hint about -replace", code, lines)
	}
	dst := pgtest.NewDatabase(t)
	env3 := map[string]string{"DATABASE_URL": dst, "BACKUP_DIR": env["BACKUP_DIR"]}
	if code, lines, _ := runOps(t, env3, "restore"); code != 0 || lines[0]["msg"] != "restore done" {
		t.Fatalf("ops restore into an empty database = %d %v", code, lines)
	}
	if code, _, _ := runOps(t, env, "restore", "-replace"); code != 0 {
		t.Fatalf("ops restore -replace = %d, want 0", code)
	}

	if code, lines, _ := runOps(t, env, "prune", "-daily", "1", "-weekly", "0", "-monthly", "0"); code != 0 || lines[0]["kept"] != float64(1) {
		t.Fatalf("ops prune -daily 1 = %d %v, want 1 backup kept", code, lines)
	}
	if code, _, stderr := runOps(t, map[string]string{}, "backup"); code != 2 || !strings.Contains(stderr, "DATABASE_URL") {
		t.Fatalf("ops backup without a database = %d %q, want 2 naming DATABASE_URL", code, stderr)
	}
}

func TestFailuresNeverPrintThePassword(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "postgres://app:Sup3rSecret@127.0.0.1:1/shop?sslmode=disable", "BACKUP_DIR": t.TempDir()}
	for _, cmd := range []string{"backup", "seed"} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{cmd}, func(k string) string { return env[k] }, &out, &errOut)
		if code != 1 {
			t.Fatalf("ops %s against a closed port = exit %d, want 1", cmd, code)
		}
		if all := out.String() + errOut.String(); strings.Contains(all, "Sup3rSecret") || !strings.Contains(all, "connection refused") {
			t.Fatalf("ops %s printed %q: want the cause without the password", cmd, all)
		}
	}
}

func TestCheckGivenABaseURLProbesTheReadinessRoute(t *testing.T) {
	// Like the real server: the root is a 404, the readiness route is up.
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		if r.URL.Path != "/api/v1/health/readiness" {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	for _, base := range []string{srv.URL, srv.URL + "/"} {
		code, lines, stderr := runOps(t, nil, "check", "-url", base)
		if code != 0 || len(lines) != 1 || lines[0]["url"] != srv.URL+"/api/v1/health/readiness" {
			t.Fatalf("ops check -url %s = %d %v %s, want 0 probing the readiness route", base, code, lines, stderr)
		}
	}
	// A URL with a path is probed as given.
	if code, _, _ := runOps(t, nil, "check", "-url", srv.URL+"/somewhere"); code != 1 {
		t.Fatalf("ops check -url .../somewhere = %d, want 1 (that path is a 404)", code)
	}
	want := []string{"/api/v1/health/readiness", "/api/v1/health/readiness", "/somewhere"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Fatalf("ops check probed %v, want %v", paths, want)
	}
}

// tableDigest returns, per table, its row count and an MD5 of all its rows
// in primary-key order, so two databases can be compared row for row.
func tableDigest(t *testing.T, dsn string) map[string]string {
	t.Helper()
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn)))
	defer db.Close()
	out := map[string]string{}
	for _, table := range []string{"products", "orders"} {
		var n int64
		var sum string
		q := "SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t.id)), '') FROM " + table + " t"
		if err := db.QueryRow(q).Scan(&n, &sum); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out[table] = fmt.Sprintf("%d rows, md5 %s", n, sum)
	}
	return out
}

func TestBackupUploadsToS3AndRestoreFetchesFromThere(t *testing.T) {
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not on PATH", tool)
			}
			t.Skipf("SKIPPING OFF-SITE BACKUP TEST: %s is not on PATH (apt-get install postgresql-client-15)", tool)
		}
	}
	peer := s3test.Start(t, "backups")
	upload := peer.URL("backups", "secondbloom/prod")
	src := pgtest.NewDatabase(t)
	if err := backup.Seed(context.Background(), src, 40, 60); err != nil {
		t.Fatal(err)
	}
	want := tableDigest(t, src)
	env := map[string]string{"DATABASE_URL": src, "BACKUP_DIR": t.TempDir(), "BACKUP_UPLOAD_URL": upload}

	code, lines, stderr := runOps(t, env, "backup", "-prune")
	if code != 0 || len(lines) != 4 || lines[1]["msg"] != "upload done" || lines[2]["msg"] != "prune done" || lines[3]["msg"] != "offsite prune done" {
		t.Fatalf("ops backup -prune = %d %v %s, want backup, upload and both prunes", code, lines, stderr)
	}
	if to := lines[1]["to"]; to != "s3://backups/secondbloom/prod" {
		t.Fatalf("upload logged to=%v, want the URL without its query", to)
	}
	name := lines[0]["backup"].(string)
	for _, key := range []string{name + ".dump", name + ".dump.sha256", name + ".json"} {
		if _, err := peer.Backend.HeadObject("backups", "secondbloom/prod/"+key); err != nil {
			t.Fatalf("the S3 peer has no %s: %v", key, err)
		}
	}

	// The database host is gone: restore into a fresh database from an
	// empty directory, fetching from the peer.
	dst := pgtest.NewDatabase(t)
	fresh := t.TempDir()
	env2 := map[string]string{"DATABASE_URL": dst, "BACKUP_DIR": fresh, "BACKUP_UPLOAD_URL": upload}
	code, lines, stderr = runOps(t, env2, "restore", "-offsite")
	if code != 0 || len(lines) != 2 || lines[0]["msg"] != "fetch done" || lines[1]["msg"] != "restore done" || lines[1]["backup"] != name {
		t.Fatalf("ops restore -offsite = %d %v %s, want fetch and restore of %s", code, lines, stderr, name)
	}
	if got := tableDigest(t, dst); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("restored data = %v, want %v", got, want)
	}
	// The off-site copy also passes verification, fetched into another
	// empty directory.
	env5 := map[string]string{"DATABASE_URL": pgtest.URL(), "BACKUP_DIR": t.TempDir(), "BACKUP_UPLOAD_URL": upload}
	code, lines, stderr = runOps(t, env5, "verify", "-offsite")
	if code != 0 || len(lines) != 2 || lines[0]["msg"] != "fetch done" || lines[1]["msg"] != "verify passed" || lines[1]["backup"] != name {
		t.Fatalf("ops verify -offsite = %d %v %s, want fetch and a passed verification of %s", code, lines, stderr, name)
	}

	// A dump damaged in the bucket is never restored. (Bit rot leaves the
	// peer's stored CRC32 as it was, so the SDK may notice first; a dump
	// replaced whole is caught by the SHA-256, see adapters/backup.)
	obj, err := peer.Backend.GetObject("backups", "secondbloom/prod/"+name+".dump", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(obj.Contents)
	obj.Contents.Close()
	body[len(body)/2] ^= 0xff
	if _, err := peer.Backend.PutObject("backups", "secondbloom/prod/"+name+".dump", map[string]string{}, bytes.NewReader(body), int64(len(body)), nil); err != nil {
		t.Fatal(err)
	}
	dst2 := pgtest.NewDatabase(t)
	env3 := map[string]string{"DATABASE_URL": dst2, "BACKUP_DIR": t.TempDir(), "BACKUP_UPLOAD_URL": upload}
	code, lines, _ = runOps(t, env3, "restore", "-offsite")
	if code != 1 || len(lines) != 1 || !regexp.MustCompile(`corrupt|checksum`).MatchString(lines[0]["error"].(string)) {
		t.Fatalf("ops restore -offsite of a damaged dump = %d %v, want 1 and a corruption error", code, lines)
	}
	if got := countTables(t, dst2); got != 0 {
		t.Fatalf("a refused restore created %d tables, want none", got)
	}

	// Usage errors: -offsite without a store, a store of an unknown kind.
	if code, _, stderr := runOps(t, map[string]string{"DATABASE_URL": dst}, "restore", "-offsite"); code != 2 || !strings.Contains(stderr, "BACKUP_UPLOAD_URL") {
		t.Fatalf("ops restore -offsite without a store = %d %q, want 2 naming BACKUP_UPLOAD_URL", code, stderr)
	}
	env4 := map[string]string{"DATABASE_URL": src, "BACKUP_DIR": t.TempDir(), "BACKUP_UPLOAD_URL": "gs://bucket/x"}
	if code, lines, _ := runOps(t, env4, "backup"); code != 1 || !strings.Contains(lines[0]["error"].(string), "unsupported scheme") {
		t.Fatalf("ops backup to gs:// = %d %v, want 1 and an unsupported-scheme error", code, lines)
	}
	if left, _ := os.ReadDir(env4["BACKUP_DIR"]); len(left) != 0 {
		t.Fatalf("ops backup with a bad BACKUP_UPLOAD_URL dumped anyway: %v", left)
	}
	// A failed upload (the bucket does not exist) fails the command but
	// keeps the local backup, and says how to retry.
	env6 := map[string]string{"DATABASE_URL": src, "BACKUP_DIR": t.TempDir(), "BACKUP_UPLOAD_URL": peer.URL("no-such-bucket", "x")}
	code, lines, _ = runOps(t, env6, "backup")
	if code != 1 || len(lines) != 2 || lines[0]["msg"] != "backup done" || !strings.Contains(lines[1]["error"].(string), "ops upload -name") {
		t.Fatalf("ops backup with an unwritable store = %d %v, want the backup, then exit 1 with a retry hint", code, lines)
	}
	if _, err := backup.Find(env6["BACKUP_DIR"], ""); err != nil {
		t.Fatalf("after a failed upload the local backup is gone: %v", err)
	}
}

// countTables counts the tables of a database.
func countTables(t *testing.T, dsn string) int {
	t.Helper()
	db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn)))
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// writeBackup lays out a complete backup taken at `at` in dir, as
// backup.Create would, without needing PostgreSQL.
func writeBackup(t *testing.T, dir string, at time.Time) backup.Manifest {
	t.Helper()
	name := backup.Prefix + at.UTC().Format("20060102T150405Z")
	content := []byte("dump of " + name)
	sum := sha256.Sum256(content)
	m := backup.Manifest{Name: name, File: name + ".dump", Format: "custom", CreatedAt: at.UTC(), Database: "shop",
		SizeBytes: int64(len(content)), SHA256: hex.EncodeToString(sum[:]), Tables: map[string]int64{}}
	mj, _ := json.Marshal(m)
	for f, b := range map[string][]byte{m.File: content, m.File + ".sha256": []byte(m.SHA256 + "  " + m.File + "\n"), name + ".json": mj} {
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func TestUploadAndOffsitePrune(t *testing.T) {
	local := t.TempDir()
	remote := filepath.Join(t.TempDir(), "offsite")
	env := map[string]string{"BACKUP_DIR": local, "BACKUP_UPLOAD_URL": "file://" + remote}
	base := time.Date(2026, 11, 1, 2, 30, 0, 0, time.UTC)
	for i := range 5 {
		m := writeBackup(t, local, base.Add(time.Duration(i)*24*time.Hour))
		code, lines, stderr := runOps(t, env, "upload", "-name", m.Name)
		if code != 0 || len(lines) != 1 || lines[0]["msg"] != "upload done" || lines[0]["backup"] != m.Name {
			t.Fatalf("ops upload -name %s = %d %v %s, want one 'upload done' line", m.Name, code, lines, stderr)
		}
		if _, err := os.Stat(filepath.Join(remote, m.Name+".json")); err != nil {
			t.Fatalf("after ops upload the store has no manifest: %v", err)
		}
	}

	// Prune with 2 daily, no weekly or monthly: 3 go, here and off-site.
	code, lines, stderr := runOps(t, env, "prune", "-daily", "2", "-weekly", "0", "-monthly", "0")
	if code != 0 || len(lines) != 2 || lines[0]["kept"] != float64(2) || lines[1]["msg"] != "offsite prune done" || lines[1]["kept"] != float64(2) {
		t.Fatalf("ops prune = %d %v %s, want 2 kept here and 2 off-site", code, lines, stderr)
	}
	left, _ := filepath.Glob(filepath.Join(remote, "*"))
	if len(left) != 6 {
		t.Fatalf("the store holds %v after pruning, want the 6 objects of 2 backups", left)
	}

	if code, lines, _ := runOps(t, env, "upload", "-name", "secondbloom-20200101T000000Z"); code != 1 || !strings.Contains(lines[0]["error"].(string), "no complete backup") {
		t.Fatalf("ops upload of a missing backup = %d %v, want 1 and 'no complete backup'", code, lines)
	}
	if code, _, stderr := runOps(t, map[string]string{"BACKUP_DIR": local}, "upload"); code != 2 || !strings.Contains(stderr, "BACKUP_UPLOAD_URL") {
		t.Fatalf("ops upload without a store = %d %q, want 2 naming BACKUP_UPLOAD_URL", code, stderr)
	}
	// A store that cannot be written (its directory is a file): exit 1.
	blocked := filepath.Join(t.TempDir(), "blocked")
	if err := os.WriteFile(blocked, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := runOps(t, map[string]string{"BACKUP_DIR": local, "BACKUP_UPLOAD_URL": "file://" + blocked}, "upload"); code != 1 {
		t.Fatalf("ops upload into a file = %d, want 1", code)
	}
}
