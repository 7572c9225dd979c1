package order_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/domain/user"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

const (
	seller = "seller"
	buyer  = "buyer"
	admin  = "admin"
	nobody = "nobody"
)

func params() order.NewParams {
	return order.NewParams{ID: "o1", Number: "SB-20261126-AAAAAAAA", ProductID: "p1", SellerID: seller, BuyerID: buyer,
		Quantity: 3, UnitPrice: 150000, Currency: "UZS"}
}

func newOrder(t *testing.T) *order.Order {
	t.Helper()
	o, err := order.New(params(), t0)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestNew(t *testing.T) {
	o := newOrder(t)
	if o.TotalPrice() != 450000 || o.Status() != order.StatusPending || o.PaymentStatus() != order.PaymentPending {
		t.Errorf("New = total %d, %s, %s; want 450000, PENDING, PENDING", o.TotalPrice(), o.Status(), o.PaymentStatus())
	}
	tests := []struct {
		name   string
		change func(*order.NewParams)
		field  string
	}{
		{"zero quantity", func(p *order.NewParams) { p.Quantity = 0 }, "quantity"},
		{"quantity over 100", func(p *order.NewParams) { p.Quantity = 101 }, "quantity"},
		{"zero price", func(p *order.NewParams) { p.UnitPrice = 0 }, "unitPrice"},
		{"bad currency", func(p *order.NewParams) { p.Currency = "uzs" }, "currency"},
		{"long address", func(p *order.NewParams) { p.ShippingAddress = strings.Repeat("a", 501) }, "shippingAddress"},
		{"long notes", func(p *order.NewParams) { p.Notes = strings.Repeat("ж", 1001) }, "notes"},
		{"control character in notes", func(p *order.NewParams) { p.Notes = "a\x00b" }, "notes"},
		{"bidi override in the address", func(p *order.NewParams) { p.ShippingAddress = "Tashkent \u202E" }, "shippingAddress"},
		{"historic currency", func(p *order.NewParams) { p.Currency = "HRK" }, "currency"},
		{"no product", func(p *order.NewParams) { p.ProductID = "" }, "productId"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := params()
			tc.change(&p)
			_, err := order.New(p, t0)
			var de *domain.Error
			if !errors.As(err, &de) || de.Kind != domain.KindInvalid || len(de.Details) != 1 || de.Details[0].Field != tc.field {
				t.Errorf("New = %v, want one validation detail for %s", err, tc.field)
			}
		})
	}
	t.Run("own product", func(t *testing.T) {
		p := params()
		p.BuyerID = seller
		if _, err := order.New(p, t0); !errors.Is(err, order.ErrOwnProduct) {
			t.Errorf("New(buyer = seller) = %v, want ErrOwnProduct", err)
		}
	})
	t.Run("texts are trimmed and limits are in characters", func(t *testing.T) {
		p := params()
		p.ShippingAddress = "  " + strings.Repeat("ў", 500) + " \n"
		o, err := order.New(p, t0)
		if err != nil || len([]rune(o.ShippingAddress())) != 500 {
			t.Errorf("New(500 Cyrillic characters) = %v; want accepted and trimmed", err)
		}
	})
}

func TestNewFromAuction(t *testing.T) {
	o, err := order.NewFromAuction(order.AuctionParams{ID: "o", Number: "SB-20261126-AAAAAAAA", AuctionID: "a1",
		ProductID: "p", SellerID: seller, WinnerID: buyer, Amount: 777000}, t0)
	if err != nil || o.Quantity() != 1 || o.UnitPrice() != 777000 || o.TotalPrice() != 777000 || o.AuctionID() != "a1" || o.Currency() != "UZS" {
		t.Fatalf("NewFromAuction = %+v, %v; want quantity 1 at 777000 UZS for auction a1", o, err)
	}
	if _, err := order.NewFromAuction(order.AuctionParams{ID: "o", Number: "n", ProductID: "p", SellerID: seller, WinnerID: buyer, Amount: 1}, t0); domain.KindOf(err) != domain.KindInvalid {
		t.Errorf("NewFromAuction(no auction) = %v, want a validation error", err)
	}
}

func TestFormatNumber(t *testing.T) {
	got := order.FormatNumber(t0, []byte{0, 0, 0, 0, 0})
	if want := "SB-20261126-AAAAAAAA"; got != want {
		t.Errorf("FormatNumber = %q, want %q", got, want)
	}
	if got := order.FormatNumber(t0, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 9}); got != "SB-20261126-77777777" {
		t.Errorf("FormatNumber(all ones) = %q, want SB-20261126-77777777", got)
	}
}

func TestTransitions(t *testing.T) {
	confirm := func(o *order.Order, who string) error { return o.Confirm(who, t0) }
	ship := func(o *order.Order, who string) error { return o.Ship(who, t0) }
	deliver := func(o *order.Order, who string) error { return o.Deliver(who, t0) }
	cancel := func(o *order.Order, who string) error {
		_, err := o.Cancel(user.Actor{UserID: who, Role: roleOf(who)}, "", t0)
		return err
	}
	pay := func(o *order.Order, who string) error {
		role := user.RoleUser
		if who == admin {
			role = user.RoleAdmin
		}
		return o.MarkPaid(user.Actor{UserID: who, Role: role}, t0)
	}
	type step = func(*order.Order, string) error
	tests := []struct {
		name   string
		before []step // run by the right actor first
		do     step
		who    string
		want   error
		status order.Status
	}{
		{"seller confirms", nil, confirm, seller, nil, order.StatusConfirmed},
		{"buyer cannot confirm", nil, confirm, buyer, order.ErrForbidden, order.StatusPending},
		{"admin cannot confirm", nil, confirm, admin, order.ErrForbidden, order.StatusPending},
		{"confirm twice", []step{confirm}, confirm, seller, order.ErrInvalidState, order.StatusConfirmed},
		{"ship a pending order", nil, ship, seller, order.ErrInvalidState, order.StatusPending},
		{"seller ships", []step{confirm}, ship, seller, nil, order.StatusShipped},
		{"buyer cannot ship", []step{confirm}, ship, buyer, order.ErrForbidden, order.StatusConfirmed},
		{"buyer receives", []step{confirm, ship}, deliver, buyer, nil, order.StatusDelivered},
		{"seller cannot deliver", []step{confirm, ship}, deliver, seller, order.ErrForbidden, order.StatusShipped},
		{"deliver unshipped", []step{confirm}, deliver, buyer, order.ErrInvalidState, order.StatusConfirmed},
		{"buyer cancels pending", nil, cancel, buyer, nil, order.StatusCancelled},
		{"seller cancels confirmed", []step{confirm}, cancel, seller, nil, order.StatusCancelled},
		{"stranger cannot cancel", nil, cancel, nobody, order.ErrForbidden, order.StatusPending},
		{"admin cancels as staff", nil, cancel, admin, nil, order.StatusCancelled},
		{"cancel shipped", []step{confirm, ship}, cancel, buyer, order.ErrInvalidState, order.StatusShipped},
		{"cancel twice", []step{cancel}, cancel, buyer, order.ErrInvalidState, order.StatusCancelled},
		{"seller marks paid", nil, pay, seller, nil, order.StatusPending},
		{"admin marks paid", []step{confirm, ship}, pay, admin, nil, order.StatusShipped},
		{"buyer cannot mark paid", nil, pay, buyer, order.ErrForbidden, order.StatusPending},
		{"pay twice", []step{pay}, pay, seller, order.ErrInvalidState, order.StatusPending},
		{"pay cancelled", []step{cancel}, pay, seller, order.ErrInvalidState, order.StatusCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrder(t)
			for _, s := range tc.before {
				who := seller
				if err := s(o, who); err != nil {
					if err := s(o, buyer); err != nil {
						t.Fatalf("setup step: %v", err)
					}
				}
			}
			if err := tc.do(o, tc.who); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Errorf("transition by %s = %v, want %v", tc.who, err, tc.want)
			}
			if o.Status() != tc.status {
				t.Errorf("status = %s, want %s", o.Status(), tc.status)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	o := newOrder(t)
	if err := o.MarkPaid(user.Actor{UserID: seller, Role: user.RoleUser}, t0); err != nil {
		t.Fatal(err)
	}
	qty, err := o.Cancel(user.Actor{UserID: buyer}, " changed my mind ", t0.Add(time.Hour))
	if err != nil || qty != 3 {
		t.Fatalf("Cancel = %d, %v; want 3, nil", qty, err)
	}
	if o.PaymentStatus() != order.PaymentRefunded || o.CancelReason() != "changed my mind" || !o.UpdatedAt().Equal(t0.Add(time.Hour)) {
		t.Errorf("after Cancel of a paid order: %s, reason %q, updated %v; want REFUNDED, trimmed reason, an hour later",
			o.PaymentStatus(), o.CancelReason(), o.UpdatedAt())
	}
	o2 := newOrder(t)
	if _, err := o2.Cancel(user.Actor{UserID: buyer}, strings.Repeat("x", 501), t0); domain.KindOf(err) != domain.KindInvalid || o2.Status() != order.StatusPending {
		t.Errorf("Cancel(501-character reason) = %v, status %s; want a validation error and PENDING", err, o2.Status())
	}
}

func TestVisibleTo(t *testing.T) {
	o := newOrder(t)
	tests := []struct {
		who  string
		role user.Role
		want bool
	}{
		{buyer, user.RoleUser, true},
		{seller, user.RoleUser, true},
		{admin, user.RoleAdmin, true},
		{nobody, user.RoleModerator, false},
		{nobody, user.RoleUser, false},
		{"", user.RoleUser, false},
	}
	for _, tc := range tests {
		if got := o.VisibleTo(user.Actor{UserID: tc.who, Role: tc.role}); got != tc.want {
			t.Errorf("VisibleTo(%q, %s) = %v, want %v", tc.who, tc.role, got, tc.want)
		}
	}
}

// roleOf gives the test's admin the ADMIN role and everyone else USER.
func roleOf(who string) user.Role {
	if who == admin {
		return user.RoleAdmin
	}
	return user.RoleUser
}

func TestCancelRecordsWhoCancelled(t *testing.T) {
	for _, tc := range []struct {
		who  user.Actor
		want order.Party
	}{
		{user.Actor{UserID: buyer}, order.PartyBuyer},
		{user.Actor{UserID: seller}, order.PartySeller},
		{user.Actor{UserID: admin, Role: user.RoleAdmin}, order.PartyStaff},
	} {
		o := newOrder(t)
		if _, err := o.Cancel(tc.who, "", t0); err != nil || o.CancelledBy() != tc.want {
			t.Errorf("Cancel by %+v = %v, cancelledBy %q, want %q", tc.who, err, o.CancelledBy(), tc.want)
		}
	}
	o := newOrder(t)
	if _, err := o.Cancel(user.Actor{UserID: "stranger", Role: user.RoleModerator}, "", t0); !errors.Is(err, order.ErrForbidden) || o.CancelledBy() != "" {
		t.Errorf("Cancel by a moderator = %v (cancelledBy %q), want ErrForbidden and nothing recorded", err, o.CancelledBy())
	}
}
