// Command listbench measures the product list queries of the Postgres
// store at two catalogue sizes. For each size it creates a scratch
// database, seeds it server-side with generate_series (adapters/postgres/
// synth), then runs every list shape (a distinct filter, sort or depth)
// through the repository, uncached (the store's count memory is cleared
// before each run), and prints the p50 of each shape at both sizes and
// their ratio. The scratch databases are dropped at the end unless -keep.
//
//	go run ./cmd/listbench -dsn postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable -sizes 10000,1000000
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/adapters/postgres/synth"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/ports"
)

func main() {
	dsn := flag.String("dsn", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "a database on the server, used to create the scratch databases")
	sizes := flag.String("sizes", "10000,1000000", "catalogue sizes (products), comma-separated")
	runs := flag.Int("runs", 31, "timed runs per shape (after 3 warm-up runs)")
	keep := flag.Bool("keep", false, "keep the scratch databases")
	reuse := flag.Bool("reuse", false, "measure a scratch database kept by an earlier -keep run instead of seeding it again")
	flag.Parse()
	var ns []int
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1000 {
			log.Fatalf("listbench: bad size %q", s)
		}
		ns = append(ns, n)
	}
	results := map[int]map[string]time.Duration{}
	var names []string
	for _, n := range ns {
		r, order, err := measure(*dsn, n, *runs, *keep, *reuse)
		if err != nil {
			log.Fatal(err)
		}
		results[n], names = r, order
	}
	fmt.Printf("\n| list query (uncached) |")
	for _, n := range ns {
		fmt.Printf(" p50 at %d |", n)
	}
	fmt.Printf(" ratio |\n|---|")
	for range ns {
		fmt.Printf("---|")
	}
	fmt.Println("---|")
	for _, name := range names {
		fmt.Printf("| %s |", name)
		for _, n := range ns {
			fmt.Printf(" %.2f ms |", float64(results[n][name].Microseconds())/1000)
		}
		first, last := results[ns[0]][name], results[ns[len(ns)-1]][name]
		fmt.Printf(" %.2f |\n", float64(last)/float64(max(first, 1)))
	}
}

// measure seeds a scratch database of n products and times every shape.
func measure(adminDSN string, n, runs int, keep, reuse bool) (map[string]time.Duration, []string, error) {
	ctx := context.Background()
	admin := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(adminDSN)))
	defer admin.Close()
	name := fmt.Sprintf("sb_listbench_%d", n)
	var exists bool
	if err := admin.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return nil, nil, err
	}
	seed := !reuse || !exists
	if seed {
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			return nil, nil, err
		}
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			return nil, nil, err
		}
	}
	if !keep {
		defer admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") //nolint:errcheck
	}
	u, err := url.Parse(adminDSN)
	if err != nil {
		return nil, nil, err
	}
	u.Path = "/" + name
	st, err := postgres.Open(u.String(), postgres.Options{MaxOpenConns: 2, StatementTimeout: 20 * time.Minute})
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return nil, nil, err
	}
	if seed {
		start := time.Now()
		if err := synth.Catalogue(ctx, st.DB().DB, synth.Options{Products: n, Roots: 10, Sellers: max(200, n/1000), Orders: n / 10}); err != nil {
			return nil, nil, err
		}
		log.Printf("seeded %d products in %s", n, time.Since(start).Round(time.Second))
	}

	one := func(q string) string {
		var s string
		if err := st.DB().QueryRowContext(ctx, q).Scan(&s); err != nil {
			log.Fatalf("%s: %v", q, err)
		}
		return s
	}
	root := one("SELECT id::text FROM categories WHERE parent_id IS NULL ORDER BY slug LIMIT 1")
	leaf := one("SELECT id::text FROM categories WHERE parent_id IS NOT NULL ORDER BY slug LIMIT 1")
	seller := one("SELECT seller_id::text FROM products ORDER BY id LIMIT 1")
	cond := one("SELECT id::text FROM conditions ORDER BY position LIMIT 1")
	district := one("SELECT district_id::text FROM products WHERE district_id IS NOT NULL LIMIT 1")
	active := []product.Status{product.StatusActive}
	price := func(v int64) *int64 { return &v }
	newest := ports.Sort{Field: ports.SortCreatedAt, Desc: true}
	cheapest := ports.Sort{Field: ports.SortPrice}
	pub := func(f ports.ProductFilter) ports.ProductFilter {
		f.Statuses, f.ExcludeBlockedSellers = active, true
		return f
	}
	type shape struct {
		name  string
		f     ports.ProductFilter
		s     ports.Sort
		depth int // cursor pages before the measured one
	}
	shapes := []shape{
		{"newest (default)", pub(ports.ProductFilter{}), newest, 0},
		{"newest, cursor page 50", pub(ports.ProductFilter{}), newest, 49},
		{"cheapest", pub(ports.ProductFilter{}), cheapest, 0},
		{"cheapest, cursor page 50", pub(ports.ProductFilter{}), cheapest, 49},
		{"categoryId (root, 6 categories)", pub(ports.ProductFilter{CategoryID: root}), newest, 0},
		{"categoryId (leaf)", pub(ports.ProductFilter{CategoryID: leaf}), newest, 0},
		{"categoryId (leaf), by price", pub(ports.ProductFilter{CategoryID: leaf}), cheapest, 0},
		{"sellerId", pub(ports.ProductFilter{SellerID: seller}), newest, 0},
		{"sellerId, the seller's inventory (every status)", ports.ProductFilter{SellerID: seller}, newest, 0},
		{"minPrice..maxPrice (2 %)", pub(ports.ProductFilter{MinPrice: price(1_000_000), MaxPrice: price(1_100_000)}), newest, 0},
		{"minPrice..maxPrice (60 %), by price", pub(ports.ProductFilter{MinPrice: price(1_000_000), MaxPrice: price(4_000_000)}), cheapest, 0},
		{"inStock", pub(ports.ProductFilter{InStock: true}), newest, 0},
		{"conditionId", pub(ports.ProductFilter{Class: product.Classification{ConditionID: cond}}), newest, 0},
		{"districtId", pub(ports.ProductFilter{Class: product.Classification{DistrictID: district}}), newest, 0},
		{"q (common word)", pub(ports.ProductFilter{Query: i18n.SearchWords("tulip")}), newest, 0},
		{"q (rare word)", pub(ports.ProductFilter{Query: i18n.SearchWords("rose 77")}), newest, 0},
		{"q (no match)", pub(ports.ProductFilter{Query: i18n.SearchWords("orchid")}), newest, 0},
		{"q (common word) in a leaf category", pub(ports.ProductFilter{Query: i18n.SearchWords("tulip"), CategoryID: leaf}), newest, 0},
		{"moderation queue (PENDING, oldest first)", ports.ProductFilter{Statuses: []product.Status{product.StatusPending}}, ports.Sort{Field: ports.SortCreatedAt}, 0},
	}
	out := map[string]time.Duration{}
	var names []string
	r := st.Repos()
	for _, sh := range shapes {
		page := ports.Page{Number: 1, Limit: 20}
		for range sh.depth {
			_, l, err := r.Products.List(ctx, sh.f, sh.s, page)
			if err != nil {
				return nil, nil, err
			}
			if l.Next == nil {
				break
			}
			page = ports.Page{Limit: 20, After: l.Next}
		}
		var times []time.Duration
		for i := range runs + 3 {
			st.ForgetCounts()
			t := time.Now()
			if _, _, err := r.Products.List(ctx, sh.f, sh.s, page); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", sh.name, err)
			}
			if i >= 3 {
				times = append(times, time.Since(t))
			}
		}
		slices.Sort(times)
		out[sh.name] = times[len(times)/2]
		names = append(names, sh.name)
		fmt.Fprintf(os.Stderr, "%d products: %-45s p50 %s\n", n, sh.name, out[sh.name])
	}
	return out, names, nil
}
