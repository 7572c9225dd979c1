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
	"log"
	"os"
	"time"

	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/adapters/postgres/synth"
)

func main() {
	dsn := flag.String("dsn", os.Getenv("DATABASE_URL"), "Postgres DSN (default $DATABASE_URL)")
	n := flag.Int("products", 100_000, "products to add")
	roots := flag.Int("roots", 10, "root categories; each gets 5 sub-categories")
	sellers := flag.Int("sellers", 200, "sellers")
	orders := flag.Int("orders", 0, "orders between the sellers")
	flag.Parse()
	if err := run(*dsn, *n, *roots, *sellers, *orders); err != nil {
		log.Fatal(err)
	}
}

func run(dsn string, n, roots, sellers, orders int) error {
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
	return synth.Catalogue(ctx, st.DB().DB, synth.Options{Products: n, Roots: roots, Sellers: sellers, Orders: orders,
		Log: log.Default()})
}
