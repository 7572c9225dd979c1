package backup_test

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/adapters/backup"
)

func TestSelect(t *testing.T) {
	day := func(s string) time.Time {
		tm, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	// 120 nightly backups at 02:00 from 2026-08-01 to 2026-11-28, plus a
	// second one on the last day at 14:00.
	var nightly []time.Time
	for d := day("2026-08-01 02:00"); !d.After(day("2026-11-28 02:00")); d = d.AddDate(0, 0, 1) {
		nightly = append(nightly, d)
	}
	nightly = append(nightly, day("2026-11-28 14:00"))

	cases := []struct {
		name  string
		times []time.Time
		p     backup.Policy
		want  []string
	}{
		{name: "nothing", times: nil, p: backup.DefaultPolicy, want: nil},
		{name: "one backup is always kept", times: []time.Time{day("2026-01-01 00:00")}, p: backup.Policy{}, want: []string{"2026-01-01 00:00"}},
		{
			name: "nightly for four months", times: nightly, p: backup.DefaultPolicy,
			want: []string{
				// 7 daily: the newest of each of the last 7 days.
				"2026-11-28 14:00", "2026-11-27 02:00", "2026-11-26 02:00", "2026-11-25 02:00",
				"2026-11-24 02:00", "2026-11-23 02:00", "2026-11-22 02:00",
				// 4 weekly: newest of ISO weeks 48 (kept above), 47, 46, 45.
				"2026-11-15 02:00", "2026-11-08 02:00",
				// (week 47 ends Sunday 2026-11-22, already kept as a daily)
				// 3 monthly: November (kept above), October, September.
				"2026-10-31 02:00", "2026-09-30 02:00",
			},
		},
		{
			name: "sparse backups fill the buckets that have one",
			times: []time.Time{day("2026-11-28 02:00"), day("2026-11-01 02:00"), day("2026-06-15 02:00"),
				day("2026-06-14 02:00"), day("2025-12-31 23:59")},
			p:    backup.DefaultPolicy,
			want: []string{"2026-11-28 02:00", "2026-11-01 02:00", "2026-06-15 02:00", "2026-06-14 02:00", "2025-12-31 23:59"},
		},
		{
			name:  "daily only",
			times: []time.Time{day("2026-11-28 02:00"), day("2026-11-28 01:00"), day("2026-11-27 02:00"), day("2026-11-26 02:00")},
			p:     backup.Policy{Daily: 2},
			want:  []string{"2026-11-28 02:00", "2026-11-27 02:00"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keep := backup.Select(tc.times, tc.p)
			var got []string
			for i := range keep {
				got = append(got, tc.times[i].Format("2006-01-02 15:04"))
			}
			sort.Sort(sort.Reverse(sort.StringSlice(got)))
			want := append([]string(nil), tc.want...)
			sort.Sort(sort.Reverse(sort.StringSlice(want)))
			if len(got) != len(want) {
				t.Fatalf("Select kept %v, want %v", got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("Select kept %v, want %v", got, want)
				}
			}
		})
	}
}

func TestPruneRemovesWhatSelectDrops(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)
	for i := range 20 {
		at := start.AddDate(0, 0, i)
		name := backup.Prefix + at.Format("20060102T150405Z")
		for f, body := range map[string]string{
			name + ".json":        `{"name":"` + name + `","file":"` + name + `.dump","createdAt":"` + at.Format(time.RFC3339) + `"}`,
			name + ".dump":        "dump",
			name + ".dump.sha256": "x",
			"unrelated-" + name:   "keep me",
		} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	dry, err := backup.Prune(dir, backup.DefaultPolicy, true)
	if err != nil {
		t.Fatal(err)
	}
	left, _ := backup.List(dir)
	if len(left) != 20 {
		t.Fatalf("a dry run removed backups: %d left, want 20", len(left))
	}
	removed, err := backup.Prune(dir, backup.DefaultPolicy, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != len(dry) || len(removed) == 0 {
		t.Fatalf("Prune removed %v, the dry run announced %v", removed, dry)
	}
	left, _ = backup.List(dir)
	if len(left)+len(removed) != 20 {
		t.Fatalf("%d left + %d removed, want 20", len(left), len(removed))
	}
	for _, name := range removed {
		if m, _ := filepath.Glob(filepath.Join(dir, name+".*")); len(m) != 0 {
			t.Errorf("files of pruned backup %s remain: %v", name, m)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "unrelated-*")); len(m) != 20 {
		t.Errorf("Prune touched files that are not backups: %d of 20 left", len(m))
	}
}
