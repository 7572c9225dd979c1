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
	"github.com/secondbloom/marketplace/domain/user"
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
	Removed  float64    `json:"Rows Removed by Filter"`
	Actual   float64    `json:"Actual Rows"`
	Plans    []planNode `json:"Plans"`
}

// bigSort is the estimated input above which a Sort node fails the check:
// a top-N sort of a few hundred rows (a seller's products, a narrow price
// band) is cheap at any catalogue size; sorting a filter's whole result
// is what grows with the catalogue.
const bigSort = 2000

// problems returns what is wrong with a plan: a sequential scan of
// products, orders, users or the audit log, or a Sort of a big input. One sequential scan is
// bounded and allowed: right below the Limit of the capped count
// (exactCountUpTo+1 = 1,001 rows), where the planner expects to stop
// after a few hundred dense matches.
func problems(n planNode, out []string) []string {
	if n.Type == "Limit" && n.Rows <= 1001 && len(n.Plans) == 1 && n.Plans[0].Type == "Seq Scan" {
		n = n.Plans[0]
		n.Type = "Seq Scan below a count's cap"
	}
	switch {
	case n.Type == "Seq Scan" && (n.Relation == "products" || n.Relation == "orders" || n.Relation == "users" || n.Relation == "audit_log"):
		out = append(out, fmt.Sprintf("Seq Scan on %s (%.0f rows)", n.Relation, n.Rows))
	case n.Type == "Sort" && len(n.Plans) > 0 && n.Plans[0].Rows > bigSort:
		out = append(out, fmt.Sprintf("Sort of %.0f rows", n.Plans[0].Rows))
	}
	for _, c := range n.Plans {
		out = problems(c, out)
	}
	return out
}

// outOfOrder returns what a page query of a newest-first list does beyond
// reading its page from an index in order, from EXPLAIN ANALYZE: a sort
// of more than maxFiltered rows (the last few rows of a short list may
// well be sorted), and an index walk whose filter threw away more than
// maxFiltered rows.
func outOfOrder(out []string, n planNode) []string {
	switch {
	case (n.Type == "Sort" || n.Type == "Incremental Sort") && len(n.Plans) > 0 && n.Plans[0].Actual > maxFiltered:
		out = append(out, fmt.Sprintf("%s of %.0f rows", n.Type, n.Plans[0].Actual))
	case n.Removed > maxFiltered:
		out = append(out, fmt.Sprintf("%s on %s filtered away %.0f rows", n.Type, n.Index, n.Removed))
	}
	for _, c := range n.Plans {
		out = outOfOrder(out, c)
	}
	return out
}

// maxFiltered is ten pages of 20: a filter the index does not serve may
// skip that many rows for a page.
const maxFiltered = 200

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
	// Back office: 30,000 users (one in ten a moderator, one in a hundred
	// an admin, one in twenty blocked) and 30,000 audit entries (50
	// actors, 1,000 targets, three actions), three to a second.
	for _, q := range []string{
		`INSERT INTO users (id, phone, role, status, created_at, updated_at)
			SELECT gen_random_uuid(), '+99896' || lpad(i::text, 7, '0'),
				CASE WHEN i % 100 = 0 THEN 'ADMIN' WHEN i % 10 = 0 THEN 'MODERATOR' ELSE 'USER' END,
				CASE WHEN i % 20 = 0 THEN 'BLOCKED' ELSE 'ACTIVE' END,
				now() - (i / 3) * interval '1 second', now()
			FROM generate_series(1, 30000) i`,
		`INSERT INTO audit_log (id, actor_id, action, target_type, target_id, details, created_at)
			SELECT gen_random_uuid(), md5('actor' || i % 50)::uuid, (ARRAY['user.role', 'user.status', 'product.approve'])[i % 3 + 1],
				'USER', md5('target' || i % 1000)::uuid::text, '{}', now() - (i / 3) * interval '1 second'
			FROM generate_series(1, 30000) i`,
		"ANALYZE users, audit_log",
	} {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
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
	actor := one("SELECT actor_id::text FROM audit_log LIMIT 1")
	target := one("SELECT target_id FROM audit_log LIMIT 1")
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
	// Users and the audit log: their pages, the first and one up to ten
	// pages in by cursor. Their totals are exact by design (a count of
	// every match), so only the page queries (ORDER BY) are checked, and
	// more strictly, by EXPLAIN ANALYZE (see outOfOrder): a walk of the
	// newest-first index that filters away most rows (an admin among
	// thousands of users) is no Seq Scan, yet costs what one does.
	var inOrder []shape
	pages := func(sql []string) []string {
		var out []string
		for _, q := range sql {
			if strings.Contains(q, "ORDER BY") {
				out = append(out, q)
			}
		}
		return out
	}
	deep := func(label string, list func(p ports.Page) (ports.Listed, error)) {
		l, err := list(ports.Page{Number: 1, Limit: 20})
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		inOrder = append(inOrder, shape{label + " page 1", pages(rec.take())})
		if l.Next == nil {
			t.Fatalf("%s: a single page", label)
		}
		after := l.Next
		for range 10 {
			if l, err = list(ports.Page{Limit: 20, After: after}); err != nil {
				t.Fatal(err)
			}
			if l.Next == nil {
				break
			}
			after = l.Next
		}
		rec.take()
		if _, err := list(ports.Page{Limit: 20, After: after}); err != nil {
			t.Fatal(err)
		}
		inOrder = append(inOrder, shape{label + " cursor", pages(rec.take())})
	}
	for _, f := range []ports.UserFilter{{}, {Role: user.RoleAdmin}, {Role: user.RoleModerator}, {Role: user.RoleUser},
		{Status: user.StatusBlocked}, {Status: user.StatusActive}, {Role: user.RoleModerator, Status: user.StatusBlocked}} {
		deep(fmt.Sprintf("users %+v", f), func(p ports.Page) (ports.Listed, error) {
			_, l, err := r.Users.List(ctx, f, p)
			return l, err
		})
	}
	for _, f := range []ports.AuditFilter{{}, {ActorID: actor}, {TargetID: target}, {Action: "user.status"}, {ActorID: actor, Action: "user.role"}} {
		deep(fmt.Sprintf("audit log %+v", f), func(p ports.Page) (ports.Listed, error) {
			_, l, err := r.Audit.List(ctx, f, p)
			return l, err
		})
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
	for _, sh := range inOrder {
		for _, q := range sh.sql {
			var raw string
			if err := st.DB().NewRaw("EXPLAIN (ANALYZE, FORMAT JSON) "+q).Scan(ctx, &raw); err != nil {
				t.Fatalf("EXPLAIN ANALYZE %s: %v", q, err)
			}
			var plan []struct {
				Plan planNode `json:"Plan"`
			}
			if err := json.Unmarshal([]byte(raw), &plan); err != nil || len(plan) == 0 {
				t.Fatalf("reading the plan of %s: %v", q, err)
			}
			checked++
			if bad := outOfOrder(problems(plan[0].Plan, nil), plan[0].Plan); len(bad) > 0 {
				t.Errorf("%s:\n  %s\n  %s", sh.name, q, strings.Join(bad, "; "))
			} else if testing.Verbose() {
				t.Logf("%s: %v", sh.name, indexes(plan[0].Plan, nil))
			}
		}
	}
	if len(inOrder) < 20 {
		t.Errorf("checked %d user and audit log shapes, want 24", len(inOrder))
	}
	if checked < 100 {
		t.Errorf("checked %d queries, want every list shape (at least 100)", checked)
	}
}
