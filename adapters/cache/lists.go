package cache

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/secondbloom/marketplace/domain/event"
)

// The families of list pages. A committed event bumps the generation of
// every family whose pages it may change (see Observe), which drops the
// family's pages at once.
const (
	// FamilyProducts: the public product list. Its pages show products'
	// fields and stock and filter by category sub-tree and seller status.
	FamilyProducts = "products"
	// FamilyCategories: the category list.
	FamilyCategories = "categories"
	// FamilyReference: the reference lists (conditions, sizes, cities,
	// districts).
	FamilyReference = "reference"
)

// Defaults of ListOptions.
const (
	// DefaultListTTL bounds how long a page lives when no event reaches
	// it: a last resort, like the product cache's TTL.
	DefaultListTTL = 5 * time.Minute
	// DefaultListSettle is how long after a write the store may still
	// answer with a total counted before it. The Postgres store reuses
	// totals of 1,000 and more for 5 s (adapters/postgres, countTTL), so a
	// page rendered within that time of a write is kept only until the
	// settle time has passed: totals become exact at the same moment as
	// they would without this cache.
	DefaultListSettle = 5 * time.Second
	// listEntryOverhead is what one page costs beyond its key and body
	// (map slot, struct, slice headers), for the memory bound.
	listEntryOverhead = 128
)

// ListOptions tune a list cache.
type ListOptions struct {
	// SizeMB bounds the bytes of the pages kept (keys and bodies); 0
	// means 16.
	SizeMB int
	// TTL and Settle: see DefaultListTTL and DefaultListSettle; 0 means
	// the default, a negative Settle none.
	TTL    time.Duration
	Settle time.Duration
	// Counter receives hits and misses; nil counts nothing.
	Counter Counter
	// Now defaults to time.Now.
	Now func() time.Time
}

// Lists keeps rendered list pages (the exact response bytes) in memory,
// per family, under a generation number. Its contract, which the HTTP
// adapter relies on:
//
//   - Generation is read before the store is queried, and Put stores the
//     page only if the family's generation is still that number; bumping
//     the generation and storing are ordered by one lock. So a read that
//     raced with a write never leaves its (possibly old) page behind: the
//     write's event bumps the generation, after which the page is refused
//     or, if it was stored just before, dropped with the rest.
//   - Observe is a subscriber of the committed events of this instance
//     (before the write returns) and of other instances (as they are
//     heard), so a write is visible at once here and as soon as it is
//     heard elsewhere.
//   - The bytes of all pages together stay under SizeMB; when a page would
//     exceed it, others are dropped first.
//
// Pages returned by Get are shared and must not be modified.
type Lists struct {
	mu       sync.RWMutex
	families map[string]*family
	bytes    int
	max      int
	ttl      time.Duration
	settle   time.Duration
	counter  Counter
	now      func() time.Time
	hits     atomic.Int64
}

type family struct {
	gen     uint64
	bumped  time.Time
	entries map[string]listEntry
	bytes   int
}

type listEntry struct {
	body        []byte
	contentType string
	expires     time.Time
}

// NewLists returns an empty list cache.
func NewLists(opt ListOptions) *Lists {
	if opt.SizeMB <= 0 {
		opt.SizeMB = 16
	}
	if opt.TTL <= 0 {
		opt.TTL = DefaultListTTL
	}
	if opt.Settle == 0 {
		opt.Settle = DefaultListSettle
	}
	if opt.Counter == nil {
		opt.Counter = nopCounter{}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	l := &Lists{families: map[string]*family{}, max: opt.SizeMB << 20, ttl: opt.TTL, settle: opt.Settle,
		counter: opt.Counter, now: opt.Now}
	for _, name := range []string{FamilyProducts, FamilyCategories, FamilyReference} {
		l.families[name] = &family{entries: map[string]listEntry{}}
	}
	return l
}

// Generation returns the current generation of the family; read it before
// querying the store and hand it to Put. An unknown family is 0 forever,
// and Put refuses its pages.
func (l *Lists) Generation(name string) uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if f, ok := l.families[name]; ok {
		return f.gen
	}
	return 0
}

// Get returns the page stored under key in the family's current
// generation, with its content type, counting a hit or a miss.
func (l *Lists) Get(name, key string) (body []byte, contentType string, ok bool) {
	now := l.now()
	l.mu.RLock()
	var e listEntry
	if f, found := l.families[name]; found {
		e, ok = f.entries[key]
	}
	l.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		l.counter.Miss()
		return nil, "", false
	}
	l.counter.Hit()
	l.hits.Add(1)
	return e.body, e.contentType, true
}

// Put stores body under key if the family is still at generation gen. It
// keeps body, which the caller must not modify afterwards. A page larger
// than the whole budget is not kept.
func (l *Lists) Put(name string, gen uint64, key string, body []byte, contentType string) {
	size := len(key) + len(body) + len(contentType) + listEntryOverhead
	if size > l.max {
		return
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.families[name]
	if !ok || f.gen != gen {
		return
	}
	expires := now.Add(l.ttl)
	if l.settle > 0 && now.Sub(f.bumped) < l.settle {
		expires = f.bumped.Add(l.settle)
	}
	if old, ok := f.entries[key]; ok {
		f.forget(l, key, old)
	}
	for l.bytes+size > l.max && l.dropOne() {
	}
	f.entries[key] = listEntry{body: body, contentType: contentType, expires: expires}
	f.bytes += size
	l.bytes += size
}

// dropOne forgets one page and reports whether there was any. Map order
// is random, so this is random eviction, with no bookkeeping on the read
// path.
func (l *Lists) dropOne() bool {
	for _, f := range l.families {
		for k, e := range f.entries {
			f.forget(l, k, e)
			return true
		}
	}
	return false
}

func (f *family) forget(l *Lists, key string, e listEntry) {
	size := len(key) + len(e.body) + len(e.contentType) + listEntryOverhead
	delete(f.entries, key)
	f.bytes -= size
	l.bytes -= size
}

// Bump starts a new generation of the family, dropping its pages.
func (l *Lists) Bump(name string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.families[name]
	if !ok {
		return
	}
	f.gen++
	f.bumped = now
	l.bytes -= f.bytes
	f.bytes = 0
	f.entries = map[string]listEntry{}
}

// Hits returns how many lookups were answered from memory.
func (l *Lists) Hits() int64 { return l.hits.Load() }

// Bytes returns the bytes the pages take, as counted for the bound.
func (l *Lists) Bytes() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.bytes
}

// Observe bumps the families the events may have changed. It is the
// cache's subscription to the core's event relay, for this instance's
// commits and the ones heard from others alike:
//
//   - products: any event that changed a product's stored state
//     (Event.ProductID: edits, moderation, archive, seller blocked, stock
//     taken by an order or an auction, stock given back by a
//     cancellation), and category changes, since the category filter
//     includes sub-categories;
//   - categories: category changes;
//   - reference: reference list changes.
//
// Bids, auction openings, user profile changes and notifications show on
// none of these lists.
func (l *Lists) Observe(events []event.Event) {
	var products, categories, reference bool
	for _, e := range events {
		switch {
		case e.Name == event.CategoryChanged:
			products, categories = true, true
		case e.Name == event.ReferenceChanged:
			reference = true
		case e.ProductID() != "":
			products = true
		}
	}
	if products {
		l.Bump(FamilyProducts)
	}
	if categories {
		l.Bump(FamilyCategories)
	}
	if reference {
		l.Bump(FamilyReference)
	}
}
