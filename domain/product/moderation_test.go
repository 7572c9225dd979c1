package product

import (
	"errors"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/user"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

const sellerID = "seller"

var (
	seller    = user.Actor{UserID: sellerID, Role: user.RoleUser}
	stranger  = user.Actor{UserID: "other", Role: user.RoleUser}
	moderator = user.Actor{UserID: "mod", Role: user.RoleModerator}
	admin     = user.Actor{UserID: "adm", Role: user.RoleAdmin}
)

func withStatus(t *testing.T, s Status) *Product {
	t.Helper()
	p, err := New(NewParams{ID: "p1", Slug: "roses", Title: i18n.Must(i18n.Text(i18n.Uzbek, "Roses", TitleRule)), Class: Classification{ConditionID: "c", SizeID: "s"}, Price: 100, Quantity: 3, CategoryID: "c1", SellerID: sellerID}, t0)
	if err != nil {
		t.Fatal(err)
	}
	f := p.Fields()
	f.Status = s
	if s == StatusRejected {
		f.RejectionReason = "blurry photo"
	}
	return Rehydrate(f)
}

func TestApproveAndReject(t *testing.T) {
	tests := []struct {
		name    string
		from    Status
		by      user.Actor
		reject  bool
		reason  string
		want    Status
		wantErr error
		invalid bool
	}{
		{"moderator approves pending", StatusPending, moderator, false, "", StatusActive, nil, false},
		{"admin rejects pending", StatusPending, admin, true, "wrong category", StatusRejected, nil, false},
		{"seller cannot approve", StatusPending, seller, false, "", StatusPending, ErrForbidden, false},
		{"approve active is invalid", StatusActive, moderator, false, "", StatusActive, ErrInvalidState, false},
		{"approve rejected is invalid", StatusRejected, moderator, false, "", StatusRejected, ErrInvalidState, false},
		{"reject archived is invalid", StatusArchived, moderator, true, "x", StatusArchived, ErrInvalidState, false},
		{"reject needs a reason", StatusPending, moderator, true, "   ", StatusPending, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := withStatus(t, tc.from)
			var err error
			if tc.reject {
				err = p.Reject(tc.by, tc.reason, t0)
			} else {
				err = p.Approve(tc.by, t0)
			}
			if tc.invalid {
				if domain.KindOf(err) != domain.KindInvalid {
					t.Fatalf("got error %v, want a validation error", err)
				}
			} else if !errors.Is(err, tc.wantErr) {
				t.Fatalf("got error %v, want %v", err, tc.wantErr)
			}
			if p.Status() != tc.want {
				t.Errorf("status = %s, want %s", p.Status(), tc.want)
			}
			if tc.reject && err == nil && p.RejectionReason() != tc.reason {
				t.Errorf("rejection reason = %q, want %q", p.RejectionReason(), tc.reason)
			}
		})
	}
}

func TestEdit(t *testing.T) {
	yellow := "Yellow tulips"
	title := i18n.Patch{i18n.English: &yellow}
	badPrice := int64(-5)
	qty := 7
	tests := []struct {
		name       string
		from       Status
		by         user.Actor
		change     Change
		moderated  bool
		wantStatus Status
		wantErr    error
		invalid    bool
	}{
		{"seller edit of active goes back to pending", StatusActive, seller, Change{Title: title}, true, StatusPending, nil, false},
		{"seller edit of rejected goes back to pending", StatusRejected, seller, Change{Quantity: &qty}, true, StatusPending, nil, false},
		{"seller edit without moderation stays active", StatusActive, seller, Change{Title: title}, false, StatusActive, nil, false},
		{"staff edit stays active", StatusActive, moderator, Change{Title: title}, true, StatusActive, nil, false},
		{"seller edit of pending stays pending", StatusPending, seller, Change{Title: title}, true, StatusPending, nil, false},
		{"stranger is forbidden", StatusActive, stranger, Change{Title: title}, true, StatusActive, ErrForbidden, false},
		{"archived cannot be edited", StatusArchived, seller, Change{Title: title}, true, StatusArchived, ErrInvalidState, false},
		{"negative price is invalid and changes nothing", StatusActive, seller, Change{Title: title, Price: &badPrice}, true, StatusActive, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := withStatus(t, tc.from)
			before := p.Fields()
			err := p.Edit(tc.by, tc.change, tc.moderated, t0.Add(time.Hour))
			switch {
			case tc.invalid:
				if domain.KindOf(err) != domain.KindInvalid {
					t.Fatalf("Edit = %v, want a validation error", err)
				}
			case !errors.Is(err, tc.wantErr):
				t.Fatalf("Edit = %v, want %v", err, tc.wantErr)
			}
			if p.Status() != tc.wantStatus {
				t.Errorf("status = %s, want %s", p.Status(), tc.wantStatus)
			}
			if err != nil && p.Title() != before.Title {
				t.Errorf("title after failed edit = %v, want %v", p.Title().Map(), before.Title.Map())
			}
			if err == nil && tc.change.Title != nil {
				if got, _ := p.Title().Get(i18n.English); got != yellow {
					t.Errorf("English title = %q, want %q", got, yellow)
				}
				if got, _ := p.Title().Get(i18n.Uzbek); got != "Roses" {
					t.Errorf("Uzbek title = %q after merging English, want it kept %q", got, "Roses")
				}
			}
			if err == nil && p.Slug() != before.Slug {
				t.Errorf("slug = %q, want it unchanged %q", p.Slug(), before.Slug)
			}
		})
	}
}

func TestArchive(t *testing.T) {
	tests := []struct {
		name    string
		by      user.Actor
		wantErr error
		want    Status
	}{
		{"seller archives", seller, nil, StatusArchived},
		{"admin archives", admin, nil, StatusArchived},
		{"stranger is forbidden", stranger, ErrForbidden, StatusActive},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := withStatus(t, StatusActive)
			if err := p.Archive(tc.by, t0); !errors.Is(err, tc.wantErr) {
				t.Fatalf("Archive = %v, want %v", err, tc.wantErr)
			}
			if p.Status() != tc.want {
				t.Errorf("status = %s, want %s", p.Status(), tc.want)
			}
			if tc.wantErr == nil && p.VisibleTo(stranger) {
				t.Error("archived product is visible to a stranger, want hidden")
			}
		})
	}
}

func TestStockNeverBelowZero(t *testing.T) {
	p := withStatus(t, StatusActive)
	if err := p.Reserve(4, t0); !errors.Is(err, ErrOutOfStock) {
		t.Fatalf("Reserve(4) of 3 = %v, want ErrOutOfStock", err)
	}
	if err := p.Reserve(3, t0); err != nil {
		t.Fatalf("Reserve(3) of 3 = %v, want nil", err)
	}
	if p.Quantity() != 0 {
		t.Fatalf("quantity = %d, want 0", p.Quantity())
	}
	if err := p.Release(2, t0); err != nil || p.Quantity() != 2 {
		t.Fatalf("Release(2) = %v, quantity %d, want nil, 2", err, p.Quantity())
	}
}

func TestValidateImages(t *testing.T) {
	const (
		m1 = "0190a000-0000-7000-8000-000000000001"
		m2 = "0190a000-0000-7000-8000-000000000002"
	)
	ten := make([]Image, 0, 11)
	for i := range 11 {
		ten = append(ten, Image{MediaID: "0190a000-0000-7000-8000-0000000000" + string(rune('a'+i)) + "0", Position: i % 10})
	}
	tests := []struct {
		name string
		in   []Image
		ok   bool
	}{
		{"none", nil, true},
		{"two ordered by position", []Image{{MediaID: m2, Position: 2}, {MediaID: m1, Position: 1}}, true},
		{"position 9", []Image{{MediaID: m1, Position: 9}}, true},
		{"position 10", []Image{{MediaID: m1, Position: 10}}, false},
		{"no media id", []Image{{Position: 0}}, false},
		{"media id not a UUID", []Image{{MediaID: "https://a.uz/1.jpg", Position: 0}}, false},
		{"same media twice", []Image{{MediaID: m1, Position: 0}, {MediaID: m1, Position: 1}}, false},
		{"duplicate position", []Image{{MediaID: m1, Position: 0}, {MediaID: m2, Position: 0}}, false},
		{"negative position", []Image{{MediaID: m1, Position: -1}}, false},
		{"eleven", ten, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ValidateImages(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ValidateImages = %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && len(got) == 2 && got[0].Position != 1 {
				t.Errorf("first image position = %d, want 1", got[0].Position)
			}
		})
	}
}
