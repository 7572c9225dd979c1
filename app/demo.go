package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/reference"
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
	if err != nil || total.Total > 0 {
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
	items, _, err := a.Reference.snapshot(ctx)
	if err != nil {
		return false, err
	}
	// ref returns the id of the item of kind with code, or of the first
	// item of kind when an admin has removed that code.
	ref := func(kind reference.Kind, code string) string {
		first := ""
		for _, it := range items {
			if it.Kind() != kind {
				continue
			}
			if it.Code() == code {
				return it.ID()
			}
			if first == "" {
				first = it.ID()
			}
		}
		return first
	}
	text := func(r i18n.Rule, uz, ru, en string) i18n.Localized {
		return i18n.Must(i18n.New(map[i18n.Locale]string{i18n.Uzbek: uz, i18n.Russian: ru, i18n.English: en}, r))
	}
	cats := map[string]*category.Category{}
	for i, c := range []struct{ key, uz, ru, en, parent string }{
		{"flowers", "Gullar", "Цветы", "Flowers", ""},
		{"roses", "Atirgullar", "Розы", "Roses", "flowers"},
		{"tulips", "Lolalar", "Тюльпаны", "Tulips", "flowers"},
		{"plants", "Xona o‘simliklari", "Комнатные растения", "Houseplants", ""},
		{"pots", "Tuvaklar va vazalar", "Горшки и вазы", "Pots and vases", ""},
	} {
		parentID := ""
		if c.parent != "" {
			parentID = cats[c.parent].ID()
		}
		name := text(category.NameRule, c.uz, c.ru, c.en)
		cat, err := category.New(newID(), name, slug.Make(name.First(), "category"), parentID, i, now)
		if err == nil {
			err = a.repos.Categories.Create(ctx, cat)
		}
		if err != nil {
			return false, fmt.Errorf("demo category %s: %w", c.key, err)
		}
		cats[c.key] = cat
	}
	tashkent := ref(reference.Cities, "tashkent-city")
	for _, d := range []struct {
		title, desc                 [3]string
		cat, condition, size, place string
		price                       int64
		qty                         int
	}{
		{[3]string{"Qizil atirgul o‘zbek", "Красные розы", "Red roses"},
			[3]string{"25 ta qizil atirgul, bir kun oldin kesilgan.", "25 красных роз, срезаны вчера.", "25 red roses, cut a day ago."},
			"roses", "freshest", "large", "yunusabad", 150_000_00, 3},
		{[3]string{"Oq atirgullar guldastasi", "Букет белых роз", "Bouquet of white roses"},
			[3]string{"Toʻy uchun ishlatilgan, yangi holatda.", "После свадьбы, как новый.", "Used at a wedding, like new."},
			"roses", "good-condition", "voluminous", "chilanzar", 90_000_00, 1},
		{[3]string{"Qizil lolalar", "Красные тюльпаны", "Red tulips"},
			[3]string{"Bayramdan keyin 15 ta lola.", "Букет из 15 тюльпанов после праздника.", "15 tulips after a party."},
			"tulips", "losing-freshness", "medium", "mirabad", 70_000_00, 2},
		{[3]string{"Monstera", "Монстера", "Monstera deliciosa"},
			[3]string{"Sog‘lom o‘simlik, 60 sm.", "Здоровое растение, 60 см.", "Healthy plant, 60 cm, moving abroad."},
			"plants", "freshest", "huge", "", 250_000_00, 1},
		{[3]string{"Lira fikusi", "Фикус лировидный", "Ficus lyrata"},
			[3]string{"Keramik tuvakda.", "В керамическом горшке.", "Fiddle-leaf fig in a ceramic pot."},
			"plants", "good-condition", "large", "", 300_000_00, 1},
		{[3]string{"Shisha vaza, 30 sm", "Стеклянная ваза, 30 см", "Glass vase, 30 cm"},
			[3]string{"Bir marta ishlatilgan.", "Использовалась один раз.", "Used once."},
			"pots", "good-condition", "small", "", 40_000_00, 4},
	} {
		title := text(product.TitleRule, d.title[0], d.title[1], d.title[2])
		class := product.Classification{ConditionID: ref(reference.Conditions, d.condition), SizeID: ref(reference.Sizes, d.size)}
		if d.place != "" {
			for _, it := range items {
				if it.Kind() == reference.Districts && it.CityID() == tashkent && it.Code() == d.place {
					class.CityID, class.DistrictID = tashkent, it.ID()
				}
			}
		}
		pr, err := product.New(product.NewParams{ID: newID(), Slug: slug.Make(title.First(), "product"), Title: title,
			Description: text(product.DescriptionRule, d.desc[0], d.desc[1], d.desc[2]), Price: d.price, Quantity: d.qty,
			CategoryID: cats[d.cat].ID(), Class: class, SellerID: seller.ID(), Publish: true}, now)
		if err == nil {
			err = a.repos.Products.Create(ctx, pr)
		}
		if err != nil {
			return false, fmt.Errorf("demo product %s: %w", title.First(), err)
		}
	}
	return true, nil
}
