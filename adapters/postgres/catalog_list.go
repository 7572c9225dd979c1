package postgres

import (
	"context"
	"database/sql"
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

func (r *categoryRepo) List(ctx context.Context, f ports.CategoryFilter, p ports.Page) ([]*category.Category, int, error) {
	var rows []categoryRow
	q := r.db.NewSelect().Model(&rows)
	if f.ActiveOnly {
		q = q.Where("is_active")
	}
	return scanPage(ctx, q.OrderExpr("position, coalesce(name ->> 'uz', name ->> 'ru', name ->> 'en'), id"), &rows, p, (*categoryRow).toDomain)
}

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

// sparseSearchBelow is the number of search matches under which a page is
// fetched through the search index rather than in page order.
const sparseSearchBelow = 2000

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

func (r *productRepo) List(ctx context.Context, f ports.ProductFilter, s ports.Sort, p ports.Page) ([]*product.Product, int, error) {
	var order []string
	dir := sortDirection(s.Desc)
	switch s.Field {
	case ports.SortCreatedAt:
		order = []string{"created_at" + dir, "id" + dir}
	case ports.SortPrice:
		order = []string{"price" + dir, "created_at" + dir, "id" + dir}
	default:
		return nil, 0, errUnknownSort
	}
	for _, id := range []string{f.CategoryID, f.SellerID, f.Class.ConditionID, f.Class.SizeID, f.Class.CityID, f.Class.DistrictID} {
		if id != "" && !domain.ValidID(id) {
			return []*product.Product{}, 0, nil
		}
	}
	var rows []productRow
	q := r.db.NewSelect().Model(&rows)
	if len(f.Statuses) > 0 {
		statuses := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			statuses[i] = string(st)
		}
		q = q.Where("status IN (?)", bun.List(statuses))
	}
	if f.ExcludeBlockedSellers {
		q = q.Where("NOT seller_blocked")
	}
	if f.CategoryID != "" {
		// The sub-tree is resolved first: with the ids as constants the
		// planner sees how selective the filter is and uses the
		// (category_id, ...) indexes for both the page and the count.
		var cats []string
		if err := r.db.NewRaw(`WITH RECURSIVE sub(id) AS (
			SELECT id FROM categories WHERE id = ?
			UNION SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id)
			SELECT id::text FROM sub`, f.CategoryID).Scan(ctx, &cats); err != nil {
			return nil, 0, translate(err)
		}
		if len(cats) == 0 {
			return []*product.Product{}, 0, nil
		}
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
	for col, id := range map[string]string{"condition_id": f.Class.ConditionID, "size_id": f.Class.SizeID,
		"city_id": f.Class.CityID, "district_id": f.Class.DistrictID} {
		if id != "" {
			q = q.Where("? = ?", bun.Ident(col), id)
		}
	}
	search := len(f.Query) > 0
	if search {
		q = q.Where("search @@ to_tsquery('simple', ?)", prefixQuery(f.Query))
	}
	if f.InStock {
		q = q.Where("quantity > 0")
	}
	q = q.Order(order...).Limit(p.Limit).Offset(p.Offset())
	key := fmt.Sprintf("%v|%v|%s|%s|%v|%v|%q|%v|%v", f.Statuses, f.ExcludeBlockedSellers, f.CategoryID, f.SellerID,
		deref64(f.MinPrice), deref64(f.MaxPrice), f.Query, f.InStock, f.Class)
	total, fresh := r.store.counts.get(key)
	var err error
	if search {
		// The planner cannot tell a rare word from a common one, and
		// walks products in page order testing each against the words,
		// which reads every product when none matches. Counting first
		// (through the search index) tells: a few matches are then
		// fetched by id, many are found quickly in page order.
		if !fresh {
			if total, err = q.Count(ctx); err != nil {
				return nil, 0, translate(err)
			}
			r.store.counts.put(key, total)
			fresh = true
		}
		if total < sparseSearchBelow {
			q = q.Where("id = ANY(ARRAY(SELECT id FROM products WHERE search @@ to_tsquery('simple', ?)))", prefixQuery(f.Query))
		}
	}
	if fresh {
		err = q.Scan(ctx)
	} else {
		total, err = q.ScanAndCount(ctx)
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, translate(err)
	}
	if !fresh {
		r.store.counts.put(key, total)
	}
	out := make([]*product.Product, 0, len(rows))
	for i := range rows {
		out = append(out, rows[i].toDomain())
	}
	return out, total, nil
}

func deref64(p *int64) any {
	if p == nil {
		return "-"
	}
	return *p
}

// Counting every match is the costly part of a list (a filter matching
// 90,000 products takes ~25 ms to count, against 0.2 ms for the page), so
// large totals are reused for a few seconds. Totals below
// exactCountBelow are always counted afresh, so small lists, the ones
// where a client can see the difference, stay exact.
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
	n  int
	at time.Time
}

func newCountCache() *countCache { return &countCache{m: map[string]countEntry{}} }

// get returns a large total counted less than countTTL ago.
func (c *countCache) get(key string) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || time.Since(e.at) > countTTL {
		return 0, false
	}
	return e.n, true
}

// put remembers a total worth remembering.
func (c *countCache) put(key string, n int) {
	if n < exactCountBelow {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCountEntries {
		// Filters are user input; forget them all rather than grow.
		c.m = map[string]countEntry{}
	}
	c.m[key] = countEntry{n: n, at: time.Now()}
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
