package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/reference"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/mocks"
	"github.com/secondbloom/marketplace/ports"
)

var catalogT0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

type catalogFixture struct {
	svc   *CatalogService
	cats  *mocks.MockCategoryRepository
	prods *mocks.MockProductRepository
	// events stands for the transaction's recorder: the events are what
	// reaches the caches (and everything else) after the commit.
	events  *mocks.MockEventRecorder
	usage   *mocks.MockProductUsage
	auction *mocks.MockOpenAuctionChecker
}

func newCatalogFixture(t *testing.T, moderation bool) catalogFixture {
	ctrl := gomock.NewController(t)
	f := catalogFixture{
		cats:    mocks.NewMockCategoryRepository(ctrl),
		prods:   mocks.NewMockProductRepository(ctrl),
		events:  mocks.NewMockEventRecorder(ctrl),
		usage:   mocks.NewMockProductUsage(ctrl),
		auction: mocks.NewMockOpenAuctionChecker(ctrl),
	}
	clock := mocks.NewMockClock(ctrl)
	clock.EXPECT().Now().Return(catalogT0).AnyTimes()
	// The transaction hands out the same mocks, bound to "the tx".
	tx := mocks.NewMockTransactor(ctrl)
	txRepos := ports.Repos{Categories: f.cats, Products: f.prods, ProductUsage: f.usage, OpenAuctions: f.auction, Events: f.events}
	tx.EXPECT().WithinTx(gomock.Any(), gomock.Any()).DoAndReturn(
		func(ctx context.Context, fn func(context.Context, ports.Repos) error) error { return fn(ctx, txRepos) }).AnyTimes()
	refs := mocks.NewMockReferenceRepository(ctrl)
	refs.EXPECT().All(gomock.Any()).Return([]*reference.Item{
		reference.Rehydrate(reference.Fields{ID: conditionID, Kind: reference.Conditions, Code: "freshest"}),
		reference.Rehydrate(reference.Fields{ID: sizeID, Kind: reference.Sizes, Code: "small"}),
	}, nil).AnyTimes()
	f.svc = newCatalogService(tx, f.cats, f.prods, mocks.NewMockMediaRepository(ctrl), clock, moderation, newReferenceService(tx, refs, clock))
	return f
}

const (
	catID       = "0193a000-0000-7000-8000-000000000001"
	sellerID    = "0193a000-0000-7000-8000-000000000002"
	prodID      = "0193a000-0000-7000-8000-000000000003"
	conditionID = "0193a000-0000-7000-8000-000000000004"
	sizeID      = "0193a000-0000-7000-8000-000000000005"
)

var class = product.Classification{ConditionID: conditionID, SizeID: sizeID}

// uz returns s as an Uzbek title.
func uz(s string) i18n.Localized {
	l, _ := i18n.Text(i18n.Uzbek, s, product.TitleRule)
	return l
}

var seller = user.Actor{UserID: sellerID, Role: user.RoleUser}

func activeCategory(active bool) *category.Category {
	return category.Rehydrate(category.Fields{ID: catID, Name: uz("Roses"), Slug: "roses", Active: active})
}

func storedProduct(status product.Status) *product.Product {
	return product.Rehydrate(product.Fields{ID: prodID, Slug: "roses", Title: uz("Roses"), Price: 100, Currency: "UZS",
		Quantity: 2, CategoryID: catID, SellerID: sellerID, Status: status})
}

func newRoses() NewProduct {
	return NewProduct{Title: uz("Qizil atirgul o‘zbek"), Price: 150000, Quantity: ptr(3), CategoryID: catID, Class: class}
}

func TestCreateProductStoresPendingAndInvalidatesTheCache(t *testing.T) {
	f := newCatalogFixture(t, true)
	f.cats.EXPECT().Get(gomock.Any(), catID).Return(activeCategory(true), nil)
	var stored *product.Product
	gomock.InOrder(
		f.prods.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, p *product.Product) error {
			stored = p
			return nil
		}),
		f.events.EXPECT().Record(gomock.Any()).Do(func(evs ...event.Event) {
			if len(evs) != 1 || evs[0].Name != event.ProductCreated || evs[0].ProductID() != stored.ID() {
				t.Errorf("Record(%+v), want product.created of the new product %q", evs, stored.ID())
			}
		}),
	)
	p, err := f.svc.CreateProduct(context.Background(), seller, newRoses())
	if err != nil {
		t.Fatalf("CreateProduct = %v", err)
	}
	if p.Status() != product.StatusPending || p.Slug() != "qizil-atirgul-o-zbek" || p.SellerID() != sellerID {
		t.Errorf("created %s %q by %s, want PENDING qizil-atirgul-o-zbek by the seller", p.Status(), p.Slug(), p.SellerID())
	}
}

func TestCreateProductPublishesAtOnceForStaffOrWithoutModeration(t *testing.T) {
	tests := []struct {
		name       string
		by         user.Actor
		moderation bool
		want       product.Status
	}{
		{"moderator with moderation on", user.Actor{UserID: sellerID, Role: user.RoleModerator}, true, product.StatusActive},
		{"admin with moderation on", user.Actor{UserID: sellerID, Role: user.RoleAdmin}, true, product.StatusActive},
		{"user with moderation off", seller, false, product.StatusActive},
		{"user with moderation on", seller, true, product.StatusPending},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newCatalogFixture(t, tc.moderation)
			f.cats.EXPECT().Get(gomock.Any(), catID).Return(activeCategory(true), nil)
			f.prods.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
			f.events.EXPECT().Record(gomock.Any())
			p, err := f.svc.CreateProduct(context.Background(), tc.by, newRoses())
			if err != nil || p.Status() != tc.want {
				t.Fatalf("CreateProduct = %v, %v; want status %s", p, err, tc.want)
			}
		})
	}
}

func TestCreateProductInUnknownOrInactiveCategoryIsNotFound(t *testing.T) {
	tests := []struct {
		name string
		cat  *category.Category
		err  error
	}{
		{"unknown", nil, category.ErrNotFound},
		{"inactive", activeCategory(false), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newCatalogFixture(t, true)
			f.cats.EXPECT().Get(gomock.Any(), catID).Return(tc.cat, tc.err)
			// No Create and no Invalidate are expected: gomock fails the
			// test if either happens.
			_, err := f.svc.CreateProduct(context.Background(), seller, newRoses())
			if !errors.Is(err, category.ErrNotFound) {
				t.Errorf("CreateProduct = %v, want category.ErrNotFound", err)
			}
		})
	}
}

func TestCreateProductWithTheSellersLiveTitleIsAConflict(t *testing.T) {
	f := newCatalogFixture(t, true)
	f.cats.EXPECT().Get(gomock.Any(), catID).Return(activeCategory(true), nil)
	f.prods.EXPECT().Create(gomock.Any(), gomock.Any()).Return(product.ErrDuplicate)
	_, err := f.svc.CreateProduct(context.Background(), seller, newRoses())
	if !errors.Is(err, product.ErrDuplicate) || domain.KindOf(err) != domain.KindConflict {
		t.Errorf("CreateProduct = %v, want product.ErrDuplicate (conflict)", err)
	}
}

func TestCreateProductRetriesATakenSlugWithASuffix(t *testing.T) {
	f := newCatalogFixture(t, true)
	f.cats.EXPECT().Get(gomock.Any(), catID).Return(activeCategory(true), nil)
	var tried []string
	f.prods.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, p *product.Product) error {
		tried = append(tried, p.Slug())
		if len(tried) < 3 {
			return product.ErrSlugTaken
		}
		return nil
	}).Times(3)
	f.events.EXPECT().Record(gomock.Any())
	p, err := f.svc.CreateProduct(context.Background(), seller, NewProduct{Title: uz("Красные розы"), Price: 1, Quantity: ptr(1), CategoryID: catID, Class: class})
	if err != nil {
		t.Fatalf("CreateProduct = %v", err)
	}
	want := []string{"красные-розы", "красные-розы-2", "красные-розы-3"}
	if len(tried) != 3 || tried[0] != want[0] || tried[1] != want[1] || tried[2] != want[2] || p.Slug() != want[2] {
		t.Errorf("slugs tried %v, got %q; want %v", tried, p.Slug(), want)
	}
}

func TestCreateProductWithBadValuesTouchesNothing(t *testing.T) {
	f := newCatalogFixture(t, true)
	_, err := f.svc.CreateProduct(context.Background(), seller, NewProduct{Title: uz("  "), Price: -1, Quantity: ptr(-1), CategoryID: catID, Class: class})
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindInvalid || len(de.Details) != 3 {
		t.Fatalf("CreateProduct = %v, want a validation error with 3 details", err)
	}
}

func TestGetProduct(t *testing.T) {
	tests := []struct {
		name   string
		status product.Status
		viewer user.Actor
		err    error
		want   error
	}{
		{"missing is not found", "", user.Actor{}, product.ErrNotFound, product.ErrNotFound},
		{"active is visible to anyone", product.StatusActive, user.Actor{}, nil, nil},
		{"pending is hidden from strangers", product.StatusPending, user.Actor{UserID: "x", Role: user.RoleUser}, nil, product.ErrNotFound},
		{"pending is visible to its seller", product.StatusPending, seller, nil, nil},
		{"archived is visible to moderators", product.StatusArchived, user.Actor{UserID: "m", Role: user.RoleModerator}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newCatalogFixture(t, true)
			var stored *product.Product
			if tc.err == nil {
				stored = storedProduct(tc.status)
			}
			f.prods.EXPECT().Get(gomock.Any(), prodID).Return(stored, tc.err)
			_, err := f.svc.GetProduct(context.Background(), tc.viewer, prodID)
			if !errors.Is(err, tc.want) {
				t.Errorf("GetProduct = %v, want %v", err, tc.want)
			}
		})
	}
}

// updating runs Update's closure on a stored product of the given status,
// as the repository would under the row lock.
func updating(t *testing.T, status product.Status, check func(p *product.Product)) func(context.Context, string, func(*product.Product) error) (*product.Product, error) {
	return func(_ context.Context, _ string, fn func(*product.Product) error) (*product.Product, error) {
		p := storedProduct(status)
		if err := fn(p); err != nil {
			return nil, err
		}
		if check != nil {
			check(p)
		}
		return p, nil
	}
}

func TestArchiveProduct(t *testing.T) {
	t.Run("needed by an open order is a conflict and changes nothing", func(t *testing.T) {
		f := newCatalogFixture(t, true)
		f.prods.EXPECT().Update(gomock.Any(), prodID, gomock.Any()).DoAndReturn(updating(t, product.StatusActive, nil))
		f.usage.EXPECT().InUse(gomock.Any(), prodID).Return(true, nil)
		if err := f.svc.ArchiveProduct(context.Background(), seller, prodID); !errors.Is(err, ErrProductInUse) {
			t.Errorf("ArchiveProduct = %v, want ErrProductInUse", err)
		}
	})
	t.Run("by a stranger is forbidden", func(t *testing.T) {
		f := newCatalogFixture(t, true)
		f.prods.EXPECT().Update(gomock.Any(), prodID, gomock.Any()).DoAndReturn(updating(t, product.StatusActive, nil))
		if err := f.svc.ArchiveProduct(context.Background(), user.Actor{UserID: "x", Role: user.RoleUser}, prodID); !errors.Is(err, product.ErrForbidden) {
			t.Errorf("ArchiveProduct = %v, want product.ErrForbidden", err)
		}
	})
	t.Run("a stranger cannot see a pending product", func(t *testing.T) {
		f := newCatalogFixture(t, true)
		f.prods.EXPECT().Update(gomock.Any(), prodID, gomock.Any()).DoAndReturn(updating(t, product.StatusPending, nil))
		if err := f.svc.ArchiveProduct(context.Background(), user.Actor{UserID: "x", Role: user.RoleUser}, prodID); !errors.Is(err, product.ErrNotFound) {
			t.Errorf("ArchiveProduct = %v, want product.ErrNotFound", err)
		}
	})
	t.Run("by the seller archives and invalidates after the commit", func(t *testing.T) {
		f := newCatalogFixture(t, true)
		gomock.InOrder(
			f.prods.EXPECT().Update(gomock.Any(), prodID, gomock.Any()).DoAndReturn(updating(t, product.StatusActive, func(p *product.Product) {
				if p.Status() != product.StatusArchived {
					t.Errorf("status after archive = %s, want ARCHIVED", p.Status())
				}
			})),
			f.events.EXPECT().Record(gomock.Any()).Do(func(evs ...event.Event) {
				if len(evs) != 1 || evs[0].ProductID() != prodID || evs[0].Data["action"] != "archive" {
					t.Errorf("Record(%+v), want the archive of %s", evs, prodID)
				}
			}),
		)
		f.usage.EXPECT().InUse(gomock.Any(), prodID).Return(false, nil)
		f.auction.EXPECT().HasOpenAuction(gomock.Any(), prodID).Return(false, nil)
		if err := f.svc.ArchiveProduct(context.Background(), seller, prodID); err != nil {
			t.Errorf("ArchiveProduct = %v", err)
		}
	})
}

func TestModerationIsForStaffOnly(t *testing.T) {
	f := newCatalogFixture(t, true)
	if _, err := f.svc.ApproveProduct(context.Background(), seller, prodID); !errors.Is(err, ErrStaffOnly) {
		t.Errorf("ApproveProduct by a user = %v, want ErrStaffOnly", err)
	}
}

func TestUpdateCategoryRefusesACycle(t *testing.T) {
	f := newCatalogFixture(t, true)
	admin := user.Actor{UserID: "a", Role: user.RoleAdmin}
	child := "0193a000-0000-7000-8000-0000000000c1"
	f.cats.EXPECT().Get(gomock.Any(), child).Return(category.Rehydrate(category.Fields{ID: child, ParentID: catID, Active: true}), nil)
	_, err := f.svc.UpdateCategory(context.Background(), admin, catID, category.Change{ParentID: ptr(child)})
	if !errors.Is(err, category.ErrCycle) {
		t.Errorf("UpdateCategory(parent = own child) = %v, want category.ErrCycle", err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestEditsThatChangeNothingAndInvertedPriceRangesAreRefused(t *testing.T) {
	f := newCatalogFixture(t, true)
	admin := user.Actor{UserID: sellerID, Role: user.RoleAdmin}
	if _, err := f.svc.UpdateProduct(context.Background(), seller, prodID, product.Change{}); !errors.Is(err, product.ErrEmptyChange) {
		t.Errorf("UpdateProduct(no change) = %v, want %v", err, product.ErrEmptyChange)
	}
	if _, err := f.svc.UpdateCategory(context.Background(), admin, catID, category.Change{}); !errors.Is(err, category.ErrEmptyChange) {
		t.Errorf("UpdateCategory(no change) = %v, want %v", err, category.ErrEmptyChange)
	}
	lo, hi := int64(500), int64(100)
	_, _, err := f.svc.ListProducts(context.Background(), user.Actor{}, ports.ProductFilter{MinPrice: &lo, MaxPrice: &hi}, ports.Sort{}, ports.Page{Number: 1, Limit: 20})
	if domain.KindOf(err) != domain.KindInvalid {
		t.Errorf("ListProducts(minPrice 500, maxPrice 100) = %v, want a validation error", err)
	}
}
