package backup_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/adapters/backup"
	"github.com/secondbloom/marketplace/adapters/s3test"
)

// fakeBackup writes a complete backup taken at the given time into dir, as
// Create would lay it out, with content as its dump.
func fakeBackup(t *testing.T, dir string, at time.Time, content []byte) backup.Manifest {
	t.Helper()
	name := backup.Prefix + at.UTC().Format("20060102T150405Z")
	sum := sha256.Sum256(content)
	m := backup.Manifest{
		Name: name, File: name + ".dump", Format: "custom", CreatedAt: at.UTC(), Database: "shop",
		SizeBytes: int64(len(content)), SHA256: hex.EncodeToString(sum[:]), Tables: map[string]int64{"public.products": 3},
	}
	mj, _ := json.Marshal(m)
	for f, b := range map[string][]byte{
		m.File:               content,
		m.File + ".sha256":   []byte(m.SHA256 + "  " + m.File + "\n"),
		m.Name + ".json":     mj,
		"unrelated.txt":      []byte("not a backup"),
		"secondbloom_x.prom": []byte("# evidence"),
	} {
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// stores returns the two kinds of off-site URL: the S3 peer and a
// directory.
func stores(t *testing.T) map[string]string {
	peer := s3test.Start(t, "backups")
	return map[string]string{
		"s3":   peer.URL("backups", "prod/db"),
		"file": "file://" + t.TempDir() + "/offsite",
	}
}

func openOffsite(t *testing.T, rawURL string) *backup.Offsite {
	t.Helper()
	o, err := backup.OpenOffsite(context.Background(), rawURL)
	if err != nil {
		t.Fatalf("OpenOffsite: %v", err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

func TestOffsiteUploadListFetch(t *testing.T) {
	ctx := context.Background()
	for kind, rawURL := range stores(t) {
		t.Run(kind, func(t *testing.T) {
			local := t.TempDir()
			base := time.Date(2026, 11, 20, 2, 30, 0, 0, time.UTC)
			var made []backup.Manifest
			for i := range 3 {
				m := fakeBackup(t, local, base.Add(time.Duration(i)*24*time.Hour), bytes.Repeat([]byte{byte('a' + i)}, 300_000+i))
				made = append(made, m)
			}
			o := openOffsite(t, rawURL)
			for _, m := range made {
				if err := o.Upload(ctx, local, m); err != nil {
					t.Fatalf("Upload(%s) = %v, want nil", m.Name, err)
				}
			}
			// Uploading again is harmless.
			if err := o.Upload(ctx, local, made[2]); err != nil {
				t.Fatalf("second Upload(%s) = %v, want nil", made[2].Name, err)
			}
			// The evidence names the newest backup, even after an older
			// one is uploaded again.
			if err := o.Upload(ctx, local, made[0]); err != nil {
				t.Fatal(err)
			}
			prom, err := os.ReadFile(filepath.Join(local, "secondbloom_backup_offsite.prom"))
			if want := fmt.Sprintf("secondbloom_backup_offsite_last_success_timestamp_seconds %d\n", made[2].CreatedAt.Unix()); err != nil || !strings.HasSuffix(string(prom), want) {
				t.Fatalf("secondbloom_backup_offsite.prom = %q, %v, want it to end with %q", prom, err, want)
			}
			all, err := o.List(ctx)
			if err != nil || len(all) != 3 || all[0].Name != made[2].Name || all[2].Name != made[0].Name {
				t.Fatalf("List = %v, %v, want the 3 backups newest first", names(all), err)
			}

			restoreDir := t.TempDir()
			got, err := o.Fetch(ctx, "", restoreDir)
			if err != nil || got.Name != made[2].Name {
				t.Fatalf("Fetch(newest) = %s, %v, want %s", got.Name, err, made[2].Name)
			}
			assertSameFile(t, filepath.Join(local, got.File), filepath.Join(restoreDir, got.File))
			assertSameFile(t, filepath.Join(local, got.File+".sha256"), filepath.Join(restoreDir, got.File+".sha256"))
			if kind == "file" {
				dir := strings.TrimPrefix(rawURL, "file://")
				if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm()&0o007 != 0 {
					t.Fatalf("the off-site directory %s is %v, %v: want no access for others", dir, fi.Mode(), err)
				}
			}
			if m, err := backup.Find(restoreDir, ""); err != nil || m.SHA256 != made[2].SHA256 {
				t.Fatalf("Find after Fetch = %v, %v, want the fetched backup", m.Name, err)
			}
			if got, err := o.Fetch(ctx, made[0].File, restoreDir); err != nil || got.Name != made[0].Name {
				t.Fatalf("Fetch(%s) = %s, %v", made[0].File, got.Name, err)
			}
			if _, err := o.Fetch(ctx, "secondbloom-20200101T000000Z", restoreDir); !errors.Is(err, backup.ErrNoBackup) {
				t.Fatalf("Fetch(missing) = %v, want ErrNoBackup", err)
			}
		})
	}
}

func TestOffsiteNeverShipsOrRestoresADamagedDump(t *testing.T) {
	ctx := context.Background()
	for kind, rawURL := range stores(t) {
		t.Run(kind, func(t *testing.T) {
			local := t.TempDir()
			m := fakeBackup(t, local, time.Date(2026, 11, 20, 2, 30, 0, 0, time.UTC), bytes.Repeat([]byte("x"), 10_000))
			o := openOffsite(t, rawURL)

			// Damaged on the database host: not uploaded at all.
			dump := filepath.Join(local, m.File)
			if err := os.WriteFile(dump, bytes.Repeat([]byte("y"), 10_000), 0o640); err != nil {
				t.Fatal(err)
			}
			if err := o.Upload(ctx, local, m); err == nil || !strings.Contains(err.Error(), "corrupt") {
				t.Fatalf("Upload of a damaged dump = %v, want a corruption error", err)
			}
			if all, err := o.List(ctx); err != nil || len(all) != 0 {
				t.Fatalf("List after a refused upload = %v, %v, want nothing", names(all), err)
			}

			// Damaged off-site: Fetch refuses it and leaves nothing behind.
			if err := os.WriteFile(dump, bytes.Repeat([]byte("x"), 10_000), 0o640); err != nil {
				t.Fatal(err)
			}
			if err := o.Upload(ctx, local, m); err != nil {
				t.Fatal(err)
			}
			tamper := openOffsite(t, rawURL)
			if err := tamper.Overwrite(ctx, m.File, bytes.Repeat([]byte("z"), 10_000)); err != nil {
				t.Fatal(err)
			}
			restoreDir := t.TempDir()
			if _, err := o.Fetch(ctx, "", restoreDir); err == nil || !strings.Contains(err.Error(), "corrupt") {
				t.Fatalf("Fetch of a damaged dump = %v, want a corruption error", err)
			}
			if left, _ := os.ReadDir(restoreDir); len(left) != 0 {
				t.Fatalf("Fetch of a damaged dump left %v in the directory, want nothing", left)
			}

			// A .sha256 object that disagrees with the manifest is refused too.
			if err := tamper.Overwrite(ctx, m.File, bytes.Repeat([]byte("x"), 10_000)); err != nil {
				t.Fatal(err)
			}
			if err := tamper.Overwrite(ctx, m.File+".sha256", []byte(strings.Repeat("0", 64)+"  "+m.File+"\n")); err != nil {
				t.Fatal(err)
			}
			if _, err := o.Fetch(ctx, "", restoreDir); err == nil || !strings.Contains(err.Error(), ".sha256") {
				t.Fatalf("Fetch with a wrong .sha256 object = %v, want an error naming it", err)
			}
			if left, _ := os.ReadDir(restoreDir); len(left) != 0 {
				t.Fatalf("Fetch with a wrong .sha256 left %v in the directory, want nothing", left)
			}
		})
	}
}

func TestOffsitePruneAppliesThePolicy(t *testing.T) {
	ctx := context.Background()
	for kind, rawURL := range stores(t) {
		t.Run(kind, func(t *testing.T) {
			local := t.TempDir()
			o := openOffsite(t, rawURL)
			// Ten daily backups: with 3 daily, 1 weekly, 0 monthly the newest
			// three days stay (the weekly rule picks the newest, kept already).
			base := time.Date(2026, 11, 20, 2, 30, 0, 0, time.UTC)
			for i := range 10 {
				m := fakeBackup(t, local, base.Add(time.Duration(i)*24*time.Hour), []byte(fmt.Sprintf("dump %d", i)))
				if err := o.Upload(ctx, local, m); err != nil {
					t.Fatal(err)
				}
			}
			p := backup.Policy{Daily: 3, Weekly: 1, Monthly: 0}
			dry, err := o.Prune(ctx, p, true)
			if err != nil || len(dry) != 7 {
				t.Fatalf("Prune dry run = %v, %v, want 7 names", dry, err)
			}
			if all, _ := o.List(ctx); len(all) != 10 {
				t.Fatalf("a dry run removed backups: %d left, want 10", len(all))
			}
			removed, err := o.Prune(ctx, p, false)
			if err != nil || len(removed) != 7 {
				t.Fatalf("Prune = %v, %v, want 7 removed", removed, err)
			}
			all, _ := o.List(ctx)
			want := []string{"secondbloom-20261129T023000Z", "secondbloom-20261128T023000Z", "secondbloom-20261127T023000Z"}
			if fmt.Sprint(names(all)) != fmt.Sprint(want) {
				t.Fatalf("after Prune the store holds %v, want %v", names(all), want)
			}
			// Nothing of a pruned backup is left: its dump is gone too.
			if _, err := o.Fetch(ctx, "secondbloom-20261120T023000Z", t.TempDir()); !errors.Is(err, backup.ErrNoBackup) {
				t.Fatalf("Fetch of a pruned backup = %v, want ErrNoBackup", err)
			}
			if n, err := tamperCount(ctx, o); err != nil || n != 9 {
				t.Fatalf("objects left after Prune = %d, %v, want 9 (3 backups x 3 objects)", n, err)
			}
		})
	}
}

func TestOpenOffsiteRefusesOtherSchemes(t *testing.T) {
	for _, u := range []string{"gs://bucket/x", "https://example.com/backups", "azblob://c", "mem://", "s3:///nobucket", "file://host/dir", "::"} {
		if _, err := backup.OpenOffsite(context.Background(), u); err == nil {
			t.Errorf("OpenOffsite(%q) = nil error, want a refusal", u)
		}
	}
}

func names(ms []backup.Manifest) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

func tamperCount(ctx context.Context, o *backup.Offsite) (int, error) {
	keys, err := o.Keys(ctx)
	return len(keys), err
}

func assertSameFile(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Fatalf("%s and %s differ", a, b)
	}
}
