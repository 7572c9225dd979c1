package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/secondbloom/marketplace/adapters/backup"
)

func cmdBackup(ctx context.Context, args []string, getenv func(string) string, log *slog.Logger, stderr io.Writer) error {
	fs := newFlags("backup", stderr)
	dsn, dir := dbFlags(fs, getenv)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := requireDSN(fs, *dsn); err != nil {
		return err
	}
	m, err := backup.Create(ctx, *dsn, *dir, backup.Tools{})
	if err != nil {
		return err
	}
	var rows int64
	for _, n := range m.Tables {
		rows += n
	}
	log.Info("backup done", "backup", m.Name, "dir", *dir, "sizeBytes", m.SizeBytes, "sha256", m.SHA256,
		"tables", len(m.Tables), "rows", rows, "seconds", round(m.DurationSeconds))
	return nil
}

func cmdRestore(ctx context.Context, args []string, getenv func(string) string, log *slog.Logger, stderr io.Writer) error {
	fs := newFlags("restore", stderr)
	dsn, dir := dbFlags(fs, getenv)
	name := fs.String("name", "", "backup to restore (default: the newest)")
	replace := fs.Bool("replace", false, "drop everything in the target database first (it must otherwise have no tables)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := requireDSN(fs, *dsn); err != nil {
		return err
	}
	m, err := backup.Find(*dir, *name)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := backup.Restore(ctx, *dsn, *dir, m, *replace, backup.Tools{}); err != nil {
		return err
	}
	log.Info("restore done", "backup", m.Name, "replace", *replace, "seconds", round(time.Since(start).Seconds()))
	return nil
}

func cmdVerify(ctx context.Context, args []string, getenv func(string) string, log *slog.Logger, stderr io.Writer) error {
	fs := newFlags("verify", stderr)
	dsn, dir := dbFlags(fs, getenv)
	name := fs.String("name", "", "backup to verify (default: the newest)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := requireDSN(fs, *dsn); err != nil {
		return err
	}
	rep, err := backup.Verify(ctx, *dsn, *dir, *name, backup.Tools{})
	if err != nil {
		return err
	}
	log.Info("verify passed", "backup", rep.Backup, "tables", rep.Tables, "rows", rep.Rows,
		"restoreSeconds", round(rep.Restore.Seconds()), "totalSeconds", round(rep.Total.Seconds()))
	return nil
}

func cmdPrune(_ context.Context, args []string, getenv func(string) string, log *slog.Logger, stderr io.Writer) error {
	fs := newFlags("prune", stderr)
	_, dir := dbFlags(fs, getenv)
	p := backup.DefaultPolicy
	fs.IntVar(&p.Daily, "daily", p.Daily, "daily backups to keep")
	fs.IntVar(&p.Weekly, "weekly", p.Weekly, "weekly backups to keep")
	fs.IntVar(&p.Monthly, "monthly", p.Monthly, "monthly backups to keep")
	dry := fs.Bool("dry-run", false, "list what would be removed, remove nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	removed, err := backup.Prune(*dir, p, *dry)
	if err != nil {
		return err
	}
	left, _ := backup.List(*dir)
	log.Info("prune done", "dir", *dir, "dryRun", *dry, "removed", removed, "kept", len(left))
	return nil
}

func cmdSeed(ctx context.Context, args []string, getenv func(string) string, log *slog.Logger, stderr io.Writer) error {
	fs := newFlags("seed", stderr)
	dsn, _ := dbFlags(fs, getenv)
	products := fs.Int("products", 100_000, "synthetic products to create")
	orders := fs.Int("orders", 100_000, "synthetic orders to create")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := requireDSN(fs, *dsn); err != nil {
		return err
	}
	start := time.Now()
	if err := backup.Seed(ctx, *dsn, *products, *orders); err != nil {
		return err
	}
	log.Info("seed done", "products", *products, "orders", *orders, "seconds", round(time.Since(start).Seconds()))
	return nil
}

// cmdCheck is the uptime probe: one GET with a timeout; 2xx is up.
func cmdCheck(ctx context.Context, args []string, _ func(string) string, log *slog.Logger, stderr io.Writer) error {
	fs := newFlags("check", stderr)
	url := fs.String("url", "http://127.0.0.1:3000/api/v1/health/readiness", "URL to probe")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	if err := parse(fs, args); err != nil {
		return err
	}
	return check(ctx, *url, *timeout, log)
}

// check GETs url within timeout and logs one line. It returns an error
// unless the answer is 2xx.
func check(ctx context.Context, url string, timeout time.Duration, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("check: bad url: %w", err)
	}
	req.Header.Set("User-Agent", "secondbloom-ops-check")
	resp, err := http.DefaultClient.Do(req)
	ms := time.Since(start).Milliseconds()
	if err != nil {
		return fmt.Errorf("check %s: down after %d ms: %w", url, ms, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("check %s: down: status %d after %d ms", url, resp.StatusCode, ms)
	}
	log.Info("check up", "url", url, "status", resp.StatusCode, "latencyMs", ms)
	return nil
}

func round(s float64) float64 { return float64(int64(s*1000+0.5)) / 1000 }
