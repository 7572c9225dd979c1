package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/idempotency"
	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/mocks"
	"github.com/secondbloom/marketplace/ports"
)

var orderNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

const (
	productID = "0193a1b2-0000-7000-8000-000000000001"
	sellerID  = "0193a1b2-0000-7000-8000-0000000000a1"
	buyerID   = "0193a1b2-0000-7000-8000-0000000000b1"
)

// orderFixture is a core whose order-related ports are mocks; the
// transactor runs its function on the same mocked repositories.
type orderFixture struct {
	core     *app.App
	products *mocks.MockProductRepository
	orders   *mocks.MockOrderRepository
	metrics  *mocks.MockMetrics
	auctions *mocks.MockOpenAuctionChecker
	idem     *mocks.MockIdempotencyRepository
}

func newOrderFixture(t *testing.T) *orderFixture {
	ctrl := gomock.NewController(t)
	f := &orderFixture{
		products: mocks.NewMockProductRepository(ctrl),
		orders:   mocks.NewMockOrderRepository(ctrl),
		metrics:  mocks.NewMockMetrics(ctrl),
		auctions: mocks.NewMockOpenAuctionChecker(ctrl),
		idem:     mocks.NewMockIdempotencyRepository(ctrl),
	}
	repos := ports.Repos{
		Users: mocks.NewMockUserRepository(ctrl), Challenges: mocks.NewMockChallengeRepository(ctrl),
		Sessions: mocks.NewMockSessionRepository(ctrl), Products: f.products, Orders: f.orders,
		Idempotency: f.idem, OpenAuctions: f.auctions,
	}
	repos = fullRepos(ctrl, repos)
	tx := mocks.NewMockTransactor(ctrl)
	tx.EXPECT().WithinTx(gomock.Any(), gomock.Any()).AnyTimes().DoAndReturn(committing(repos, &f.core))
	clk := mocks.NewMockClock(ctrl)
	clk.EXPECT().Now().AnyTimes().Return(orderNow)
	core, err := app.New(app.Deps{Tx: tx, Repos: repos, Clock: clk, Pinger: mocks.NewMockPinger(ctrl),
		SMS: mocks.NewMockSMSSender(ctrl), Tokens: mocks.NewMockTokenIssuer(ctrl), Metrics: f.metrics,
		Config: app.Config{CodeHashKey: make([]byte, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	f.core = core
	return f
}

// stored returns a product repository Update that runs fn on an ACTIVE
// product with the given stock and records the result in *out.
func stored(qty int, out **product.Product) func(context.Context, string, func(*product.Product) error) (*product.Product, error) {
	return func(_ context.Context, id string, fn func(*product.Product) error) (*product.Product, error) {
		p := product.Rehydrate(product.Fields{ID: id, Slug: "roses", Title: i18n.Rehydrate(map[i18n.Locale]string{i18n.Uzbek: "Roses"}), Price: 150000, Currency: "UZS",
			Quantity: qty, CategoryID: "c", SellerID: sellerID, Status: product.StatusActive, CreatedAt: orderNow, UpdatedAt: orderNow})
		if err := fn(p); err != nil {
			return nil, err
		}
		*out = p
		return p, nil
	}
}

// reserving returns a product repository Reserve that applies the
// ordering rules to an ACTIVE product with the given stock (in an open
// auction if inAuction) as the stores do, and records the result in *out.
func reserving(qty int, inAuction bool, out **product.Product) func(context.Context, string, int, string, time.Time) (*product.Product, error) {
	return func(_ context.Context, id string, n int, buyer string, now time.Time) (*product.Product, error) {
		p := product.Rehydrate(product.Fields{ID: id, Slug: "roses", Title: i18n.Rehydrate(map[i18n.Locale]string{i18n.Uzbek: "Roses"}), Price: 150000, Currency: "UZS",
			Quantity: qty, CategoryID: "c", SellerID: sellerID, Status: product.StatusActive, CreatedAt: orderNow, UpdatedAt: orderNow})
		if err := order.Orderable(p, buyer, inAuction, n); err != nil {
			return nil, err
		}
		if err := p.Reserve(n, now); err != nil {
			return nil, err
		}
		*out = p
		return p, nil
	}
}

var orderBuyer = user.Actor{UserID: buyerID, Role: user.RoleUser}

func TestPlaceStoresTheOrderAtTheProductPrice(t *testing.T) {
	f := newOrderFixture(t)
	var reserved *product.Product
	var created *order.Order
	f.products.EXPECT().Reserve(gomock.Any(), productID, gomock.Any(), gomock.Any(), orderNow).DoAndReturn(reserving(5, false, &reserved))
	f.orders.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, o *order.Order) error {
		created = o
		return nil
	})
	f.metrics.EXPECT().OrderCreated().Times(1)

	o, err := f.core.Orders.Place(context.Background(), orderBuyer, app.PlaceOrder{ProductID: productID, Quantity: ptr(2), Notes: "  leave at the door "})
	if err != nil {
		t.Fatalf("Place = %v, want nil", err)
	}
	if created == nil || created.ID() != o.ID() {
		t.Fatalf("stored order = %v, want the returned one %s", created, o.ID())
	}
	if o.BuyerID() != buyerID || o.SellerID() != sellerID || o.UnitPrice() != 150000 || o.TotalPrice() != 300000 ||
		o.Status() != order.StatusPending || o.Notes() != "leave at the door" {
		t.Errorf("order = %+v, want buyer %s, seller %s, 2 x 150000, PENDING, trimmed notes", o.Fields(), buyerID, sellerID)
	}
	if reserved.Quantity() != 3 {
		t.Errorf("stock after ordering 2 of 5 = %d, want 3", reserved.Quantity())
	}
}

func TestPlaceUnknownProductIsNotFound(t *testing.T) {
	f := newOrderFixture(t)
	f.products.EXPECT().Reserve(gomock.Any(), productID, gomock.Any(), gomock.Any(), orderNow).Return(nil, product.ErrNotAvailable)
	// No order is stored and nothing is counted: the mocks fail on any
	// call of Orders.Create or Metrics.OrderCreated.
	_, err := f.core.Orders.Place(context.Background(), orderBuyer, app.PlaceOrder{ProductID: productID, Quantity: ptr(1)})
	if domain.KindOf(err) != domain.KindNotFound {
		t.Errorf("Place(unknown product) = %v, want a not-found error", err)
	}
}

func TestPlaceRefusals(t *testing.T) {
	tests := []struct {
		name    string
		who     string
		qty     int
		stock   int
		auction bool
		want    error
	}{
		{"own product", sellerID, 1, 5, false, order.ErrOwnProduct},
		{"out of stock", buyerID, 6, 5, false, product.ErrOutOfStock},
		{"in an open auction", buyerID, 1, 5, true, order.ErrProductInAuction},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newOrderFixture(t)
			var p *product.Product
			f.products.EXPECT().Reserve(gomock.Any(), productID, gomock.Any(), gomock.Any(), orderNow).DoAndReturn(reserving(tc.stock, tc.auction, &p))
			_, err := f.core.Orders.Place(context.Background(), user.Actor{UserID: tc.who}, app.PlaceOrder{ProductID: productID, Quantity: ptr(tc.qty)})
			if !errors.Is(err, tc.want) {
				t.Errorf("Place = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestPlaceRetriesANumberClash(t *testing.T) {
	f := newOrderFixture(t)
	var p *product.Product
	f.products.EXPECT().Reserve(gomock.Any(), productID, gomock.Any(), gomock.Any(), orderNow).DoAndReturn(reserving(5, false, &p))
	var numbers []string
	f.orders.EXPECT().Create(gomock.Any(), gomock.Any()).Times(2).DoAndReturn(func(_ context.Context, o *order.Order) error {
		numbers = append(numbers, o.Number())
		if len(numbers) == 1 {
			return order.ErrNumberTaken
		}
		return nil
	})
	f.metrics.EXPECT().OrderCreated()
	o, err := f.core.Orders.Place(context.Background(), orderBuyer, app.PlaceOrder{ProductID: productID, Quantity: ptr(1)})
	if err != nil || len(numbers) != 2 || numbers[0] == numbers[1] || o.Number() != numbers[1] {
		t.Errorf("Place after a clash = %v, numbers tried %v; want success with a second, different number", err, numbers)
	}
}

func TestPlaceRejectsBadInputWithoutTouchingTheStore(t *testing.T) {
	f := newOrderFixture(t)
	for _, in := range []app.PlaceOrder{
		{ProductID: "not-a-uuid", Quantity: ptr(1)},
		{ProductID: productID, Quantity: ptr(0)},
		{ProductID: productID, Quantity: ptr(101)},
	} {
		if _, err := f.core.Orders.Place(context.Background(), orderBuyer, in); domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("Place(%+v) = %v, want a validation error", in, err)
		}
	}
}

func TestCancelReleasesTheStockAndCounts(t *testing.T) {
	f := newOrderFixture(t)
	o, _ := order.New(order.NewParams{ID: "o1", Number: "SB-20261126-AAAAAAAA", ProductID: productID, SellerID: sellerID,
		BuyerID: buyerID, Quantity: 4, UnitPrice: 10, Currency: "UZS"}, orderNow)
	f.orders.EXPECT().Update(gomock.Any(), "o1", gomock.Any()).DoAndReturn(
		func(_ context.Context, _ string, fn func(*order.Order) error) (*order.Order, error) { return o, fn(o) })
	var released *product.Product
	f.products.EXPECT().Update(gomock.Any(), productID, gomock.Any()).DoAndReturn(stored(1, &released))
	f.metrics.EXPECT().OrderCancelled()
	if _, err := f.core.Orders.Cancel(context.Background(), orderBuyer, "o1", ""); err != nil {
		t.Fatalf("Cancel = %v", err)
	}
	if released.Quantity() != 5 {
		t.Errorf("stock after cancelling 4 = %d, want 5", released.Quantity())
	}
}

func TestOrdersOfOthersAreNotFound(t *testing.T) {
	f := newOrderFixture(t)
	o, _ := order.New(order.NewParams{ID: "o1", Number: "SB-20261126-AAAAAAAA", ProductID: productID, SellerID: sellerID,
		BuyerID: buyerID, Quantity: 1, UnitPrice: 10, Currency: "UZS"}, orderNow)
	f.orders.EXPECT().Get(gomock.Any(), "o1").Return(o, nil).Times(2)
	if _, err := f.core.Orders.Get(context.Background(), user.Actor{UserID: "stranger", Role: user.RoleModerator}, "o1"); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("Get by a stranger = %v, want order.ErrNotFound", err)
	}
	if _, err := f.core.Orders.Get(context.Background(), user.Actor{UserID: "boss", Role: user.RoleAdmin}, "o1"); err != nil {
		t.Errorf("Get by an admin = %v, want the order", err)
	}
}

func TestPlaceIdempotentStoresNoFailure(t *testing.T) {
	f := newOrderFixture(t)
	f.products.EXPECT().Reserve(gomock.Any(), productID, gomock.Any(), gomock.Any(), orderNow).Return(nil, domain.ErrUnavailable)
	f.idem.EXPECT().Lock(gomock.Any(), gomock.Any()).Return(nil)
	f.idem.EXPECT().Get(gomock.Any(), gomock.Any()).Return(idempotency.Record{}, idempotency.ErrNotFound)
	// No Save: the mock fails on one.
	rendered := false
	_, err := f.core.Orders.PlaceIdempotent(context.Background(), orderBuyer, app.PlaceOrder{ProductID: productID, Quantity: ptr(1)},
		app.Idempotency{Key: "k1", Route: "POST /api/v1/orders"},
		func(*order.Order, error) (app.Response, error) {
			rendered = true
			return app.Response{Status: 500}, nil
		})
	if !errors.Is(err, domain.ErrUnavailable) || rendered {
		t.Errorf("PlaceIdempotent with the store down = %v (rendered %v), want ErrUnavailable and nothing rendered or stored", err, rendered)
	}
}

func TestPlaceIdempotentStoresTheRenderedResponse(t *testing.T) {
	f := newOrderFixture(t)
	var p *product.Product
	f.products.EXPECT().Reserve(gomock.Any(), productID, gomock.Any(), gomock.Any(), orderNow).DoAndReturn(reserving(5, false, &p))
	f.orders.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
	f.metrics.EXPECT().OrderCreated()
	scope := idempotency.Scope{UserID: buyerID, Route: "POST /api/v1/orders", Key: "k2"}
	f.idem.EXPECT().Lock(gomock.Any(), scope).Return(nil)
	f.idem.EXPECT().Get(gomock.Any(), scope).Return(idempotency.Record{}, idempotency.ErrNotFound)
	var saved idempotency.Record
	f.idem.EXPECT().Save(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, r idempotency.Record) error { saved = r; return nil })
	resp, err := f.core.Orders.PlaceIdempotent(context.Background(), orderBuyer, app.PlaceOrder{ProductID: productID, Quantity: ptr(1)},
		app.Idempotency{Key: "k2", Route: "POST /api/v1/orders"},
		func(o *order.Order, refused error) (app.Response, error) {
			return app.Response{Status: 201, Body: []byte(o.Number())}, nil
		})
	if err != nil || resp.Replayed || resp.Status != 201 {
		t.Fatalf("PlaceIdempotent = %+v, %v; want a fresh 201", resp, err)
	}
	if saved.Scope != scope || saved.Status != 201 || string(saved.Body) != string(resp.Body) || len(saved.Fingerprint) != 32 || !saved.CreatedAt.Equal(orderNow) {
		t.Errorf("saved record = %+v, want the rendered response under %+v", saved, scope)
	}
}

func TestPlaceWithoutAQuantityOrdersOne(t *testing.T) {
	f := newOrderFixture(t)
	var stock *product.Product
	f.products.EXPECT().Reserve(gomock.Any(), productID, gomock.Any(), gomock.Any(), orderNow).DoAndReturn(reserving(3, false, &stock))
	f.orders.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
	f.metrics.EXPECT().OrderCreated()
	o, err := f.core.Orders.Place(context.Background(), orderBuyer, app.PlaceOrder{ProductID: productID})
	if err != nil || o.Quantity() != order.DefaultQuantity || stock.Quantity() != 2 {
		t.Fatalf("Place without a quantity = %v, %v (stock left %d), want an order of 1 leaving 2", o, err, stock.Quantity())
	}
}
