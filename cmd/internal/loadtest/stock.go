package loadtest

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/reference"
)

// Stock stores, straight into the server's database at dsn, a new category
// and n ACTIVE products of the seller, each with quantity items, titled
// "<name> <i> <suffix>", and returns their ids. It writes through the
// Postgres adapter, so the rows are exactly what the server would store.
func Stock(dsn, sellerID, name string, n, quantity int) ([]string, error) {
	db, err := postgres.Open(dsn, postgres.Options{MaxOpenConns: 4})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	ctx := context.Background()
	r := db.Repos()
	now := time.Now()
	suffix := uuid.Must(uuid.NewV7()).String()
	cat, err := category.New(uuid.Must(uuid.NewV7()).String(), i18n.Rehydrate(map[i18n.Locale]string{i18n.English: name}), "load-"+suffix, "", 0, now)
	if err != nil {
		return nil, err
	}
	if err := r.Categories.Create(ctx, cat); err != nil {
		return nil, err
	}
	var condition, size string
	for _, f := range reference.Seed() {
		if f.Code == "good-condition" {
			condition = f.ID
		}
		if f.Code == "medium" {
			size = f.ID
		}
	}
	ids := make([]string, n)
	for i := range ids {
		id := uuid.Must(uuid.NewV7()).String()
		p, err := product.New(product.NewParams{ID: id, Slug: "load-" + id, Title: i18n.Rehydrate(map[i18n.Locale]string{i18n.English: fmt.Sprintf("%s %d %s", name, i, suffix)}),
			Class: product.Classification{ConditionID: condition, SizeID: size},
			Price: 150000, Quantity: quantity, CategoryID: cat.ID(), SellerID: sellerID, Publish: true}, now)
		if err != nil {
			return nil, err
		}
		if err := r.Products.Create(ctx, p); err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}
