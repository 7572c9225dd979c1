package backup

import (
	"context"
	"errors"
	"fmt"
)

// ErrRealTables is returned by Seed when the database already has a
// products or orders table: Seed only builds synthetic ones.
var ErrRealTables = errors.New("seed: the database already has products or orders; seed only creates synthetic tables in a database without them")

// Seed creates synthetic products and orders tables shaped like the
// marketplace's (uuid keys, money as bigint minor units, quantity with a
// CHECK, orders referencing products) and fills them with the given
// number of rows, for measuring backup and restore times. It refuses a
// database that already has either table.
func Seed(ctx context.Context, dsn string, products, orders int) error {
	if products < 1 && orders > 0 {
		return errors.New("seed: orders need at least one product")
	}
	db := openDB(dsn)
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('public.products') IS NOT NULL OR to_regclass('public.orders') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if exists {
		return ErrRealTables
	}
	stmts := []string{
		`CREATE TABLE products (
			id uuid PRIMARY KEY,
			seller_id uuid NOT NULL,
			slug text NOT NULL UNIQUE,
			title text NOT NULL,
			description text NOT NULL,
			price bigint NOT NULL CHECK (price >= 0),
			currency text NOT NULL DEFAULT 'UZS',
			quantity integer NOT NULL CHECK (quantity >= 0),
			status text NOT NULL,
			created_at timestamptz NOT NULL,
			updated_at timestamptz NOT NULL)`,
		`CREATE TABLE orders (
			id uuid PRIMARY KEY,
			number bigint NOT NULL UNIQUE,
			product_id uuid NOT NULL REFERENCES products (id),
			buyer_id uuid NOT NULL,
			quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
			unit_price bigint NOT NULL,
			total_price bigint NOT NULL,
			currency text NOT NULL DEFAULT 'UZS',
			status text NOT NULL,
			shipping_address text NOT NULL DEFAULT '',
			created_at timestamptz NOT NULL,
			updated_at timestamptz NOT NULL)`,
		`CREATE INDEX orders_product_id_idx ON orders (product_id)`,
		fmt.Sprintf(`INSERT INTO products
			SELECT gen_random_uuid(), gen_random_uuid(), 'rose-bouquet-' || g, 'Rose bouquet ' || g,
			       repeat('Fresh second-hand roses, barely wilted. ', 3), 10000 + (g %% 500) * 100, 'UZS',
			       g %% 20, 'ACTIVE', now() - (g || ' seconds')::interval, now()
			FROM generate_series(1, %d) AS g`, products),
		fmt.Sprintf(`INSERT INTO orders
			SELECT gen_random_uuid(), g, p.id, gen_random_uuid(), 1 + g %% 3, p.price, p.price * (1 + g %% 3), 'UZS',
			       'PENDING', 'Tashkent, Amir Temur 1', now(), now()
			FROM generate_series(1, %d) AS g
			JOIN (SELECT id, price, row_number() OVER (ORDER BY id) AS rn FROM products) p ON p.rn = 1 + g %% %d`, orders, max(products, 1)),
		`ANALYZE products`,
		`ANALYZE orders`,
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	for _, s := range stmts[:len(stmts)-2] {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	for _, s := range stmts[len(stmts)-2:] {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	return nil
}
