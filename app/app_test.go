package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/mocks"
	"github.com/secondbloom/marketplace/ports"
)

// completeDeps returns Deps with every required field set.
func completeDeps(ctrl *gomock.Controller) app.Deps {
	return app.Deps{
		Tx:     mocks.NewMockTransactor(ctrl),
		Repos:  fullRepos(ctrl, ports.Repos{}),
		Clock:  mocks.NewMockClock(ctrl),
		Pinger: mocks.NewMockPinger(ctrl),
		SMS:    mocks.NewMockSMSSender(ctrl),
		Tokens: mocks.NewMockTokenIssuer(ctrl),
		Config: app.Config{CodeHashKey: hashKey},
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(d *app.Deps)
		wantErr string // "" means success
	}{
		{name: "complete", edit: func(d *app.Deps) {}},
		{name: "metrics are optional", edit: func(d *app.Deps) { d.Metrics = nil }},
		{name: "no Tx", edit: func(d *app.Deps) { d.Tx = nil }, wantErr: "Deps.Tx"},
		{name: "no Users", edit: func(d *app.Deps) { d.Repos.Users = nil }, wantErr: "Deps.Repos.Users"},
		{name: "no Challenges", edit: func(d *app.Deps) { d.Repos.Challenges = nil }, wantErr: "Deps.Repos.Challenges"},
		{name: "no Sessions", edit: func(d *app.Deps) { d.Repos.Sessions = nil }, wantErr: "Deps.Repos.Sessions"},
		{name: "no OpenAuctions", edit: func(d *app.Deps) { d.Repos.OpenAuctions = nil }, wantErr: "Deps.Repos.OpenAuctions"},
		{name: "no ProductUsage", edit: func(d *app.Deps) { d.Repos.ProductUsage = nil }, wantErr: "Deps.Repos.ProductUsage"},
		{name: "no Events", edit: func(d *app.Deps) { d.Repos.Events = nil }, wantErr: "Deps.Repos.Events"},
		{name: "a nil pointer is missing too", edit: func(d *app.Deps) { d.Repos.Orders = (*mocks.MockOrderRepository)(nil) }, wantErr: "Deps.Repos.Orders"},
		{name: "cache and reporter are optional", edit: func(d *app.Deps) { d.ProductCache, d.Reporter = nil, nil }},
		{name: "no Clock", edit: func(d *app.Deps) { d.Clock = nil }, wantErr: "Deps.Clock"},
		{name: "no Pinger", edit: func(d *app.Deps) { d.Pinger = nil }, wantErr: "Deps.Pinger"},
		{name: "no SMS", edit: func(d *app.Deps) { d.SMS = nil }, wantErr: "Deps.SMS"},
		{name: "no Tokens", edit: func(d *app.Deps) { d.Tokens = nil }, wantErr: "Deps.Tokens"},
		{name: "no hash key", edit: func(d *app.Deps) { d.Config.CodeHashKey = nil }, wantErr: "CodeHashKey"},
		{name: "31-byte hash key", edit: func(d *app.Deps) { d.Config.CodeHashKey = hashKey[:31] }, wantErr: "CodeHashKey"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := completeDeps(gomock.NewController(t))
			tc.edit(&d)
			a, err := app.New(d)
			if tc.wantErr == "" {
				if err != nil || a == nil || a.Auth == nil || a.Health == nil {
					t.Fatalf("New(...) = %v, %v, want a complete App", a, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New(...) error = %v, want one naming %s", err, tc.wantErr)
			}
			if a != nil {
				t.Errorf("New(...) = %v with an error, want nil", a)
			}
		})
	}
}

func TestNewWithoutMetricsCountsNothing(t *testing.T) {
	// With Metrics nil the service must still run its counting paths.
	ctrl := gomock.NewController(t)
	d := completeDeps(ctrl)
	a, err := app.New(d)
	if err != nil {
		t.Fatalf("New(...) error = %v", err)
	}
	d.Clock.(*mocks.MockClock).EXPECT().Now().Return(t0)
	d.Repos.Challenges.(*mocks.MockChallengeRepository).EXPECT().Update(gomock.Any(), buyer, gomock.Any()).Return(nil)
	d.SMS.(*mocks.MockSMSSender).EXPECT().SendCode(gomock.Any(), buyer, gomock.Any()).Return(nil)
	if _, err := a.Auth.SendCode(context.Background(), buyer); err != nil {
		t.Fatalf("SendCode without metrics = %v, want nil", err)
	}
}

func TestHealthReady(t *testing.T) {
	tests := []struct {
		name    string
		ping    error
		wantErr error
	}{
		{name: "store answers"},
		{name: "store unreachable", ping: domain.ErrUnavailable, wantErr: domain.ErrUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctrl := gomock.NewController(t)
			d := completeDeps(ctrl)
			d.Pinger.(*mocks.MockPinger).EXPECT().Ping(gomock.Any()).DoAndReturn(func(ctx context.Context) error {
				if _, ok := ctx.Deadline(); !ok {
					t.Errorf("Ping got a context without deadline, want one bounded by ReadinessTimeout")
				}
				return tc.ping
			})
			a, err := app.New(d)
			if err != nil {
				t.Fatalf("New(...) error = %v", err)
			}
			if err := a.Health.Ready(context.Background()); !errors.Is(err, tc.wantErr) {
				t.Errorf("Ready() = %v, want %v", err, tc.wantErr)
			}
		})
	}
}
