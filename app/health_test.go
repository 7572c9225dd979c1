package app_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/adapters/clock"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/ports"
)

// switchPinger is a store whose health the test sets.
type switchPinger struct {
	mu   sync.Mutex
	down bool
}

func (p *switchPinger) set(down bool) { p.mu.Lock(); p.down = down; p.mu.Unlock() }

func (p *switchPinger) Ping(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return domain.ErrUnavailable
	}
	return nil
}

type noSMS struct{}

func (noSMS) SendCode(context.Context, phone.Number, auth.Code) error { return nil }

type noTokens struct{ ports.TokenIssuer }

func newHealth(t *testing.T, p ports.Pinger) *app.HealthService {
	t.Helper()
	store := memory.New()
	core, err := app.New(app.Deps{Tx: store, Repos: store.Repos(), Clock: clock.System{}, Pinger: p, SMS: noSMS{},
		Tokens: noTokens{}, Config: app.Config{CodeHashKey: make([]byte, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	return core.Health
}

func TestGuardIsCancelledWhenTheStoreGoesDown(t *testing.T) {
	p := &switchPinger{}
	h := newHealth(t, p)
	if err := h.Ready(context.Background()); err != nil {
		t.Fatalf("Ready with the store up = %v", err)
	}
	inFlight, done := h.Guard(context.Background())
	defer done()

	p.set(true)
	if err := h.Ready(context.Background()); !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("Ready with the store down = %v, want domain.ErrUnavailable", err)
	}
	select {
	case <-inFlight.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the in-flight context was not cancelled when the store went down")
	}
	if cause := context.Cause(inFlight); !errors.Is(cause, domain.ErrUnavailable) {
		t.Errorf("cause = %v, want domain.ErrUnavailable", cause)
	}
	fresh, done2 := h.Guard(context.Background())
	defer done2()
	if fresh.Err() == nil {
		t.Error("a context guarded while the store is down is not cancelled")
	}

	p.set(false)
	if err := h.Ready(context.Background()); err != nil {
		t.Fatalf("Ready after recovery = %v", err)
	}
	after, done3 := h.Guard(context.Background())
	defer done3()
	if after.Err() != nil {
		t.Errorf("a context guarded after recovery is cancelled: %v", context.Cause(after))
	}
}

func TestWatchTripsTheBreaker(t *testing.T) {
	p := &switchPinger{}
	h := newHealth(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watched := make(chan struct{})
	go func() { defer close(watched); h.Watch(ctx, 10*time.Millisecond) }()
	inFlight, done := h.Guard(context.Background())
	defer done()
	p.set(true)
	select {
	case <-inFlight.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not cancel the in-flight context")
	}
	cancel()
	<-watched
}

func TestAGuardOutlivesNothing(t *testing.T) {
	h := newHealth(t, &switchPinger{})
	parent, cancel := context.WithCancel(context.Background())
	ctx, done := h.Guard(parent)
	defer done()
	cancel()
	if ctx.Err() == nil {
		t.Error("cancelling the parent did not cancel the guarded context")
	}
}
