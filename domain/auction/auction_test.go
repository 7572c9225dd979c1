package auction_test

import (
	"errors"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/auction"
	"github.com/secondbloom/marketplace/domain/user"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

const (
	minDuration = time.Hour
	window      = 2 * time.Minute
)

func newAuction(t *testing.T, start int64, inc *int64, ends time.Time) *auction.Auction {
	t.Helper()
	a, err := auction.New(auction.NewParams{ID: "a1", ProductID: "p1", SellerID: "seller", StartPrice: start,
		MinIncrement: inc, EndsAt: ends}, t0, minDuration)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

func ptr(v int64) *int64 { return &v }

func TestNew(t *testing.T) {
	tests := []struct {
		name      string
		start     int64
		inc       *int64
		ends      time.Time
		wantField string // "" means valid
		wantInc   int64
	}{
		{"default increment is 1% of the start price", 150000, nil, t0.Add(2 * time.Hour), "", 1500},
		{"default increment is at least 1", 50, nil, t0.Add(2 * time.Hour), "", 1},
		{"explicit increment", 1000, ptr(7), t0.Add(2 * time.Hour), "", 7},
		{"exactly the minimum duration", 1000, nil, t0.Add(minDuration), "", 10},
		{"exactly 30 days", 1000, nil, t0.Add(auction.MaxDuration), "", 10},
		{"zero start price", 0, nil, t0.Add(2 * time.Hour), "startPrice", 0},
		{"start price above 10^15", 1_000_000_000_000_001, nil, t0.Add(2 * time.Hour), "startPrice", 0},
		{"zero increment", 1000, ptr(0), t0.Add(2 * time.Hour), "minIncrement", 0},
		{"negative increment", 1000, ptr(-5), t0.Add(2 * time.Hour), "minIncrement", 0},
		{"ends too soon", 1000, nil, t0.Add(minDuration - time.Second), "endsAt", 0},
		{"ends in the past", 1000, nil, t0.Add(-time.Hour), "endsAt", 0},
		{"ends after 30 days", 1000, nil, t0.Add(auction.MaxDuration + time.Second), "endsAt", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := auction.New(auction.NewParams{ID: "a1", ProductID: "p1", SellerID: "s", StartPrice: tc.start,
				MinIncrement: tc.inc, EndsAt: tc.ends}, t0, minDuration)
			if tc.wantField != "" {
				var de *domain.Error
				if !errors.As(err, &de) || de.Kind != domain.KindInvalid || len(de.Details) != 1 || de.Details[0].Field != tc.wantField {
					t.Fatalf("New() error = %#v, want a validation error on %q", err, tc.wantField)
				}
				return
			}
			if err != nil {
				t.Fatalf("New() = %v, want nil", err)
			}
			if a.MinIncrement() != tc.wantInc {
				t.Errorf("MinIncrement() = %d, want %d", a.MinIncrement(), tc.wantInc)
			}
			if a.CurrentPrice() != tc.start || a.MinNextBid() != tc.start {
				t.Errorf("CurrentPrice, MinNextBid = %d, %d, want both %d", a.CurrentPrice(), a.MinNextBid(), tc.start)
			}
			if a.Status() != auction.StatusActive || a.Currency() != "UZS" || !a.StartsAt().Equal(t0) {
				t.Errorf("Status, Currency, StartsAt = %s, %s, %s, want ACTIVE, UZS, %s", a.Status(), a.Currency(), a.StartsAt(), t0)
			}
		})
	}
}

func TestPlaceBid(t *testing.T) {
	ends := t0.Add(2 * time.Hour)
	type bid struct {
		bidder string
		amount int64
		at     time.Time
	}
	tests := []struct {
		name     string
		before   []bid // accepted bids placed first
		bid      bid
		wantErr  error
		wantMin  int64 // minNextBid in BID_TOO_LOW details
		wantEnds time.Time
	}{
		{name: "first bid at the start price", bid: bid{"b1", 1000, t0}, wantEnds: ends},
		{name: "first bid below the start price", bid: bid{"b1", 999, t0}, wantErr: auction.ErrBidTooLow, wantMin: 1000},
		{name: "second bid needs the increment", before: []bid{{"b1", 1000, t0}}, bid: bid{"b2", 1009, t0}, wantErr: auction.ErrBidTooLow, wantMin: 1010},
		{name: "an equal bid loses to the earlier one", before: []bid{{"b1", 1500, t0}}, bid: bid{"b2", 1500, t0}, wantErr: auction.ErrBidTooLow, wantMin: 1510},
		{name: "second bid with the increment", before: []bid{{"b1", 1000, t0}}, bid: bid{"b2", 1010, t0}, wantEnds: ends},
		{name: "the seller cannot bid", bid: bid{"seller", 5000, t0}, wantErr: auction.ErrSellerCannotBid},
		{name: "a bid at endsAt is too late", bid: bid{"b1", 5000, ends}, wantErr: auction.ErrNotActive},
		{name: "a bid just before endsAt moves it", bid: bid{"b1", 5000, ends.Add(-time.Second)}, wantEnds: ends.Add(-time.Second + window)},
		{name: "a bid exactly one window before endsAt does not move it", bid: bid{"b1", 5000, ends.Add(-window)}, wantEnds: ends},
		{name: "zero amount", bid: bid{"b1", 0, t0}, wantErr: domain.Invalid("amount", "must be an integer from 1 to 10^15 minor units")},
		{name: "amount above 10^15", bid: bid{"b1", 1_000_000_000_000_001, t0}, wantErr: domain.Invalid("amount", "must be an integer from 1 to 10^15 minor units")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newAuction(t, 1000, ptr(10), ends)
			for _, b := range tc.before {
				if _, err := a.PlaceBid("x", b.bidder, b.amount, b.at, window); err != nil {
					t.Fatalf("setup PlaceBid(%d) = %v", b.amount, err)
				}
			}
			before := a.Fields()
			got, err := a.PlaceBid("bid1", tc.bid.bidder, tc.bid.amount, tc.bid.at, window)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("PlaceBid(%d) = %v, want %v", tc.bid.amount, err, tc.wantErr)
				}
				if a.Fields() != before {
					t.Errorf("PlaceBid(%d) changed the auction after failing: %+v, want %+v", tc.bid.amount, a.Fields(), before)
				}
				if tc.wantMin != 0 {
					var de *domain.Error
					errors.As(err, &de)
					if len(de.Details) != 1 || de.Details[0].Field != "amount" || de.Details[0].Data["minNextBid"] != tc.wantMin {
						t.Errorf("BID_TOO_LOW details = %+v, want amount with minNextBid %d", de.Details, tc.wantMin)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("PlaceBid(%d) = %v, want nil", tc.bid.amount, err)
			}
			want := auction.Bid{ID: "bid1", AuctionID: "a1", BidderID: tc.bid.bidder, Amount: tc.bid.amount, CreatedAt: tc.bid.at}
			if got != want {
				t.Errorf("PlaceBid = %+v, want %+v", got, want)
			}
			if a.CurrentPrice() != tc.bid.amount || a.LeaderID() != tc.bid.bidder || a.BidCount() != len(tc.before)+1 {
				t.Errorf("CurrentPrice, LeaderID, BidCount = %d, %s, %d, want %d, %s, %d", a.CurrentPrice(), a.LeaderID(), a.BidCount(),
					tc.bid.amount, tc.bid.bidder, len(tc.before)+1)
			}
			if a.MinNextBid() != tc.bid.amount+10 {
				t.Errorf("MinNextBid = %d, want %d", a.MinNextBid(), tc.bid.amount+10)
			}
			if !a.EndsAt().Equal(tc.wantEnds) {
				t.Errorf("EndsAt = %s, want %s", a.EndsAt(), tc.wantEnds)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	tests := []struct {
		name    string
		actor   string
		role    user.Role
		bids    int
		status  auction.Status
		wantErr error
	}{
		{"the seller cancels", "seller", user.RoleUser, 0, auction.StatusActive, nil},
		{"an admin cancels", "admin", user.RoleAdmin, 0, auction.StatusActive, nil},
		{"a moderator may not", "mod", user.RoleModerator, 0, auction.StatusActive, auction.ErrForbidden},
		{"another user may not", "u", user.RoleUser, 0, auction.StatusActive, auction.ErrForbidden},
		{"not once there are bids", "seller", user.RoleUser, 1, auction.StatusActive, auction.ErrHasBids},
		{"not after the end", "seller", user.RoleUser, 0, auction.StatusEnded, auction.ErrInvalidState},
		{"not twice", "seller", user.RoleUser, 0, auction.StatusCancelled, auction.ErrInvalidState},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newAuction(t, 1000, nil, t0.Add(2*time.Hour)).Fields()
			f.BidCount, f.Status = tc.bids, tc.status
			a := auction.Rehydrate(f)
			err := a.Cancel(user.Actor{UserID: tc.actor, Role: tc.role}, t0.Add(time.Minute))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Cancel(%s, %s) = %v, want %v", tc.actor, tc.role, err, tc.wantErr)
			}
			wantStatus := tc.status
			if tc.wantErr == nil {
				wantStatus = auction.StatusCancelled
			}
			if a.Status() != wantStatus {
				t.Errorf("Status() = %s, want %s", a.Status(), wantStatus)
			}
		})
	}
}

func TestClose(t *testing.T) {
	ends := t0.Add(2 * time.Hour)
	t.Run("not before endsAt", func(t *testing.T) {
		a := newAuction(t, 1000, nil, ends)
		if err := a.Close(ends.Add(-time.Millisecond), ""); !errors.Is(err, auction.ErrNotDue) {
			t.Fatalf("Close before endsAt = %v, want ErrNotDue", err)
		}
		if a.Due(ends.Add(-time.Millisecond)) || !a.Due(ends) {
			t.Errorf("Due(just before, at endsAt) = %v, %v, want false, true", a.Due(ends.Add(-time.Millisecond)), a.Due(ends))
		}
	})
	t.Run("without bids there is no winner", func(t *testing.T) {
		a := newAuction(t, 1000, nil, ends)
		if err := a.Close(ends, "ignored"); err != nil {
			t.Fatalf("Close = %v, want nil", err)
		}
		if a.Status() != auction.StatusEnded || a.WinnerID() != "" || a.OrderID() != "" {
			t.Errorf("Status, WinnerID, OrderID = %s, %q, %q, want ENDED, \"\", \"\"", a.Status(), a.WinnerID(), a.OrderID())
		}
	})
	t.Run("the leader wins", func(t *testing.T) {
		a := newAuction(t, 1000, nil, ends)
		a.PlaceBid("b1", "alice", 1000, t0, window)
		a.PlaceBid("b2", "bob", 2000, t0, window)
		if err := a.Close(ends, ""); !errors.Is(err, auction.ErrWinnerOrderMissing) {
			t.Fatalf("Close without order = %v, want ErrWinnerOrderMissing", err)
		}
		if err := a.Close(ends, "order1"); err != nil {
			t.Fatalf("Close = %v, want nil", err)
		}
		if a.Status() != auction.StatusEnded || a.WinnerID() != "bob" || a.OrderID() != "order1" {
			t.Errorf("Status, WinnerID, OrderID = %s, %q, %q, want ENDED, bob, order1", a.Status(), a.WinnerID(), a.OrderID())
		}
		if err := a.Close(ends, "order2"); !errors.Is(err, auction.ErrInvalidState) {
			t.Errorf("second Close = %v, want ErrInvalidState", err)
		}
		if _, err := a.PlaceBid("b3", "carol", 5000, ends.Add(-time.Hour), window); !errors.Is(err, auction.ErrNotActive) {
			t.Errorf("PlaceBid after Close = %v, want ErrNotActive", err)
		}
	})
}
