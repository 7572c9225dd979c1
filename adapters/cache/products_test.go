package cache

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/media"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/mocks"
)

type counter struct{ hits, misses atomic.Int64 }

func (c *counter) Hit()  { c.hits.Add(1) }
func (c *counter) Miss() { c.misses.Add(1) }

const id = "0193a000-0000-7000-8000-000000000003"

var title = i18n.Rehydrate(map[i18n.Locale]string{i18n.Russian: "Красные розы", i18n.Uzbek: "Qizil atirgullar"})

func roses(qty int) *product.Product {
	return product.Rehydrate(product.Fields{ID: id, Slug: "красные-розы", Title: title, Class: product.Classification{ConditionID: "c", SizeID: "s"},
		Description: i18n.Rehydrate(map[i18n.Locale]string{i18n.English: "Red roses"}), Price: 100, Currency: "UZS",
		Quantity: qty, Status: product.StatusActive, Images: []product.Image{{MediaID: "0193a000-0000-7000-8000-0000000000aa", Position: 1, Original: media.File{Key: "k-original.jpg", Width: 4, Height: 3}}},
		CreatedAt: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)})
}

func newCache(t *testing.T) (*Products, *mocks.MockProductRepository, *counter) {
	inner := mocks.NewMockProductRepository(gomock.NewController(t))
	cnt := &counter{}
	c, err := New(inner, Options{SizeMB: 8, Counter: cnt})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, inner, cnt
}

func TestCachedProductIsServedWithoutTheRepository(t *testing.T) {
	c, inner, cnt := newCache(t)
	inner.EXPECT().Get(gomock.Any(), id).Return(roses(3), nil).Times(1)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		got, err := c.Get(ctx, id)
		if err != nil || got.Quantity() != 3 || got.Fields().Title != title || got.Description().In(i18n.Russian) != "Red roses" || got.Class().SizeID != "s" || len(got.Images()) != 1 {
			t.Fatalf("Get #%d = %+v, %v; want the product", i, got, err)
		}
	}
	if got, err := c.GetBySlug(ctx, "красные-розы"); err != nil || got.ID() != id {
		t.Fatalf("GetBySlug = %v, %v; want the cached product", got, err)
	}
	if cnt.hits.Load() != 3 || cnt.misses.Load() != 1 {
		t.Errorf("hits, misses = %d, %d; want 3, 1", cnt.hits.Load(), cnt.misses.Load())
	}
}

func TestMissingProductIsNotCached(t *testing.T) {
	c, inner, _ := newCache(t)
	inner.EXPECT().Get(gomock.Any(), id).Return(nil, product.ErrNotFound).Times(2)
	for i := 0; i < 2; i++ {
		if _, err := c.Get(context.Background(), id); !errors.Is(err, product.ErrNotFound) {
			t.Fatalf("Get = %v, want product.ErrNotFound", err)
		}
	}
}

func TestEvictForgetsTheProduct(t *testing.T) {
	c, inner, _ := newCache(t)
	inner.EXPECT().Get(gomock.Any(), id).Return(roses(3), nil).Times(2)
	_, _ = c.Get(context.Background(), id)
	_, _ = c.Get(context.Background(), id) // from memory
	c.Evict(id)
	_, _ = c.Get(context.Background(), id)
}

func TestAReadRacingAnEvictionDoesNotStoreTheOldState(t *testing.T) {
	c, inner, _ := newCache(t)
	ctx := context.Background()
	gomock.InOrder(
		inner.EXPECT().Get(gomock.Any(), id).DoAndReturn(func(context.Context, string) (*product.Product, error) {
			// A write commits and evicts while this read is loading the
			// old state.
			c.Evict(id)
			return roses(3), nil
		}),
		inner.EXPECT().Get(gomock.Any(), id).Return(roses(1), nil),
	)
	_, _ = c.Get(ctx, id)
	if got, _ := c.Get(ctx, id); got.Quantity() != 1 {
		t.Errorf("quantity = %d, want the new state 1", got.Quantity())
	}
}

// TestAnEmptyCacheTakesLittleMemory guards the shard sizing: a new cache
// of the default 64 MB must not allocate its size (or bigcache's default
// 600,000 entries of maps) before anything is stored. With bigcache's
// default window it allocated 100 MB here; it now takes a few MB.
func TestAnEmptyCacheTakesLittleMemory(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c, err := New(mocks.NewMockProductRepository(gomock.NewController(t)), Options{SizeMB: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Fatalf("a new empty 64 MB cache allocated %d MB, want at most 8", grew>>20)
	}
	// It still grows to hold what is stored: 2,000 products, far more
	// than the 16 per shard it starts with.
	for i := range 2000 {
		f := roses(1).Fields()
		f.ID, f.Slug = fmt.Sprintf("0193a000-0000-7000-8000-%012d", i), fmt.Sprint("roses-", i)
		c.store(c.gen.Load(), product.Rehydrate(f))
	}
	for i := range 2000 {
		if _, ok := c.lookup(fmt.Sprintf("0193a000-0000-7000-8000-%012d", i)); !ok {
			t.Fatalf("product %d of 2000 was not kept", i)
		}
	}
}

// TestAChangedProductIsNotServedFromTheDecodedMemo reads a product until
// its decoded form is remembered, then changes it (eviction, new state
// loaded): reads must give the new state, and a product whose id shares
// the memo slot must never be given for another.
func TestAChangedProductIsNotServedFromTheDecodedMemo(t *testing.T) {
	c, inner, _ := newCache(t)
	ctx := context.Background()
	gomock.InOrder(
		inner.EXPECT().Get(gomock.Any(), id).Return(roses(3), nil),
		inner.EXPECT().Get(gomock.Any(), id).Return(roses(1), nil),
	)
	for range 3 {
		if got, _ := c.Get(ctx, id); got.Quantity() != 3 {
			t.Fatalf("quantity = %d, want 3", got.Quantity())
		}
	}
	c.Evict(id)
	for range 3 {
		if got, _ := c.Get(ctx, id); got.Quantity() != 1 {
			t.Fatalf("after the change, quantity = %d, want the new state 1", got.Quantity())
		}
	}
	// Every slot filled with that product's entry: another product is
	// still answered with its own.
	other := roses(7).Fields()
	other.ID, other.Slug = "0193a000-0000-7000-8000-000000000099", "other"
	c.store(c.gen.Load(), product.Rehydrate(other))
	for i := range decodedSlots {
		c.decoded[i].Store(c.decoded[maphash.String(c.seed, id)%decodedSlots].Load())
	}
	if got, ok := c.lookup(other.ID); !ok || got.ID != other.ID || got.Quantity != 7 {
		t.Fatalf("lookup(other) = %+v, %v; want its own entry", got, ok)
	}
}
