package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/secondbloom/marketplace/adapters/backup"
)

func cmdBackup(ctx context.Context, args []string, getenv func(string) string, log *slog.Logger, stderr io.Writer) error {
	fs := newFlags("backup", stderr)
	dsn, dir := dbFlags(fs, getenv)
	upload := uploadFlag(fs, getenv)
	prune := fs.Bool("prune", false, "after the backup, prune old backups here and off-site with the default policy (7 daily, 4 weekly, 3 monthly)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := requireDSN(fs, *dsn); err != nil {
		return err
	}
	var off *backup.Offsite
	if *upload != "" {
		// Opened first, so a bad BACKUP_UPLOAD_URL fails before the dump.
		var err error
		if off, err = backup.OpenOffsite(ctx, *upload); err != nil {
			return err
		}
		defer off.Close()
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
	if off != nil {
		if err := uploadOne(ctx, off, *dir, m, log); err != nil {
			return fmt.Errorf("%w (the backup is complete in %s; retry with ops upload -name %s)", err, *dir, m.Name)
		}
	}
	if *prune {
		return pruneAll(ctx, *dir, off, backup.DefaultPolicy, false, log)
	}
	return nil
}

// cmdUpload copies a backup that is already in the directory off-site,
// for example after an upload failed.
func cmdUpload(ctx context.Context, args []string, getenv func(string) string, log *slog.Logger, stderr io.Writer) error {
	fs := newFlags("upload", stderr)
	_, dir := dbFlags(fs, getenv)
	upload := uploadFlag(fs, getenv)
	name := fs.String("name", "", "backup to upload (default: the newest)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := requireUpload(fs, *upload); err != nil {
		return err
	}
	m, err := backup.Find(*dir, *name)
	if err != nil {
		return err
	}
	off, err := backup.OpenOffsite(ctx, *upload)
	if err != nil {
		return err
	}
	defer off.Close()
	return uploadOne(ctx, off, *dir, m, log)
}

func uploadOne(ctx context.Context, off *backup.Offsite, dir string, m backup.Manifest, log *slog.Logger) error {
	start := time.Now()
	if err := off.Upload(ctx, dir, m); err != nil {
		return err
	}
	log.Info("upload done", "backup", m.Name, "to", off.String(), "sizeBytes", m.SizeBytes, "sha256", m.SHA256,
		"seconds", round(time.Since(start).Seconds()))
	return nil
}

func cmdRestore(ctx context.Context, args []string, getenv func(string) string, log *slog.Logger, stderr io.Writer) error {
	fs := newFlags("restore", stderr)
	dsn, dir := dbFlags(fs, getenv)
	upload := uploadFlag(fs, getenv)
	name := fs.String("name", "", "backup to restore (default: the newest)")
	replace := fs.Bool("replace", false, "drop everything in the target database first (it must otherwise have no tables)")
	offsite := fs.Bool("offsite", false, "fetch the backup from -upload-url into -dir first, checking its SHA-256")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := requireDSN(fs, *dsn); err != nil {
		return err
	}
	var (
		m   backup.Manifest
		err error
	)
	if *offsite {
		if err := requireUpload(fs, *upload); err != nil {
			return err
		}
		if m, err = fetch(ctx, *upload, *name, *dir, log); err != nil {
			return err
		}
	} else if m, err = backup.Find(*dir, *name); err != nil {
		return err
	}
	start := time.Now()
	if err := backup.Restore(ctx, *dsn, *dir, m, *replace, backup.Tools{}); err != nil {
		return err
	}
	log.Info("restore done", "backup", m.Name, "replace", *replace, "seconds", round(time.Since(start).Seconds()))
	return nil
}

// fetch downloads a backup from the off-site store at upload into dir.
func fetch(ctx context.Context, upload, name, dir string, log *slog.Logger) (backup.Manifest, error) {
	off, err := backup.OpenOffsite(ctx, upload)
	if err != nil {
		return backup.Manifest{}, err
	}
	defer off.Close()
	start := time.Now()
	m, err := off.Fetch(ctx, name, dir)
	if err != nil {
		return backup.Manifest{}, err
	}
	log.Info("fetch done", "backup", m.Name, "from", off.String(), "dir", dir, "sizeBytes", m.SizeBytes,
		"seconds", round(time.Since(start).Seconds()))
	return m, nil
}

func cmdVerify(ctx context.Context, args []string, getenv func(string) string, log *slog.Logger, stderr io.Writer) error {
	fs := newFlags("verify", stderr)
	dsn, dir := dbFlags(fs, getenv)
	upload := uploadFlag(fs, getenv)
	name := fs.String("name", "", "backup to verify (default: the newest)")
	offsite := fs.Bool("offsite", false, "fetch the backup from -upload-url into -dir first, so the off-site copy is what gets verified")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := requireDSN(fs, *dsn); err != nil {
		return err
	}
	if *offsite {
		if err := requireUpload(fs, *upload); err != nil {
			return err
		}
		m, err := fetch(ctx, *upload, *name, *dir, log)
		if err != nil {
			return err
		}
		*name = m.Name
	}
	rep, err := backup.Verify(ctx, *dsn, *dir, *name, backup.Tools{})
	if err != nil {
		return err
	}
	log.Info("verify passed", "backup", rep.Backup, "tables", rep.Tables, "rows", rep.Rows,
		"restoreSeconds", round(rep.Restore.Seconds()), "totalSeconds", round(rep.Total.Seconds()))
	return nil
}

func cmdPrune(ctx context.Context, args []string, getenv func(string) string, log *slog.Logger, stderr io.Writer) error {
	fs := newFlags("prune", stderr)
	_, dir := dbFlags(fs, getenv)
	upload := uploadFlag(fs, getenv)
	p := backup.DefaultPolicy
	fs.IntVar(&p.Daily, "daily", p.Daily, "daily backups to keep")
	fs.IntVar(&p.Weekly, "weekly", p.Weekly, "weekly backups to keep")
	fs.IntVar(&p.Monthly, "monthly", p.Monthly, "monthly backups to keep")
	dry := fs.Bool("dry-run", false, "list what would be removed, remove nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	var off *backup.Offsite
	if *upload != "" {
		var err error
		if off, err = backup.OpenOffsite(ctx, *upload); err != nil {
			return err
		}
		defer off.Close()
	}
	return pruneAll(ctx, *dir, off, p, *dry, log)
}

// pruneAll applies p to the directory and, when off is set, to the
// off-site store, logging one line for each.
func pruneAll(ctx context.Context, dir string, off *backup.Offsite, p backup.Policy, dry bool, log *slog.Logger) error {
	removed, err := backup.Prune(dir, p, dry)
	if err != nil {
		return err
	}
	left, _ := backup.List(dir)
	log.Info("prune done", "dir", dir, "dryRun", dry, "removed", removed, "kept", len(left))
	if off == nil {
		return nil
	}
	removed, err = off.Prune(ctx, p, dry)
	if err != nil {
		return err
	}
	kept, err := off.List(ctx)
	if err != nil {
		return err
	}
	log.Info("offsite prune done", "to", off.String(), "dryRun", dry, "removed", removed, "kept", len(kept))
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

// healthPath is what check probes when given only a server's base URL.
const healthPath = "/api/v1/health/readiness"

// cmdCheck is the uptime probe: one GET with a timeout; 2xx is up.
func cmdCheck(ctx context.Context, args []string, _ func(string) string, log *slog.Logger, stderr io.Writer) error {
	fs := newFlags("check", stderr)
	raw := fs.String("url", "http://127.0.0.1:3000"+healthPath, "URL to probe; a base URL such as http://localhost:3000 probes "+healthPath)
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	if err := parse(fs, args); err != nil {
		return err
	}
	return check(ctx, probeURL(*raw), *timeout, log)
}

// probeURL turns a server's base URL (no path, or just "/") into its
// readiness route and leaves any other URL as it is.
func probeURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return raw
	}
	u.Path = healthPath
	return u.String()
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
