package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/adapters/backup"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
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
