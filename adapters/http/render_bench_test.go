package http

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/secondbloom/marketplace/adapters/cache"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/media"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/mocks"
)

// BenchmarkCachedProductRead measures what a cached product page costs
// besides the network: a cache hit and rendering the product in a locale.
func BenchmarkCachedProductRead(b *testing.B) {
	const id = "0193a000-0000-7000-8000-000000000003"
	text := func(uz, ru, en string) i18n.Localized {
		return i18n.Rehydrate(map[i18n.Locale]string{i18n.Uzbek: uz, i18n.Russian: ru, i18n.English: en})
	}
	p := product.Rehydrate(product.Fields{ID: id, Slug: "qizil-atirgullar",
		Title:       text("Qizil atirgullar", "Красные розы", "Red roses"),
		Description: text("25 ta qizil atirgul, bir kun oldin kesilgan.", "25 красных роз, срезаны вчера.", "25 red roses, cut a day ago."),
		Price:       150000, Currency: "UZS", Quantity: 3, CategoryID: id, SellerID: id, Status: product.StatusActive,
		Class:     product.Classification{ConditionID: id, SizeID: id},
		Images:    []product.Image{{MediaID: id, Position: 0, Original: media.File{Key: "k.jpg", Width: 4, Height: 3}}},
		CreatedAt: time.Now(), UpdatedAt: time.Now()})
	s := &Server{opt: Options{mediaBase: "/media/"}}
	inner := mocks.NewMockProductRepository(gomock.NewController(b))
	inner.EXPECT().Get(gomock.Any(), id).Return(p, nil).AnyTimes()
	c, err := cache.New(inner, cache.Options{SizeMB: 8})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		got, err := c.Get(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(s.toProductDTO(got, i18n.Russian)); err != nil {
			b.Fatal(err)
		}
	}
}
