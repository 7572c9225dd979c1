package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/ports"
)

var _ ports.ProductUsage = (*productUsage)(nil)

type productUsage struct{ db bun.IDB }

func (u *productUsage) InUse(ctx context.Context, productID string) (bool, error) {
	if !domain.ValidID(productID) {
		return false, nil
	}
	var inUse bool
	err := u.db.NewRaw(`SELECT EXISTS (SELECT 1 FROM orders WHERE product_id = ? AND status NOT IN ('DELIVERED', 'CANCELLED'))`,
		productID).Scan(ctx, &inUse)
	return inUse, translate(err)
}

func (r *categoryRepo) List(ctx context.Context, f ports.CategoryFilter, p ports.Page) ([]*category.Category, ports.Listed, error) {
	var rows []categoryRow
	q := r.db.NewSelect().Model(&rows)
	if f.ActiveOnly {
		q = q.Where("is_active")
	}
	k := keyset{cols: []string{"position", categoryNameOrder, "id"},
		vals: func(at ports.Position) []any { return []any{at.Int, at.Text, at.ID} }}
	pos := func(r *categoryRow) ports.Position {
		return ports.Position{Int: int64(r.Position), Text: r.Name.toDomain().First(), ID: r.ID}
	}
	return scanPage(ctx, q, &rows, p, k, pos, (*categoryRow).toDomain)
}

// categoryNameOrder is the name categories are ordered by: the first of
// the uz, ru and en names, as i18n.Localized.First picks it.
const categoryNameOrder = "coalesce(name ->> 'uz', name ->> 'ru', name ->> 'en')"

func (r *categoryRepo) Update(ctx context.Context, id string, fn func(*category.Category) error) (*category.Category, error) {
	if !domain.ValidID(id) {
		return nil, category.ErrNotFound
	}
	load := func(ctx context.Context, tx bun.IDB) (*category.Category, error) {
		row := new(categoryRow)
		if err := selectOne(ctx, tx, row, category.ErrNotFound, true, "id = ?", id); err != nil {
			return nil, err
		}
		return row.toDomain(), nil
	}
	save := func(ctx context.Context, tx bun.IDB, c *category.Category) error {
		_, err := tx.NewUpdate().Model(categoryToRow(c)).WherePK().Exec(ctx)
		switch sqlState(err) {
		case uniqueViolation:
			return category.ErrSlugTaken
		case fkViolation:
			return category.ErrNotFound
		}
		return translate(err)
	}
	return updateLocked(ctx, r.db, load, fn, save)
}

func (r *categoryRepo) Delete(ctx context.Context, id string) error {
	if !domain.ValidID(id) {
		return category.ErrNotFound
	}
	res, err := r.db.NewDelete().Model((*categoryRow)(nil)).Where("id = ?", id).Exec(ctx)
	if sqlState(err) == fkViolation {
		return category.ErrInUse
	}
	if err != nil {
		return translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return category.ErrNotFound
	}
	return nil
}

// errUnknownSort is the validation error for a sort field List does not
// know.
var errUnknownSort = domain.Invalid("sort", "must be createdAt or price, optionally prefixed with -")

// likeEscaper escapes the LIKE wildcards of a user's search text.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// A search (?q=) is planned by a probe: the first searchProbe products of
// the list without the words, in the list's order, tested against the
// words. That costs the same at any catalogue size and tells which way
// is cheap. When the probe saw the whole list, its count is exact and the
// page is found in page order. When the words match at least
// denseSearchHits of the probe they are common: a page is found quickly in
// page order too, and the total is estimated from the probe's share (the
// search index would have to collect every match before counting, 100 ms
// and more for a word in most of a million titles). Otherwise the words
// are rare: the search index counts them (capped) and, below
// sparseSearchBelow matches, the page is fetched by their ids, because
// walking in page order could read every product before finding a page.
const (
	searchProbe       = 2000
	denseSearchHits   = 20
	sparseSearchBelow = 2000
)

// prefixQuery returns the tsquery text that requires every word as a word
// or a word prefix: "ozbek:* & atir:*". The words come from
// i18n.SearchWords, so they hold only letters and digits and need no
// quoting.
func prefixQuery(words []string) string {
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = w + ":*"
	}
	return strings.Join(parts, " & ")
}

func (r *productRepo) List(ctx context.Context, f ports.ProductFilter, s ports.Sort, p ports.Page) ([]*product.Product, ports.Listed, error) {
	none := []*product.Product{}
	var k keyset
	switch s.Field {
	case ports.SortCreatedAt:
		k = keyset{cols: []string{"created_at", "id"}, desc: s.Desc,
			vals: func(at ports.Position) []any { return []any{at.Time, at.ID} }}
	case ports.SortPrice:
		k = keyset{cols: []string{"price", "created_at", "id"}, desc: s.Desc,
			vals: func(at ports.Position) []any { return []any{at.Int, at.Time, at.ID} }}
	default:
		return nil, ports.Listed{}, errUnknownSort
	}
	for _, id := range []string{f.CategoryID, f.SellerID, f.Class.ConditionID, f.Class.SizeID, f.Class.CityID, f.Class.DistrictID} {
		if id != "" && !domain.ValidID(id) {
			return none, ports.Listed{}, nil
		}
	}
	var cats []string
	if f.CategoryID != "" {
		// The sub-tree is resolved first: with the ids as constants the
		// planner sees how selective the filter is and uses the
		// (category_id, ...) indexes for both the page and the count.
		if err := r.db.NewRaw(`WITH RECURSIVE sub(id) AS (
			SELECT id FROM categories WHERE id = ?
			UNION SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id)
			SELECT id::text FROM sub`, f.CategoryID).Scan(ctx, &cats); err != nil {
			return nil, ports.Listed{}, translate(err)
		}
		if len(cats) == 0 {
			return none, ports.Listed{}, nil
		}
	}
	filter := func(q *bun.SelectQuery) *bun.SelectQuery {
		return productFilter(q, f, cats)
	}
	key := fmt.Sprintf("%v|%v|%s|%s|%v|%v|%q|%v|%v", f.Statuses, f.ExcludeBlockedSellers, f.CategoryID, f.SellerID,
		deref64(f.MinPrice), deref64(f.MaxPrice), f.Query, f.InStock, f.Class)
	l, sparse, fresh := r.store.counts.get(key)
	if !fresh {
		var err error
		if len(f.Query) > 0 {
			l, sparse, err = r.searchCount(ctx, f, cats, k)
		} else {
			l, err = r.count(ctx, filter)
		}
		if err != nil {
			return nil, ports.Listed{}, err
		}
		r.store.counts.put(key, l, sparse)
	}
	var rows []productRow
	q := filter(r.db.NewSelect().Model(&rows))
	if len(f.Query) > 0 && !sparse {
		// Common words, or a short list: the page is found in page order.
		// The search condition is given again in a form the search index
		// cannot serve, so that the planner does not build a bitmap of
		// every match first (it cannot tell how common the words are).
		unsearched := f
		unsearched.Query = nil
		q = productFilter(r.db.NewSelect().Model(&rows), unsearched, cats).
			Where("coalesce(search @@ to_tsquery('simple', ?), false)", prefixQuery(f.Query))
	}
	if sparse {
		// The planner cannot tell a rare word from a common one, and
		// walks products in page order testing each against the words,
		// which reads every product when none matches: a few matches are
		// fetched by id instead.
		q = q.Where("id = ANY(ARRAY(SELECT id FROM products WHERE search @@ to_tsquery('simple', ?)))", prefixQuery(f.Query))
	}
	if err := k.apply(q, p).Scan(ctx); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, ports.Listed{}, translate(err)
	}
	l.Next = next(&rows, p, func(r *productRow) ports.Position {
		at := ports.Position{Time: r.CreatedAt, ID: r.ID}
		if s.Field == ports.SortPrice {
			at.Int = r.Price
		}
		return at
	})
	out := make([]*product.Product, 0, len(rows))
	for i := range rows {
		out = append(out, rows[i].toDomain())
	}
	return out, l, nil
}

// productFilter adds the conditions of f to q; cats is the resolved
// category sub-tree of f.CategoryID.
func productFilter(q *bun.SelectQuery, f ports.ProductFilter, cats []string) *bun.SelectQuery {
	if len(f.Statuses) > 0 {
		statuses := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			statuses[i] = string(st)
		}
		if len(statuses) == 1 {
			// "status = 'ACTIVE'" (not IN) is what the partial indexes'
			// predicate names, so the planner can prove it and use them.
			q = q.Where("status = ?", statuses[0])
		} else {
			q = q.Where("status IN (?)", bun.List(statuses))
		}
	}
	if f.ExcludeBlockedSellers {
		q = q.Where("NOT seller_blocked")
	}
	if len(cats) == 1 {
		q = q.Where("category_id = ?", cats[0])
	} else if len(cats) > 1 {
		q = q.Where("category_id IN (?)", bun.List(cats))
	}
	if f.SellerID != "" {
		q = q.Where("seller_id = ?", f.SellerID)
	}
	if f.MinPrice != nil {
		q = q.Where("price >= ?", *f.MinPrice)
	}
	if f.MaxPrice != nil {
		q = q.Where("price <= ?", *f.MaxPrice)
	}
	for _, c := range []struct{ col, id string }{{"condition_id", f.Class.ConditionID}, {"size_id", f.Class.SizeID},
		{"city_id", f.Class.CityID}, {"district_id", f.Class.DistrictID}} {
		if c.id != "" {
			q = q.Where("? = ?", bun.Ident(c.col), c.id)
		}
	}
	if len(f.Query) > 0 {
		q = q.Where("search @@ to_tsquery('simple', ?)", prefixQuery(f.Query))
	}
	if f.InStock {
		q = q.Where("quantity > 0")
	}
	return q
}

// Totals up to exactCountUpTo are counted exactly (a count over a LIMIT
// subquery, so it never reads more than that many index entries); above
// it the list reports the planner's estimate of the rows the filter
// matches (at least exactCountUpTo+1), flagged TotalIsEstimate. Counting
// a million matches exactly costs about as much as reading them, on every
// first page, and no client needs the exact size of such a result: 50
// pages of 20 are exact, beyond that "about 140,000" serves as well. At a
// million products a capped count of 1,000 is an index-only scan of a
// fraction of a millisecond; of 10,000 it took 7 ms.
const exactCountUpTo = 1000

// searchCount returns the total of a search and whether its page is to be
// fetched by the matches' ids (see searchProbe).
func (r *productRepo) searchCount(ctx context.Context, f ports.ProductFilter, cats []string, k keyset) (ports.Listed, bool, error) {
	words := f.Query
	f.Query = nil
	probe := productFilter(r.db.NewSelect().TableExpr("products").
		ColumnExpr("search @@ to_tsquery('simple', ?) AS hit", prefixQuery(words)), f, cats)
	for _, c := range k.cols {
		probe = probe.OrderExpr(c + sortDirection(k.desc))
	}
	var seen, hits int
	if err := r.db.NewSelect().TableExpr("(?) AS probe", probe.Limit(searchProbe)).
		ColumnExpr("count(*), count(*) FILTER (WHERE hit)").Scan(ctx, &seen, &hits); err != nil {
		return ports.Listed{}, false, translate(err)
	}
	switch {
	case seen < searchProbe:
		return ports.Listed{Total: hits}, false, nil
	case hits >= denseSearchHits:
		all, err := r.count(ctx, func(q *bun.SelectQuery) *bun.SelectQuery { return productFilter(q, f, cats) })
		if err != nil {
			return ports.Listed{}, false, err
		}
		share := int(float64(all.Total) * float64(hits) / float64(seen))
		return ports.Listed{Total: max(share, hits), TotalIsEstimate: true}, false, nil
	}
	f.Query = words
	l, err := r.count(ctx, func(q *bun.SelectQuery) *bun.SelectQuery { return productFilter(q, f, cats) })
	return l, err == nil && !l.TotalIsEstimate && l.Total < sparseSearchBelow, err
}

// count returns the total of the products filter matches, exact or
// estimated (see exactCountUpTo).
func (r *productRepo) count(ctx context.Context, filter func(*bun.SelectQuery) *bun.SelectQuery) (ports.Listed, error) {
	matches := func() *bun.SelectQuery {
		return filter(r.db.NewSelect().TableExpr("products").ColumnExpr("1"))
	}
	// No ORDER BY: the planner picks an index (bitmap) scan when the
	// matches are few, and a sequential scan that stops at the cap when
	// they are dense (a tenth of the table or more), which reads about
	// exactCountUpTo rows either way.
	var n int
	if err := r.db.NewSelect().TableExpr("(?) AS capped", matches().Limit(exactCountUpTo+1)).ColumnExpr("count(*)").
		Scan(ctx, &n); err != nil {
		return ports.Listed{}, translate(err)
	}
	if n <= exactCountUpTo {
		return ports.Listed{Total: n}, nil
	}
	var plan []byte
	if err := r.db.NewRaw("EXPLAIN (FORMAT JSON) ?", matches()).Scan(ctx, &plan); err != nil {
		return ports.Listed{}, translate(err)
	}
	var explained []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal(plan, &explained); err != nil || len(explained) == 0 {
		return ports.Listed{}, fmt.Errorf("postgres: reading a plan's row estimate: %w", err)
	}
	return ports.Listed{Total: max(int(explained[0].Plan.Rows), exactCountUpTo+1), TotalIsEstimate: true}, nil
}

func deref64(p *int64) any {
	if p == nil {
		return "-"
	}
	return *p
}

// Counting the matches is the costly part of a list (even capped, see
// exactCountUpTo, a search reads up to 1,000 rows and an estimate costs a
// planning round trip), so large totals are reused for a few seconds.
// Totals below exactCountBelow are always counted afresh, so small lists,
// the ones where a client can see the difference, stay exact.
const (
	exactCountBelow = 1000
	countTTL        = 5 * time.Second
	maxCountEntries = 10_000
)

// countCache remembers large list totals per filter.
type countCache struct {
	mu sync.Mutex
	m  map[string]countEntry
}

type countEntry struct {
	l      ports.Listed
	sparse bool // a search whose page is fetched by the matches' ids
	at     time.Time
}

func newCountCache() *countCache { return &countCache{m: map[string]countEntry{}} }

// get returns a large total counted less than countTTL ago, and for a
// search whether its page is fetched by the matches' ids.
func (c *countCache) get(key string) (ports.Listed, bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || time.Since(e.at) > countTTL {
		return ports.Listed{}, false, false
	}
	return e.l, e.sparse, true
}

// put remembers a total worth remembering.
func (c *countCache) put(key string, l ports.Listed, sparse bool) {
	if l.Total < exactCountBelow {
		return
	}
	l.Next = nil
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCountEntries {
		// Filters are user input; forget them all rather than grow.
		c.m = map[string]countEntry{}
	}
	c.m[key] = countEntry{l: l, sparse: sparse, at: time.Now()}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// ForgetCounts drops the remembered list totals, so that the next list of
// every filter counts afresh: for measurements of uncached lists.
func (s *Store) ForgetCounts() {
	s.counts.mu.Lock()
	defer s.counts.mu.Unlock()
	s.counts.m = map[string]countEntry{}
}
