package backup

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Report is the outcome of Verify.
type Report struct {
	// Backup is the name of the backup verified.
	Backup string
	// Scratch is the name of the scratch database, dropped on return.
	Scratch string
	// Restore is how long pg_restore took into the scratch database.
	Restore time.Duration
	// Total is how long the whole verification took.
	Total time.Duration
	// Tables and Rows count what was compared.
	Tables int
	Rows   int64
	// Problems lists every difference and broken invariant; empty means
	// the backup is good.
	Problems []string
}

// Verify restores the backup called name (the newest when empty) from dir
// into a scratch database it creates on the server of adminDSN, compares
// every table's row count with the manifest, checks the stock invariants
// (every products.quantity >= 0; no order references a missing product;
// each only when those tables exist), drops the scratch database and
// writes secondbloom_backup_verify.prom into dir. It returns an error when
// the backup cannot be restored or any problem is found; the Report is
// filled in either way as far as it got.
func Verify(ctx context.Context, adminDSN, dir, name string, tools Tools) (Report, error) {
	start := time.Now()
	m, err := Find(dir, name)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Backup: m.Name}
	admin := openDB(adminDSN)
	defer admin.Close()
	scratch := "sb_verify_" + time.Now().UTC().Format("20060102t150405") + "_" + randomSuffix()
	rep.Scratch = scratch
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(scratch)); err != nil {
		return rep, fmt.Errorf("verify: create scratch database: %w", err)
	}
	defer admin.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+quoteIdent(scratch)+" WITH (FORCE)") //nolint:errcheck // best effort; named sb_verify_* for manual cleanup
	scratchDSN, err := withDatabase(adminDSN, scratch)
	if err != nil {
		return rep, err
	}

	t0 := time.Now()
	if err := Restore(ctx, scratchDSN, dir, m, false, tools); err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	rep.Restore = time.Since(t0)

	db := openDB(scratchDSN)
	defer db.Close()
	got, err := countRows(ctx, db)
	if err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	rep.Problems = append(rep.Problems, compareCounts(m.Tables, got)...)
	rep.Tables = len(got)
	for _, n := range got {
		rep.Rows += n
	}
	problems, err := checkInvariants(ctx, db)
	if err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	rep.Problems = append(rep.Problems, problems...)
	db.Close()
	rep.Total = time.Since(start)

	if len(rep.Problems) > 0 {
		return rep, fmt.Errorf("verify: backup %s has %d problem(s): %s", m.Name, len(rep.Problems), strings.Join(rep.Problems, "; "))
	}
	prom := fmt.Sprintf(`# HELP secondbloom_backup_verify_last_success_timestamp_seconds When a backup last passed verification.
# TYPE secondbloom_backup_verify_last_success_timestamp_seconds gauge
secondbloom_backup_verify_last_success_timestamp_seconds %d
# HELP secondbloom_backup_verify_restore_seconds How long the last verified restore took.
# TYPE secondbloom_backup_verify_restore_seconds gauge
secondbloom_backup_verify_restore_seconds %.3f
`, time.Now().Unix(), rep.Restore.Seconds())
	if err := writeFileAtomic(filepath.Join(dir, "secondbloom_backup_verify.prom"), []byte(prom)); err != nil && !os.IsPermission(err) {
		return rep, err
	}
	return rep, nil
}

// compareCounts lists the tables whose counts differ between the manifest
// and the restored database, and tables present in only one of them.
func compareCounts(want, got map[string]int64) []string {
	var problems []string
	for t, w := range want {
		g, ok := got[t]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("table %s is missing from the restore", t))
		case g != w:
			problems = append(problems, fmt.Sprintf("table %s has %d rows, manifest says %d", t, g, w))
		}
	}
	for t := range got {
		if _, ok := want[t]; !ok {
			problems = append(problems, fmt.Sprintf("table %s is not in the manifest", t))
		}
	}
	sort.Strings(problems)
	return problems
}

// checkInvariants checks the stock invariants on whatever part of the
// schema exists: a branch without products or orders still verifies.
func checkInvariants(ctx context.Context, db *sql.DB) ([]string, error) {
	hasColumn := func(table, column string) (bool, error) {
		var ok bool
		err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
			WHERE table_schema = 'public' AND table_name = $1 AND column_name = $2)`, table, column).Scan(&ok)
		return ok, err
	}
	var problems []string
	quantity, err := hasColumn("products", "quantity")
	if err != nil {
		return nil, fmt.Errorf("inspect products: %w", err)
	}
	if quantity {
		var n int64
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM public.products WHERE quantity < 0`).Scan(&n); err != nil {
			return nil, fmt.Errorf("check products.quantity: %w", err)
		}
		if n > 0 {
			problems = append(problems, fmt.Sprintf("%d product(s) have a negative quantity", n))
		}
	}
	productID, err := hasColumn("orders", "product_id")
	if err != nil {
		return nil, fmt.Errorf("inspect orders: %w", err)
	}
	productsID, err := hasColumn("products", "id")
	if err != nil {
		return nil, fmt.Errorf("inspect products: %w", err)
	}
	if productID {
		q := `SELECT count(*) FROM public.orders o WHERE o.product_id IS NOT NULL`
		if productsID {
			q += ` AND NOT EXISTS (SELECT 1 FROM public.products p WHERE p.id = o.product_id)`
		}
		var n int64
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return nil, fmt.Errorf("check orders.product_id: %w", err)
		}
		if n > 0 {
			problems = append(problems, fmt.Sprintf("%d order(s) reference a missing product", n))
		}
	}
	return problems, nil
}
