// Package synth fills an empty database with a synthetic marketplace for
// load measurements and query-plan checks: sellers, a two-level category
// tree, N products (90 % ACTIVE, the rest PENDING; every tenth ACTIVE one
// out of stock; a district for the Tashkent-city ones) and orders between
// the sellers. Everything is inserted with set-based SQL (generate_series)
// on the server, so a million products take about a minute, and ANALYZEd.
package synth

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"time"
)

// Options sizes the catalogue.
type Options struct {
	Products int
	Roots    int // root categories; each gets 5 sub-categories
	Sellers  int
	Orders   int
	// Log, when set, reports each step.
	Log *log.Logger
}

// Catalogue seeds db, which must hold no products (it returns an error
// otherwise, so it never touches real data by accident).
func Catalogue(ctx context.Context, db *sql.DB, o Options) error {
	var existing int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM products").Scan(&existing); err != nil {
		return err
	}
	if existing > 0 {
		return fmt.Errorf("synth: the database already holds %d products; use an empty scratch database", existing)
	}
	start := time.Now()
	// One connection, so that the session settings below hold for every
	// statement: foreign-key triggers off for the bulk insert (the rows
	// reference what the statements before inserted), and more memory for
	// building indexes, which are dropped before the products go in and
	// built again after (several times faster than maintaining them row
	// by row).
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, set := range []string{"SET session_replication_role = replica", "SET maintenance_work_mem = '256MB'"} {
		if _, err := conn.ExecContext(ctx, set); err != nil {
			return fmt.Errorf("synth: %s: %w", set, err)
		}
	}
	defer conn.ExecContext(context.Background(), "RESET session_replication_role") //nolint:errcheck
	var indexes []string
	rows, err := conn.QueryContext(ctx, `SELECT indexname, indexdef FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename = 'products'
		AND indexname NOT IN (SELECT conname FROM pg_constraint)`)
	if err != nil {
		return err
	}
	var drops []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return err
		}
		drops, indexes = append(drops, `DROP INDEX "`+name+`"`), append(indexes, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	stmts := []struct {
		what string
		sql  string
		args []any
	}{
		{"sellers", `INSERT INTO users (id, phone, role, created_at, updated_at)
			SELECT gen_random_uuid(), '+99897' || lpad(i::text, 7, '0'), 'USER', now(), now()
			FROM generate_series(1, $1) i`, []any{o.Sellers}},
		{"root categories", `INSERT INTO categories (id, name, slug, position, is_active, created_at, updated_at)
			SELECT gen_random_uuid(), jsonb_build_object('uz', 'Bo‘lim ' || i, 'ru', 'Раздел ' || i, 'en', 'Root ' || i), 'root-' || i, i, true, now(), now()
			FROM generate_series(1, $1) i`, []any{o.Roots}},
		{"sub-categories", `INSERT INTO categories (id, name, slug, parent_id, position, is_active, created_at, updated_at)
			SELECT gen_random_uuid(), jsonb_build_object('en', (c.name ->> 'en') || ' / ' || j), c.slug || '-' || j, c.id, j, true, now(), now()
			FROM categories c, generate_series(1, 5) j WHERE c.parent_id IS NULL`, nil},
		{"dropped indexes", "", nil},
		{"products", `WITH cats AS (SELECT array_agg(id ORDER BY slug) a FROM categories),
			sel AS (SELECT array_agg(id ORDER BY phone) a FROM users WHERE phone LIKE '+99897%'),
			cond AS (SELECT array_agg(id ORDER BY position) a FROM conditions),
			size AS (SELECT array_agg(id ORDER BY position) a FROM sizes),
			city AS (SELECT array_agg(id ORDER BY position) a FROM cities),
			dist AS (SELECT array_agg(d.id ORDER BY d.position) a, min(c.id::text)::uuid tashkent
				FROM districts d JOIN cities c ON c.id = d.city_id AND c.code = 'tashkent-city')
			INSERT INTO products (id, slug, title, description, price, currency, quantity, category_id, seller_id,
				condition_id, size_id, city_id, district_id, status, images, created_at, updated_at)
			SELECT gen_random_uuid(), 'flower-lot-' || i,
				jsonb_build_object('en', 'Flower lot ' || i || CASE WHEN i % 7 = 0 THEN ' rose' ELSE ' tulip' END,
					'uz', 'Gul to‘plami ' || i || CASE WHEN i % 7 = 0 THEN ' atirgul' ELSE ' lola' END,
					'ru', 'Цветочный лот ' || i || CASE WHEN i % 7 = 0 THEN ' роза' ELSE ' тюльпан' END),
				'{"en": "Synthetic product for load tests."}'::jsonb, 1000 + (i::bigint * 7919) % 5000000, 'UZS', i % 11,
				cats.a[1 + (i * 31) % cardinality(cats.a)], sel.a[1 + i % cardinality(sel.a)],
				cond.a[1 + (i * 7) % cardinality(cond.a)], size.a[1 + (i * 13) % cardinality(size.a)],
				city.a[1 + (i * 17) % cardinality(city.a)],
				CASE WHEN city.a[1 + (i * 17) % cardinality(city.a)] = dist.tashkent THEN dist.a[1 + (i * 5) % cardinality(dist.a)] END,
				CASE WHEN i % 10 = 0 THEN 'PENDING' ELSE 'ACTIVE' END,
				'[{"url":"https://img.example/1.jpg","position":0}]'::jsonb,
				now() - make_interval(secs => i), now() - make_interval(secs => i)
			FROM cats, sel, cond, size, city, dist, generate_series(1, $1) i`, []any{o.Products}},
		{"indexes", "", nil},
		{"orders", `WITH p AS (SELECT array_agg(id) a, array_agg(seller_id) s, array_agg(price) pr
				FROM (SELECT id, seller_id, price FROM products WHERE status = 'ACTIVE' LIMIT 10000) x),
			sel AS (SELECT array_agg(id ORDER BY phone) a FROM users WHERE phone LIKE '+99897%')
			INSERT INTO orders (id, number, product_id, seller_id, buyer_id, quantity, unit_price, total_price, currency,
				status, payment_status, created_at, updated_at)
			SELECT gen_random_uuid(), 'SB-' || to_char(now(), 'YYYYMMDD') || '-' || translate(lpad(to_hex(i), 8, '0'), '0189abcdef', 'WXYZABCDEF'),
				p.a[k], p.s[k], b, 1, p.pr[k], p.pr[k], 'UZS', 'PENDING', 'PENDING',
				now() - make_interval(secs => i), now() - make_interval(secs => i)
			FROM p, sel, generate_series(1, $1) i,
				LATERAL (SELECT 1 + (i * 13) % cardinality(p.a) AS k) kk,
				LATERAL (SELECT sel.a[1 + (i * 7) % cardinality(sel.a)] AS b) bb
			WHERE b <> p.s[k]`, []any{o.Orders}},
		{"statistics", "VACUUM ANALYZE", nil},
	}
	for _, s := range stmts {
		var todo []string
		switch s.what {
		case "dropped indexes":
			todo = drops
		case "indexes":
			todo = indexes
		}
		for _, q := range todo {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("synth %s: %s: %w", s.what, q, err)
			}
		}
		if todo != nil {
			if o.Log != nil {
				o.Log.Printf("%s (%d) (%s)", s.what, len(todo), time.Since(start).Round(time.Millisecond))
			}
			continue
		}
		if _, err := conn.ExecContext(ctx, s.sql, s.args...); err != nil {
			return fmt.Errorf("synth %s: %w", s.what, err)
		}
		if o.Log != nil {
			o.Log.Printf("seeded %s (%s)", s.what, time.Since(start).Round(time.Millisecond))
		}
	}
	return nil
}
