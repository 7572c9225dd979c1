// Command seed fills a database with a synthetic catalogue for load
// measurements: sellers, a two-level category tree and N products (90 %
// ACTIVE), inserted with set-based SQL so 100,000 rows take seconds. It
// refuses a database that already holds products, so it never touches
// real data by accident.
//
//	go run ./cmd/seed -dsn postgres://postgres@127.0.0.1:5432/sb_load?sslmode=disable -products 100000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/secondbloom/marketplace/adapters/postgres"
)

func main() {
	dsn := flag.String("dsn", os.Getenv("DATABASE_URL"), "Postgres DSN (default $DATABASE_URL)")
	n := flag.Int("products", 100_000, "products to add")
	roots := flag.Int("roots", 10, "root categories; each gets 5 sub-categories")
	sellers := flag.Int("sellers", 200, "sellers")
	flag.Parse()
	if err := run(*dsn, *n, *roots, *sellers); err != nil {
		log.Fatal(err)
	}
}

func run(dsn string, n, roots, sellers int) error {
	if dsn == "" {
		return errors.New("seed: -dsn or DATABASE_URL is required")
	}
	ctx := context.Background()
	st, err := postgres.Open(dsn, postgres.Options{MaxOpenConns: 2, StatementTimeout: 10 * time.Minute})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	db := st.DB()
	var existing int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM products").Scan(&existing); err != nil {
		return err
	}
	if existing > 0 {
		return fmt.Errorf("seed: the database already holds %d products; use an empty scratch database", existing)
	}
	start := time.Now()
	stmts := []struct {
		what string
		sql  string
		args []any
	}{
		{"sellers", `INSERT INTO users (id, phone, role, created_at, updated_at)
			SELECT gen_random_uuid(), '+99897' || lpad(i::text, 7, '0'), 'USER', now(), now()
			FROM generate_series(1, ?) i`, []any{sellers}},
		{"root categories", `INSERT INTO categories (id, name, slug, position, is_active, created_at, updated_at)
			SELECT gen_random_uuid(), jsonb_build_object('uz', 'Bo‘lim ' || i, 'ru', 'Раздел ' || i, 'en', 'Root ' || i), 'root-' || i, i, true, now(), now()
			FROM generate_series(1, ?) i`, []any{roots}},
		{"sub-categories", `INSERT INTO categories (id, name, slug, parent_id, position, is_active, created_at, updated_at)
			SELECT gen_random_uuid(), jsonb_build_object('en', (c.name ->> 'en') || ' / ' || j), c.slug || '-' || j, c.id, j, true, now(), now()
			FROM categories c, generate_series(1, 5) j WHERE c.parent_id IS NULL`, nil},
		{"products", `WITH cats AS (SELECT array_agg(id ORDER BY slug) a FROM categories),
			sel AS (SELECT array_agg(id ORDER BY phone) a FROM users WHERE phone LIKE '+99897%'),
			cond AS (SELECT array_agg(id ORDER BY position) a FROM conditions),
			size AS (SELECT array_agg(id ORDER BY position) a FROM sizes),
			city AS (SELECT array_agg(id ORDER BY position) a FROM cities)
			INSERT INTO products (id, slug, title, description, price, currency, quantity, category_id, seller_id,
				condition_id, size_id, city_id, status, images, created_at, updated_at)
			SELECT gen_random_uuid(), 'flower-lot-' || i,
				jsonb_build_object('en', 'Flower lot ' || i || CASE WHEN i % 7 = 0 THEN ' rose' ELSE ' tulip' END,
					'uz', 'Gul to‘plami ' || i || CASE WHEN i % 7 = 0 THEN ' atirgul' ELSE ' lola' END,
					'ru', 'Цветочный лот ' || i || CASE WHEN i % 7 = 0 THEN ' роза' ELSE ' тюльпан' END),
				'{"en": "Synthetic product for load tests."}'::jsonb, 1000 + (i * 7919) % 5000000, 'UZS', i % 11,
				cats.a[1 + (i * 31) % cardinality(cats.a)], sel.a[1 + i % cardinality(sel.a)],
				cond.a[1 + (i * 7) % cardinality(cond.a)], size.a[1 + (i * 13) % cardinality(size.a)],
				city.a[1 + (i * 17) % cardinality(city.a)],
				CASE WHEN i % 10 = 0 THEN 'PENDING' ELSE 'ACTIVE' END,
				'[{"url":"https://img.example/1.jpg","position":0}]'::jsonb,
				now() - make_interval(secs => i), now() - make_interval(secs => i)
			FROM cats, sel, cond, size, city, generate_series(1, ?) i`, []any{n}},
		{"statistics", "VACUUM ANALYZE", nil},
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s.sql, s.args...); err != nil {
			return fmt.Errorf("seed %s: %w", s.what, err)
		}
		log.Printf("seeded %s (%s)", s.what, time.Since(start).Round(time.Millisecond))
	}
	return nil
}
