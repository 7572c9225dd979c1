package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/uptrace/bun"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the advisory-lock key that serialises migrations of
// several server instances starting at once.
const migrationLock = 0x5ec0b100

// Migrate applies, in file-name order, every embedded migration the database
// has not seen, each in its own transaction, and returns the names it
// applied. Concurrent callers wait for each other.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, translate(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrationLock); err != nil {
		return nil, translate(err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrationLock) //nolint:errcheck // the lock also ends with the connection
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, translate(err)
	}
	var applied []string
	for _, path := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(path, "migrations/"), ".sql")
		var seen int
		if err := conn.NewSelect().Table("schema_migrations").Where("name = ?", name).ColumnExpr("count(*)").Scan(ctx, &seen); err != nil {
			return applied, translate(err)
		}
		if seen > 0 {
			continue
		}
		body, err := migrationFiles.ReadFile(path)
		if err != nil {
			return applied, err
		}
		err = conn.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			// Bypass Bun's placeholder formatting: migrations are plain SQL.
			if _, err := tx.Tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (name) VALUES (?)", name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", name, translate(err))
		}
		applied = append(applied, name)
	}
	return applied, nil
}
