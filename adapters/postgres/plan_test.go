package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
	"github.com/secondbloom/marketplace/adapters/postgres/synth"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/ports"
)

// recorder is a bun query hook that keeps the SQL the repositories run.
type recorder struct {
	mu  sync.Mutex
	sql []string
}

func (r *recorder) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (r *recorder) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sql = append(r.sql, e.Query)
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sql
	r.sql = nil
	return out
}

// planNode is the part of EXPLAIN (FORMAT JSON) the check reads.
type planNode struct {
	Type     string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Index    string     `json:"Index Name"`
	Rows     float64    `json:"Plan Rows"`
	Plans    []planNode `json:"Plans"`
}

// bigSort is the estimated input above which a Sort node fails the check:
// a top-N sort of a few hundred rows (a seller's products, a narrow price
// band) is cheap at any catalogue size; sorting a filter's whole result
// is what grows with the catalogue.
const bigSort = 2000

// problems returns what is wrong with a plan: a sequential scan of
// products or orders, or a Sort of a big input. One sequential scan is
// bounded and allowed: right below the Limit of the capped count
// (exactCountUpTo+1 = 1,001 rows), where the planner expects to stop
// after a few hundred dense matches.
func problems(n planNode, out []string) []string {
	if n.Type == "Limit" && n.Rows <= 1001 && len(n.Plans) == 1 && n.Plans[0].Type == "Seq Scan" {
		n = n.Plans[0]
		n.Type = "Seq Scan below a count's cap"
	}
	switch {
	case n.Type == "Seq Scan" && (n.Relation == "products" || n.Relation == "orders"):
		out = append(out, fmt.Sprintf("Seq Scan on %s (%.0f rows)", n.Relation, n.Rows))
	case n.Type == "Sort" && len(n.Plans) > 0 && n.Plans[0].Rows > bigSort:
		out = append(out, fmt.Sprintf("Sort of %.0f rows", n.Plans[0].Rows))
	}
	for _, c := range n.Plans {
		out = problems(c, out)
	}
	return out
}

// indexes lists the indexes a plan uses, for the log.
func indexes(n planNode, out []string) []string {
	if n.Index != "" {
		out = append(out, n.Index)
	}
	for _, c := range n.Plans {
		out = indexes(c, out)
	}
	return out
}

// TestEveryListQueryUsesAnIndex seeds a catalogue with generate_series
// (tens of thousands of products and orders, ANALYZEd), runs every list
// query shape the store builds through the repositories, records the SQL
// they really ran, and checks each plan with EXPLAIN: no sequential scan
// of products or orders, no sort of a big input. Keyset (cursor) pages are
// among the shapes, deep ones included.
func TestEveryListQueryUsesAnIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 40,000 products")
	}
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	st, err := postgres.Open(dsn, postgres.Options{MaxOpenConns: 2, StatementTimeout: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := synth.Catalogue(ctx, st.DB().DB, synth.Options{Products: 40_000, Roots: 10, Sellers: 200, Orders: 20_000}); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	st.DB().AddQueryHook(rec)
	r := st.Repos()

	one := func(q string) string {
		var s string
		if err := st.DB().NewRaw(q).Scan(ctx, &s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return s
	}
	root := one("SELECT id::text FROM categories WHERE parent_id IS NULL ORDER BY slug LIMIT 1")
	leaf := one("SELECT id::text FROM categories WHERE parent_id IS NOT NULL ORDER BY slug LIMIT 1")
	seller := one("SELECT seller_id::text FROM products LIMIT 1")
	cond := one("SELECT id::text FROM conditions ORDER BY position LIMIT 1")
	size := one("SELECT id::text FROM sizes ORDER BY position LIMIT 1")
	city := one("SELECT id::text FROM cities ORDER BY position LIMIT 1")
	district := one("SELECT district_id::text FROM products WHERE district_id IS NOT NULL LIMIT 1")
	buyer := one("SELECT buyer_id::text FROM orders LIMIT 1")
	rec.take()

	active := []product.Status{product.StatusActive}
	price := func(v int64) *int64 { return &v }
	filters := map[string]ports.ProductFilter{
		"active":             {Statuses: active, ExcludeBlockedSellers: true},
		"root category":      {Statuses: active, ExcludeBlockedSellers: true, CategoryID: root},
		"leaf category":      {Statuses: active, ExcludeBlockedSellers: true, CategoryID: leaf},
		"seller":             {Statuses: active, SellerID: seller},
		"seller inventory":   {Statuses: []product.Status{product.StatusPending, product.StatusActive, product.StatusRejected, product.StatusArchived}, SellerID: seller},
		"wide price range":   {Statuses: active, ExcludeBlockedSellers: true, MinPrice: price(100_000), MaxPrice: price(4_000_000)},
		"narrow price range": {Statuses: active, ExcludeBlockedSellers: true, MinPrice: price(100_000), MaxPrice: price(110_000)},
		"min price":          {Statuses: active, ExcludeBlockedSellers: true, MinPrice: price(4_900_000)},
		"in stock":           {Statuses: active, ExcludeBlockedSellers: true, InStock: true},
		"condition":          {Statuses: active, ExcludeBlockedSellers: true, Class: product.Classification{ConditionID: cond}},
		"size":               {Statuses: active, ExcludeBlockedSellers: true, Class: product.Classification{SizeID: size}},
		"city":               {Statuses: active, ExcludeBlockedSellers: true, Class: product.Classification{CityID: city}},
		"district":           {Statuses: active, ExcludeBlockedSellers: true, Class: product.Classification{DistrictID: district}},
		"all four":           {Statuses: active, ExcludeBlockedSellers: true, Class: product.Classification{ConditionID: cond, SizeID: size, CityID: city}},
		"common word":        {Statuses: active, ExcludeBlockedSellers: true, Query: i18n.SearchWords("tulip")},
		"rare word":          {Statuses: active, ExcludeBlockedSellers: true, Query: i18n.SearchWords("rose 7")},
		"no such word":       {Statuses: active, ExcludeBlockedSellers: true, Query: i18n.SearchWords("orchid")},
		"moderation queue":   {Statuses: []product.Status{product.StatusPending}},
		"category in stock":  {Statuses: active, ExcludeBlockedSellers: true, CategoryID: root, InStock: true},
	}
	sorts := []ports.Sort{{Field: ports.SortCreatedAt, Desc: true}, {Field: ports.SortCreatedAt},
		{Field: ports.SortPrice}, {Field: ports.SortPrice, Desc: true}}

	type shape struct {
		name string
		sql  []string
	}
	var shapes []shape
	for name, f := range filters {
		for _, s := range sorts {
			label := fmt.Sprintf("products %s sort %s desc=%v", name, s.Field, s.Desc)
			_, l, err := r.Products.List(ctx, f, s, ports.Page{Number: 1, Limit: 20})
			if err != nil {
				t.Fatalf("%s: %v", label, err)
			}
			shapes = append(shapes, shape{label + " page 1", rec.take()})
			if l.Next == nil {
				continue
			}
			// Ten pages in by cursor: the same plan as the first.
			after := l.Next
			for range 10 {
				_, l, err = r.Products.List(ctx, f, s, ports.Page{Limit: 20, After: after})
				if err != nil || l.Next == nil {
					break
				}
				after = l.Next
			}
			rec.take()
			if _, _, err := r.Products.List(ctx, f, s, ports.Page{Limit: 20, After: after}); err != nil {
				t.Fatal(err)
			}
			shapes = append(shapes, shape{label + " cursor page 11", rec.take()})
		}
	}
	for _, f := range []ports.OrderFilter{{BuyerID: buyer}, {SellerID: seller}, {}, {SellerID: seller, Status: "PENDING"}} {
		for _, s := range []ports.Sort{{Field: ports.OrderSortCreatedAt, Desc: true}, {Field: ports.OrderSortUpdatedAt}, {Field: ports.OrderSortTotalPrice, Desc: true}} {
			label := fmt.Sprintf("orders %+v sort %s", f, s.Field)
			_, l, err := r.Orders.List(ctx, f, ports.Page{Number: 1, Limit: 20}, s)
			if err != nil {
				t.Fatal(err)
			}
			shapes = append(shapes, shape{label + " page 1", rec.take()})
			if l.Next != nil {
				if _, _, err := r.Orders.List(ctx, f, ports.Page{Limit: 20, After: l.Next}, s); err != nil {
					t.Fatal(err)
				}
				shapes = append(shapes, shape{label + " cursor", rec.take()})
			}
		}
	}

	// The three ways of a search (see searchProbe) give what an exact
	// query gives: a rare word's exact total and its newest matches, a
	// common word's page and an estimated total in the right range.
	for _, tc := range []struct {
		name, words string
		estimate    bool
	}{{"rare", "rose 7", false}, {"none", "orchid", false}, {"common", "tulip", true}} {
		f := filters["active"]
		f.Query = i18n.SearchWords(tc.words)
		got, l, err := r.Products.List(ctx, f, sorts[0], ports.Page{Number: 1, Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		var exact int
		var want []string
		q := "FROM products WHERE status = 'ACTIVE' AND NOT seller_blocked AND search @@ to_tsquery('simple', ?)"
		tsq := strings.Join(f.Query, ":* & ") + ":*"
		if err := st.DB().NewRaw("SELECT count(*) "+q, tsq).Scan(ctx, &exact); err != nil {
			t.Fatal(err)
		}
		if err := st.DB().NewRaw("SELECT id::text "+q+" ORDER BY created_at DESC, id DESC LIMIT 20", tsq).Scan(ctx, &want); err != nil {
			t.Fatal(err)
		}
		ids := make([]string, len(got))
		for i, p := range got {
			ids[i] = p.ID()
		}
		if strings.Join(ids, ",") != strings.Join(want, ",") {
			t.Errorf("search %s: page %v, want %v", tc.name, ids, want)
		}
		switch {
		case l.TotalIsEstimate != tc.estimate:
			t.Errorf("search %s: %+v, want estimate %v (exact %d)", tc.name, l, tc.estimate, exact)
		case !tc.estimate && l.Total != exact:
			t.Errorf("search %s: total %d, want %d", tc.name, l.Total, exact)
		case tc.estimate && (l.Total < exact/2 || l.Total > exact*2):
			t.Errorf("search %s: estimated %d, exact %d", tc.name, l.Total, exact)
		}
	}
	rec.take()

	checked := 0
	for _, sh := range shapes {
		for _, q := range sh.sql {
			if !strings.HasPrefix(q, "SELECT") && !strings.HasPrefix(q, "WITH") {
				continue
			}
			var raw string
			if err := st.DB().NewRaw("EXPLAIN (FORMAT JSON) "+q).Scan(ctx, &raw); err != nil {
				t.Fatalf("EXPLAIN %s: %v", q, err)
			}
			var plan []struct {
				Plan planNode `json:"Plan"`
			}
			if err := json.Unmarshal([]byte(raw), &plan); err != nil || len(plan) == 0 {
				t.Fatalf("reading the plan of %s: %v", q, err)
			}
			checked++
			if bad := problems(plan[0].Plan, nil); len(bad) > 0 {
				t.Errorf("%s:\n  %s\n  %s", sh.name, q, strings.Join(bad, "; "))
			} else if testing.Verbose() {
				t.Logf("%s: %v", sh.name, indexes(plan[0].Plan, nil))
			}
		}
	}
	if checked < 100 {
		t.Errorf("checked %d queries, want every list shape (at least 100)", checked)
	}
}
