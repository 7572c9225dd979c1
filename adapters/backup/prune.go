package backup

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Policy says how many backups to keep: the newest backup of each of the
// Daily most recent days that have one, of the Weekly most recent ISO
// weeks, and of the Monthly most recent months (grandfather-father-son,
// as restic's forget --keep-daily/--keep-weekly/--keep-monthly).
type Policy struct {
	Daily, Weekly, Monthly int
}

// DefaultPolicy keeps 7 daily, 4 weekly and 3 monthly backups.
var DefaultPolicy = Policy{Daily: 7, Weekly: 4, Monthly: 3}

// Select returns which of the backup times to keep under p, as a set of
// indexes into times. Times are compared in UTC; a time can be kept by
// several rules at once. The newest backup is always kept, so pruning never
// leaves a directory empty. Select is a pure function.
func Select(times []time.Time, p Policy) map[int]bool {
	idx := make([]int, len(times))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return times[idx[a]].After(times[idx[b]]) })
	keep := map[int]bool{}
	if len(idx) > 0 {
		keep[idx[0]] = true
	}
	rule := func(n int, bucket func(time.Time) string) {
		seen := map[string]bool{}
		for _, i := range idx {
			if len(seen) == n {
				return
			}
			b := bucket(times[i].UTC())
			if !seen[b] {
				seen[b] = true
				keep[i] = true
			}
		}
	}
	rule(p.Daily, func(t time.Time) string { return t.Format("2006-01-02") })
	rule(p.Weekly, func(t time.Time) string { y, w := t.ISOWeek(); return fmt.Sprintf("%d-W%02d", y, w) })
	rule(p.Monthly, func(t time.Time) string { return t.Format("2006-01") })
	return keep
}

// Prune deletes the backups in dir that Select does not keep under p and
// returns their names. With dryRun it only reports them. Incomplete
// backups (files without a manifest) are left alone.
func Prune(dir string, p Policy, dryRun bool) ([]string, error) {
	all, err := List(dir)
	if err != nil {
		return nil, err
	}
	times := make([]time.Time, len(all))
	for i, m := range all {
		times[i] = m.CreatedAt
	}
	keep := Select(times, p)
	var removed []string
	for i, m := range all {
		if keep[i] {
			continue
		}
		removed = append(removed, m.Name)
		if dryRun {
			continue
		}
		// The manifest goes first: without it the backup no longer counts,
		// so an interrupted prune never leaves a listed but missing dump.
		for _, f := range []string{m.Name + ".json", m.File, m.File + ".sha256"} {
			if err := os.Remove(filepath.Join(dir, f)); err != nil && !os.IsNotExist(err) {
				return removed, fmt.Errorf("prune: %w", err)
			}
		}
	}
	return removed, nil
}
