package acceptance

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/secondbloom/marketplace/acceptance/apiclient"
	"github.com/secondbloom/marketplace/acceptance/testenv"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain/auth"
)

// A mobile team generates a client from /api/v1/openapi.json and, with it
// alone, signs in with a fixed test code, finds a bouquet and orders it
// over a real socket.
func TestAClientGeneratedFromTheOpenAPISignsInAndOrders(t *testing.T) {
	const buyerPhone, testCode = "+998900000001", "123456"
	opt := testenv.Options{Configure: func(c *app.Config) {
		c.TestCodes = map[string]auth.Code{buyerPhone: testCode}
	}}
	testenv.ForEachBackend(t, opt, func(t *testing.T, e *testenv.Env) {
		ctx := context.Background()
		m := newMarket(t, e)
		productID := m.product(t, 3, 125000)

		base := e.Listen(t)
		hc := &http.Client{Transport: testenv.ContractTransport(t, nil)}
		anon, err := apiclient.NewClientWithResponses(base, apiclient.WithHTTPClient(hc))
		if err != nil {
			t.Fatal(err)
		}

		sent, err := anon.SendOtpWithResponse(ctx, apiclient.SendOtpJSONRequestBody{PhoneNumber: buyerPhone})
		if err != nil || sent.JSON201 == nil {
			t.Fatalf("sendOtp = %v, %v %s; want 201", err, sent.StatusCode(), sent.Body)
		}
		if code := e.SMS.LastCode(buyerPhone); code != "" {
			t.Errorf("a phone with a fixed test code got an SMS with code %s", code)
		}
		signedIn, err := anon.VerifyOtpWithResponse(ctx, apiclient.VerifyOtpJSONRequestBody{PhoneNumber: buyerPhone, Code: testCode})
		if err != nil || signedIn.JSON201 == nil {
			t.Fatalf("verifyOtp = %v, %v %s; want 201", err, signedIn.StatusCode(), signedIn.Body)
		}
		tokens := signedIn.JSON201.Data
		if tokens.User.PhoneNumber != buyerPhone || tokens.AccessToken == "" {
			t.Fatalf("verifyOtp data = %+v, want tokens for %s", tokens, buyerPhone)
		}

		buyer, err := apiclient.NewClientWithResponses(base, apiclient.WithHTTPClient(hc),
			apiclient.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
				r.Header.Set("Authorization", "Bearer "+tokens.AccessToken)
				return nil
			}))
		if err != nil {
			t.Fatal(err)
		}
		me, err := buyer.GetMeWithResponse(ctx)
		if err != nil || me.JSON200 == nil || me.JSON200.Data.Id != tokens.User.Id {
			t.Fatalf("getMe = %v, %v %s; want the signed-in user", err, me.StatusCode(), me.Body)
		}

		limit := 10
		list, err := buyer.ListProductsWithResponse(ctx, &apiclient.ListProductsParams{Limit: &limit})
		if err != nil || list.JSON200 == nil {
			t.Fatalf("listProducts = %v, %v %s; want 200", err, list.StatusCode(), list.Body)
		}
		var found *apiclient.Product
		for i, p := range list.JSON200.Data {
			if p.Id.String() == productID {
				found = &list.JSON200.Data[i]
			}
		}
		if found == nil {
			t.Fatalf("listProducts = %s, want product %s in it", list.Body, productID)
		}
		if pg := list.JSON200.Meta.Pagination; pg.Total < 1 || pg.Limit != limit {
			t.Errorf("listProducts pagination = %+v, want a total of at least 1 and limit %d", pg, limit)
		}

		qty, key := 2, uuid.NewString()
		placed, err := buyer.PlaceOrderWithResponse(ctx, &apiclient.PlaceOrderParams{IdempotencyKey: &key},
			apiclient.PlaceOrderJSONRequestBody{ProductId: found.Id, Quantity: &qty})
		if err != nil || placed.JSON201 == nil {
			t.Fatalf("placeOrder = %v, %v %s; want 201", err, placed.StatusCode(), placed.Body)
		}
		o := placed.JSON201.Data
		if o.Status != "PENDING" || o.PaymentStatus != "PENDING" || o.Quantity != 2 || o.UnitPrice != found.Price || o.TotalPrice != 2*found.Price || o.BuyerId != tokens.User.Id {
			t.Errorf("placeOrder data = %+v, want a PENDING order of 2 at %d for the buyer", o, found.Price)
		}
		if left := m.stock(t, productID); left != 1 {
			t.Errorf("stock after ordering 2 of 3 = %d, want 1", left)
		}

		replay, err := buyer.PlaceOrderWithResponse(ctx, &apiclient.PlaceOrderParams{IdempotencyKey: &key},
			apiclient.PlaceOrderJSONRequestBody{ProductId: found.Id, Quantity: &qty})
		if err != nil || replay.JSON201 == nil || replay.JSON201.Data.Id != o.Id || replay.HTTPResponse.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("placeOrder retried with its key = %v, %v %s; want the first order replayed", err, replay.StatusCode(), replay.Body)
		}

		got, err := buyer.GetOrderWithResponse(ctx, o.Id)
		if err != nil || got.JSON200 == nil || got.JSON200.Data.Number != o.Number {
			t.Errorf("getOrder = %v, %v %s; want order %s", err, got.StatusCode(), got.Body, o.Number)
		}

		// Errors arrive typed too.
		tooMany := 5
		refused, err := buyer.PlaceOrderWithResponse(ctx, nil, apiclient.PlaceOrderJSONRequestBody{ProductId: found.Id, Quantity: &tooMany})
		if err != nil || refused.JSON409 == nil || refused.JSON409.Error.Code != "OUT_OF_STOCK" {
			t.Errorf("placeOrder beyond the stock = %v, %v %s; want 409 OUT_OF_STOCK", err, refused.StatusCode(), refused.Body)
		}
	})
}
