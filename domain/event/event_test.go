package event_test

import (
	"testing"

	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/domain/user"
)

func TestProductIDNamesTheProductWhoseStoredStateChanged(t *testing.T) {
	const p, o, a = "p1", "o1", "a1"
	by := user.Actor{UserID: "u1"}
	tests := []struct {
		name string
		e    event.Event
		want string
	}{
		{"product edited", event.New(event.ProductChanged, by, event.SubjectProduct, p, "action", "edit"), p},
		{"product created", event.New(event.ProductCreated, by, event.SubjectProduct, p), p},
		{"order placed takes stock", event.New(event.OrderPlaced, by, event.SubjectOrder, o, "productId", p), p},
		{"order cancelled gives stock back", event.New(event.OrderTransitioned, by, event.SubjectOrder, o, "productId", p, "restocked", "true"), p},
		{"order confirmed leaves stock alone", event.New(event.OrderTransitioned, by, event.SubjectOrder, o, "productId", p, "restocked", "false"), ""},
		{"auction won takes the item", event.New(event.AuctionClosed, by, event.SubjectAuction, a, "productId", p, "orderId", o), p},
		{"auction ended without bids", event.New(event.AuctionClosed, by, event.SubjectAuction, a, "productId", p, "orderId", ""), ""},
		{"bid", event.New(event.BidAccepted, by, event.SubjectAuction, a, "productId", p), ""},
		{"category", event.New(event.CategoryChanged, by, event.SubjectCategory, "c1"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.e.ProductID(); got != tc.want {
				t.Errorf("ProductID() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewIgnoresAnOddTrailingKey(t *testing.T) {
	e := event.New(event.ProductChanged, user.Actor{}, event.SubjectProduct, "p", "action", "edit", "dangling")
	if len(e.Data) != 1 || e.Data["action"] != "edit" {
		t.Errorf("Data = %v, want only action=edit", e.Data)
	}
}
