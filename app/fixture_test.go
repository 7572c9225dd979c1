package app_test

import (
	"context"

	"go.uber.org/mock/gomock"

	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain/audit"
	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/domain/i18n"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/reference"
	"github.com/secondbloom/marketplace/mocks"
	"github.com/secondbloom/marketplace/ports"
)

// fullRepos fills the repositories a test does not use with mocks that
// expect nothing, so app.New accepts the set.
func fullRepos(ctrl *gomock.Controller, r ports.Repos) ports.Repos {
	if r.Users == nil {
		r.Users = mocks.NewMockUserRepository(ctrl)
	}
	if r.Challenges == nil {
		r.Challenges = mocks.NewMockChallengeRepository(ctrl)
	}
	if r.Sessions == nil {
		r.Sessions = mocks.NewMockSessionRepository(ctrl)
	}
	if r.Categories == nil {
		r.Categories = mocks.NewMockCategoryRepository(ctrl)
	}
	if r.Products == nil {
		r.Products = mocks.NewMockProductRepository(ctrl)
	}
	if r.Auctions == nil {
		r.Auctions = mocks.NewMockAuctionRepository(ctrl)
	}
	if r.Orders == nil {
		r.Orders = mocks.NewMockOrderRepository(ctrl)
	}
	if r.Idempotency == nil {
		r.Idempotency = mocks.NewMockIdempotencyRepository(ctrl)
	}
	if r.OpenAuctions == nil {
		r.OpenAuctions = mocks.NewMockOpenAuctionChecker(ctrl)
	}
	if r.Notifications == nil {
		// The notification projection writes through this; tests about
		// notifications use a store instead.
		n := mocks.NewMockNotificationRepository(ctrl)
		n.EXPECT().Add(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes()
		r.Notifications = n
	}
	if r.ProductUsage == nil {
		r.ProductUsage = mocks.NewMockProductUsage(ctrl)
	}
	if r.Reference == nil {
		r.Reference = mocks.NewMockReferenceRepository(ctrl)
	}
	if r.Events == nil {
		r.Events = mocks.NewMockEventRecorder(ctrl)
	}
	if r.Media == nil {
		r.Media = mocks.NewMockMediaRepository(ctrl)
	}
	if r.Audit == nil {
		r.Audit = mocks.NewMockAuditRepository(ctrl)
	}
	return r
}

// recorder collects a transaction's events, as a store does.
type recorder struct{ events []event.Event }

func (r *recorder) Record(evs ...event.Event) { r.events = append(r.events, evs...) }

// committing returns a WithinTx that behaves as the stores do: fn runs on
// repos with a fresh event recorder, and when fn succeeds the recorded
// events go to the core's relay (*core, set once the core is built).
func committing(repos ports.Repos, core **app.App) func(context.Context, func(context.Context, ports.Repos) error) error {
	return func(ctx context.Context, fn func(context.Context, ports.Repos) error) error {
		rec := &recorder{}
		r := repos
		r.Events = rec
		if err := fn(ctx, r); err != nil {
			return err
		}
		if len(rec.events) > 0 {
			(*core).Events.Committed(rec.events)
		}
		return nil
	}
}

func ptr[T any](v T) *T { return &v }

func categoryRename(name string) category.Change {
	return category.Change{Name: i18n.Patch{i18n.Uzbek: &name}}
}

// uzText returns s as an Uzbek text.
func uzText(s string) i18n.Localized { return i18n.Must(i18n.Text(i18n.Uzbek, s, product.TitleRule)) }

// seedClass returns the first seeded condition and size (the memory store
// starts with them).
func seedClass() product.Classification {
	var c product.Classification
	for _, f := range reference.Seed() {
		switch {
		case f.Kind == reference.Conditions && c.ConditionID == "":
			c.ConditionID = f.ID
		case f.Kind == reference.Sizes && c.SizeID == "":
			c.SizeID = f.ID
		}
	}
	return c
}

// acceptAudit stores nothing and accepts every entry, for tests whose
// point is elsewhere.
type acceptAudit struct{ ports.AuditRepository }

func (acceptAudit) Add(context.Context, ...audit.Entry) error { return nil }
