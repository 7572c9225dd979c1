package system_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/secondbloom/marketplace/adapters/jwt"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/cmd/server/system"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/reference"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// noSMS stands in for an SMS gateway: the example's phones have fixed test
// codes, so nothing is sent.
type noSMS struct{}

func (noSMS) SendCode(context.Context, phone.Number, auth.Code) error { return nil }

// Example shows the marketplace core used as a Go library on the memory
// store, without HTTP: a seller and a buyer sign in with one-time codes,
// the seller lists a bouquet, and the buyer orders it.
func Example() {
	ctx := context.Background()
	seller, buyer := phone.MustParse("+998901234567"), phone.MustParse("+998907654321")
	tokens, err := jwt.New([]byte(strings.Repeat("example-secret-", 3)))
	if err != nil {
		panic(err)
	}
	sys, err := system.New(system.Config{
		Store:  memory.New(),
		SMS:    noSMS{},
		Tokens: tokens,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Core: app.Config{
			CodeHashKey: []byte(strings.Repeat("hash-key-", 4)),
			AdminPhones: []phone.Number{seller}, // an admin's listings need no moderation
			TestCodes:   map[string]auth.Code{seller.String(): "111111", buyer.String(): "222222"},
		},
	})
	if err != nil {
		panic(err)
	}
	defer sys.Close()
	core := sys.Core

	signIn := func(p phone.Number, code string) user.Actor {
		if _, err := core.Auth.SendCode(ctx, p); err != nil {
			panic(err)
		}
		s, err := core.Auth.VerifyCode(ctx, p, code)
		if err != nil {
			panic(err)
		}
		// A server would check s.AccessToken on each request; a library
		// caller authenticates the same way.
		a, err := core.Auth.Authenticate(ctx, s.AccessToken)
		if err != nil {
			panic(err)
		}
		return a
	}
	s, b := signIn(seller, "111111"), signIn(buyer, "222222")

	text := func(s string) i18n.Localized { return i18n.Must(i18n.Text(i18n.Uzbek, s, product.TitleRule)) }
	cat, err := core.Catalog.CreateCategory(ctx, s, app.NewCategory{Name: text("Atirgullar")})
	if err != nil {
		panic(err)
	}
	conditions, _, _ := core.Reference.List(ctx, reference.Conditions, "", ports.Page{Number: 1, Limit: 1})
	sizes, _, _ := core.Reference.List(ctx, reference.Sizes, "", ports.Page{Number: 1, Limit: 1})
	qty := 2
	p, err := core.Catalog.CreateProduct(ctx, s, app.NewProduct{
		Title: text("Qizil atirgullar"), Price: 150_000_00, Quantity: &qty, CategoryID: cat.ID(),
		Class: product.Classification{ConditionID: conditions[0].ID(), SizeID: sizes[0].ID()},
	})
	if err != nil {
		panic(err)
	}
	o, err := core.Orders.Place(ctx, b, app.PlaceOrder{ProductID: p.ID()})
	if err != nil {
		panic(err)
	}
	left, _ := core.Catalog.GetProduct(ctx, b, p.ID())
	fmt.Println(p.Title().In(i18n.Uzbek), p.Status())
	fmt.Println(o.Status(), o.Quantity(), o.TotalPrice(), o.Currency())
	fmt.Println("left in stock:", left.Quantity())
	// Output:
	// Qizil atirgullar ACTIVE
	// PENDING 1 15000000 UZS
	// left in stock: 1
}
