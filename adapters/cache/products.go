// Package cache keeps products in process memory with bigcache, in front of
// the product repository, so that product pages do not hit the database.
//
// Correctness rests on three rules. Every committed write of a product is a
// committed event, and the core's event relay calls Evict for it, on the
// writing instance before the write returns and on every other instance
// when it hears of the event (ports.ProductCache). A read that raced with
// an eviction does not store what it read, so an old state cannot be put
// back after an eviction. And entries expire after a TTL as a last resort.
package cache

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"sync/atomic"
	"time"

	"github.com/allegro/bigcache/v3"

	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/ports"
)

var (
	_ ports.ProductRepository = (*Products)(nil)
	_ ports.ProductCache      = (*Products)(nil)
)

// Counter counts cache lookups; a metrics adapter implements it.
// Implementations must be cheap and safe for concurrent use.
type Counter interface {
	Hit()
	Miss()
}

// Options tune the cache.
type Options struct {
	// SizeMB bounds the memory the cache may take; 0 means 64.
	SizeMB int
	// TTL bounds how long an entry lives even if no eviction reaches it;
	// 0 means 10 minutes.
	TTL time.Duration
	// Counter receives hits and misses; nil counts nothing.
	Counter Counter
}

// Products is a read-through cache of products by id and by slug. It
// implements ports.ProductRepository by delegating to the wrapped
// repository, which must be one that runs outside transactions.
type Products struct {
	inner   ports.ProductRepository
	c       *bigcache.BigCache
	counter Counter
	// gen counts evictions. A read stores what it loaded only if no
	// eviction happened while it was loading.
	gen atomic.Uint64
	// decoded remembers the last entries decoded, so a hot product is not
	// decoded from JSON again on every read (see lookup).
	decoded [decodedSlots]atomic.Pointer[decodedEntry]
	seed    maphash.Seed
}

// decodedSlots is the size of the direct-mapped memo of decoded entries:
// at most this many products (a few MB) are kept decoded.
const decodedSlots = 1024

// decodedEntry is an entry's bytes and what they decode to. The fields are
// a pure function of the bytes, so a memo hit is exactly what decoding the
// bytes would give (the bytes hold the id too): an evicted or changed
// product has other bytes (or none) in bigcache, and the memo is never
// consulted without them.
type decodedEntry struct {
	raw []byte
	f   product.Fields
}

// New returns a cache in front of inner. It returns an error for options
// bigcache refuses. Close releases its cleaner goroutine.
func New(inner ports.ProductRepository, opt Options) (*Products, error) {
	if opt.SizeMB <= 0 {
		opt.SizeMB = 64
	}
	if opt.TTL <= 0 {
		opt.TTL = 10 * time.Minute
	}
	cfg := bigcache.DefaultConfig(opt.TTL)
	// Fewer, larger shards than the default: a product with a long
	// description and ten image URLs takes ~30 KB, which must fit a shard.
	cfg.Shards = 64
	cfg.HardMaxCacheSize = opt.SizeMB
	cfg.MaxEntrySize = 2048
	// bigcache sizes each shard up front for MaxEntriesInWindow/Shards
	// entries: two maps of that many slots and a queue of that many times
	// MaxEntrySize bytes. Its default (600,000 entries) made 64 shards
	// take ~25 MB of maps touched at start and the whole SizeMB reserved.
	// Start small instead (a few KB per shard); shards grow on demand,
	// still bounded by HardMaxCacheSize.
	cfg.MaxEntriesInWindow = cfg.Shards * initialEntriesPerShard
	cfg.CleanWindow = time.Minute
	cfg.Verbose = false
	c, err := bigcache.New(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if opt.Counter == nil {
		opt.Counter = nopCounter{}
	}
	return &Products{inner: inner, c: c, counter: opt.Counter, seed: maphash.MakeSeed()}, nil
}

// Hits returns how many lookups the cache has answered from memory.
func (p *Products) Hits() int64 { return p.c.Stats().Hits }

// Close stops the cache; it must not be used afterwards.
func (p *Products) Close() error { return p.c.Close() }

// initialEntriesPerShard is how many entries a shard has room for before
// it first grows.
const initialEntriesPerShard = 16

func idKey(id string) string     { return "i:" + id }
func slugKey(slug string) string { return "s:" + slug }

// Get returns the product with id from memory, or loads it from the wrapped
// repository. It returns product.ErrNotFound or the repository's error;
// misses are not cached, so a product created elsewhere is seen at once.
func (p *Products) Get(ctx context.Context, id string) (*product.Product, error) {
	if f, ok := p.lookup(id); ok {
		p.hit()
		return product.Rehydrate(f), nil
	}
	p.miss()
	g := p.gen.Load()
	got, err := p.inner.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	p.store(g, got)
	return got, nil
}

// GetBySlug is Get by slug. The slug maps to the id, so evicting the id
// is enough to drop both.
func (p *Products) GetBySlug(ctx context.Context, slug string) (*product.Product, error) {
	if id, err := p.c.Get(slugKey(slug)); err == nil {
		if f, ok := p.lookup(string(id)); ok && f.Slug == slug {
			p.hit()
			return product.Rehydrate(f), nil
		}
	}
	p.miss()
	g := p.gen.Load()
	got, err := p.inner.GetBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	p.store(g, got)
	return got, nil
}

// entry is the cached form of a product: its fields, with the localized
// texts (whose values are unexported) as plain maps. One entry serves every
// locale; the HTTP adapter picks the locale when rendering.
type entry struct {
	product.Fields
	Title       []string // i18n.Localized.Values
	Description []string
}

// lookup returns the fields cached for id. Decoding the JSON entry is most
// of a cached read's cost (25 allocations for a product in three
// languages), so the decoded fields are kept next to the bytes they came
// from and reused while bigcache holds the same bytes. The fields hold
// only values (strings, arrays, numbers) and Rehydrate copies the image
// slice, so products built from one memo entry share nothing mutable.
func (p *Products) lookup(id string) (product.Fields, bool) {
	raw, err := p.c.Get(idKey(id))
	if err != nil {
		return product.Fields{}, false
	}
	slot := &p.decoded[maphash.String(p.seed, id)%decodedSlots]
	if d := slot.Load(); d != nil && bytes.Equal(d.raw, raw) {
		return d.f, true
	}
	var e entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return product.Fields{}, false
	}
	f := e.Fields
	f.Title, f.Description = i18n.RehydrateValues(e.Title), i18n.RehydrateValues(e.Description)
	slot.Store(&decodedEntry{raw: raw, f: f})
	return f, true
}

// store caches pr unless an eviction happened since gen g was read.
func (p *Products) store(g uint64, pr *product.Product) {
	f := pr.Fields()
	raw, err := json.Marshal(entry{Fields: f, Title: f.Title.Values(), Description: f.Description.Values()})
	if err != nil || p.gen.Load() != g {
		return
	}
	// A failed Set (an entry larger than a shard) only means no caching.
	_ = p.c.Set(idKey(pr.ID()), raw)
	_ = p.c.Set(slugKey(pr.Slug()), []byte(pr.ID()))
	if p.gen.Load() != g {
		// An eviction slipped in between the check and the Set.
		_ = p.c.Delete(idKey(pr.ID()))
	}
}

func (p *Products) hit()  { p.counter.Hit() }
func (p *Products) miss() { p.counter.Miss() }

// nopCounter stands in when Options.Counter is nil.
type nopCounter struct{}

func (nopCounter) Hit()  {}
func (nopCounter) Miss() {}

// Create stores the product through the wrapped repository. Eviction is
// the event relay's business, not the decorator's.
func (p *Products) Create(ctx context.Context, pr *product.Product) error {
	return p.inner.Create(ctx, pr)
}

// Update changes the product through the wrapped repository.
func (p *Products) Update(ctx context.Context, id string, fn func(*product.Product) error) (*product.Product, error) {
	return p.inner.Update(ctx, id, fn)
}

// Reserve takes stock through the wrapped repository; the order's event
// evicts the product.
func (p *Products) Reserve(ctx context.Context, id string, qty int, buyerID string, now time.Time) (*product.Product, error) {
	return p.inner.Reserve(ctx, id, qty, buyerID, now)
}

// SetSellerBlocked changes the products through the wrapped repository;
// the events of the change evict them.
func (p *Products) SetSellerBlocked(ctx context.Context, sellerID string, blocked bool) ([]string, error) {
	return p.inner.SetSellerBlocked(ctx, sellerID, blocked)
}

// List is not cached: filters make too many keys to keep fresh.
func (p *Products) List(ctx context.Context, f ports.ProductFilter, s ports.Sort, pg ports.Page) ([]*product.Product, ports.Listed, error) {
	return p.inner.List(ctx, f, s, pg)
}

// Evict forgets the product with id; see ports.ProductCache.
func (p *Products) Evict(id string) {
	p.gen.Add(1)
	// Delete fails only when there is nothing to delete.
	_ = p.c.Delete(idKey(id))
}
