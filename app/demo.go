package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/slug"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// DemoSellerPhone is the phone of the user who owns the demo products.
const DemoSellerPhone = "+998900000100"

// SeedDemo fills an empty catalogue with a few categories and ACTIVE
// products of a demo seller, so a fresh server shows something. It does
// nothing when any category exists, and returns the first storage error.
func (a *App) SeedDemo(ctx context.Context) (bool, error) {
	_, total, err := a.repos.Categories.List(ctx, ports.CategoryFilter{}, ports.Page{Number: 1, Limit: 1})
	if err != nil || total > 0 {
		return false, err
	}
	now := a.clock.Now()
	p := phone.MustParse(DemoSellerPhone)
	seller, err := a.repos.Users.GetByPhone(ctx, p)
	if errors.Is(err, user.ErrNotFound) {
		if seller, err = user.New(newID(), p, user.RoleUser, now); err == nil {
			err = a.repos.Users.Create(ctx, seller)
		}
	}
	if err != nil {
		return false, fmt.Errorf("demo seller: %w", err)
	}
	cats := map[string]*category.Category{}
	for i, c := range []struct{ name, parent string }{
		{"Flowers", ""}, {"Atirgullar", "Flowers"}, {"Тюльпаны", "Flowers"}, {"Houseplants", ""}, {"Pots and vases", ""},
	} {
		parentID := ""
		if c.parent != "" {
			parentID = cats[c.parent].ID()
		}
		cat, err := category.New(newID(), c.name, slug.Make(c.name, "category"), parentID, i, now)
		if err == nil {
			err = a.repos.Categories.Create(ctx, cat)
		}
		if err != nil {
			return false, fmt.Errorf("demo category %s: %w", c.name, err)
		}
		cats[c.name] = cat
	}
	for _, d := range []struct {
		title, desc, cat string
		price            int64
		qty              int
	}{
		{"Qizil atirgul o‘zbek", "25 ta qizil atirgul, bir kun oldin kesilgan.", "Atirgullar", 150_000_00, 3},
		{"Oq atirgullar guldastasi", "Toʻy uchun ishlatilgan, yangi holatda.", "Atirgullar", 90_000_00, 1},
		{"Красные тюльпаны", "Букет из 15 тюльпанов после праздника.", "Тюльпаны", 70_000_00, 2},
		{"Monstera deliciosa", "Healthy plant, 60 cm, moving abroad.", "Houseplants", 250_000_00, 1},
		{"Ficus lyrata", "Fiddle-leaf fig in a ceramic pot.", "Houseplants", 300_000_00, 1},
		{"Glass vase, 30 cm", "Used once.", "Pots and vases", 40_000_00, 4},
	} {
		id := newID()
		pr, err := product.New(product.NewParams{ID: id, Slug: slug.Make(d.title, "product"), Title: d.title, Description: d.desc,
			Price: d.price, Quantity: d.qty, CategoryID: cats[d.cat].ID(), SellerID: seller.ID(), Publish: true}, now)
		if err == nil {
			err = a.repos.Products.Create(ctx, pr)
		}
		if err != nil {
			return false, fmt.Errorf("demo product %s: %w", d.title, err)
		}
	}
	return true, nil
}
