package app_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/secondbloom/marketplace/adapters/clock"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/notification"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/mocks"
	"github.com/secondbloom/marketplace/ports"
)

var dispatchT0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

type dispatchFixture struct {
	store *memory.Store
	clock *clock.Fake
	push  *mocks.MockPushSender
	sms   *mocks.MockTextSender
	disp  *app.Dispatcher
	user  *user.User
	count map[string]int
}

func newDispatchFixture(t *testing.T) *dispatchFixture {
	t.Helper()
	ctrl := gomock.NewController(t)
	f := &dispatchFixture{store: memory.New(), clock: clock.NewFake(dispatchT0), push: mocks.NewMockPushSender(ctrl),
		sms: mocks.NewMockTextSender(ctrl), count: map[string]int{}}
	u, err := user.New("0193a000-0000-7000-8000-000000000001", phone.MustParse("+998901234567"), user.RoleUser, dispatchT0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.Repos().Users.Create(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	f.user = u
	f.disp, err = app.NewDispatcher(app.DispatcherDeps{Queue: f.store, Users: f.store.Repos().Users, Clock: f.clock,
		Push: f.push, SMS: f.sms, Jitter: func() float64 { return 0.5 }, Workers: 1,
		Counted: func(ch notification.Channel, r string) { f.count[string(ch)+"/"+r]++ }})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// add queues a notification for the fixture's user on channels.
func (f *dispatchFixture) add(t *testing.T, n int, typ notification.Type, channels ...notification.Channel) *notification.Notification {
	t.Helper()
	note, err := notification.New(fmt.Sprintf("0193a000-0000-7000-8000-1000000000%02d", n), f.user.ID(), typ, nil, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.WithinTx(context.Background(), func(ctx context.Context, r ports.Repos) error {
		return r.Notifications.Add(ctx, note, channels)
	}); err != nil {
		t.Fatal(err)
	}
	return note
}

func (f *dispatchFixture) run(t *testing.T, want int) {
	t.Helper()
	n, err := f.disp.RunOnce(context.Background())
	if err != nil || n != want {
		t.Fatalf("RunOnce = %d, %v; want %d claimed", n, err, want)
	}
}

func pushOf(n *notification.Notification) gomock.Matcher {
	return gomock.Cond(func(x any) bool { return x.(*notification.Notification).ID() == n.ID() })
}

var errGateway = fmt.Errorf("%w: push gateway answered 503", domain.ErrUnavailable)

func TestDispatcherRetriesAFailingGatewayInOrder(t *testing.T) {
	f := newDispatchFixture(t)
	first := f.add(t, 1, notification.OrderPaid, notification.Push)
	second := f.add(t, 2, notification.OrderShipped, notification.Push)
	gomock.InOrder(
		f.push.EXPECT().Push(gomock.Any(), pushOf(first), gomock.Any()).Return(errGateway),
		f.push.EXPECT().Push(gomock.Any(), pushOf(first), gomock.Any()).Return(errGateway),
		f.push.EXPECT().Push(gomock.Any(), pushOf(first), gomock.Any()).Return(nil),
		f.push.EXPECT().Push(gomock.Any(), pushOf(second), gomock.Any()).Return(nil),
	)
	f.run(t, 1) // first fails; second waits behind it
	f.run(t, 0) // the retry is not due yet
	f.clock.Advance(999 * time.Millisecond)
	f.run(t, 0)
	f.clock.Advance(time.Millisecond) // about 1 s after the failure
	f.run(t, 1)
	f.clock.Advance(1999 * time.Millisecond)
	f.run(t, 0) // doubled: 2 s
	f.clock.Advance(time.Millisecond)
	f.run(t, 1)
	f.run(t, 1) // now the second
	f.run(t, 0)
	if f.count["push/retry"] != 2 || f.count["push/sent"] != 2 {
		t.Errorf("counted %v, want 2 retries and 2 sent", f.count)
	}
}

func TestDispatcherGivesUpARefusalAtOnceWithoutHoldingBackTheNext(t *testing.T) {
	f := newDispatchFixture(t)
	first := f.add(t, 1, notification.OrderPaid, notification.Push)
	second := f.add(t, 2, notification.OrderShipped, notification.Push)
	gomock.InOrder(
		f.push.EXPECT().Push(gomock.Any(), pushOf(first), gomock.Any()).Return(errors.New("answered 410")),
		f.push.EXPECT().Push(gomock.Any(), pushOf(second), gomock.Any()).Return(nil),
	)
	f.run(t, 1)
	f.run(t, 1)
	f.run(t, 0)
	if f.count["push/failed"] != 1 {
		t.Errorf("counted %v, want 1 failed", f.count)
	}
}

func TestDispatcherTreatsATimeoutAsRetryable(t *testing.T) {
	f := newDispatchFixture(t)
	n := f.add(t, 1, notification.OrderPaid, notification.Push)
	gomock.InOrder(
		f.push.EXPECT().Push(gomock.Any(), pushOf(n), gomock.Any()).DoAndReturn(
			func(ctx context.Context, _ *notification.Notification, _ notification.Message) error {
				if _, ok := ctx.Deadline(); !ok {
					t.Error("push attempt has no deadline")
				}
				return context.DeadlineExceeded
			}),
		f.push.EXPECT().Push(gomock.Any(), pushOf(n), gomock.Any()).Return(nil),
	)
	f.run(t, 1)
	f.clock.Advance(time.Second)
	f.run(t, 1)
}

func TestDispatcherGivesUpAfter24Hours(t *testing.T) {
	f := newDispatchFixture(t)
	f.add(t, 1, notification.OrderPaid, notification.Push)
	f.push.EXPECT().Push(gomock.Any(), gomock.Any(), gomock.Any()).Return(errGateway).AnyTimes()
	start := f.clock.Now()
	attempts := 0
	for {
		n, err := f.disp.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		attempts += n
		if left, _, _ := f.store.Backlog(context.Background()); left == 0 {
			break
		}
		if f.clock.Now().Sub(start) > 25*time.Hour {
			t.Fatal("still retrying after 25 h")
		}
		f.clock.Advance(time.Second)
	}
	waited := f.clock.Now().Sub(start)
	if waited < notification.GiveUpAfter-notification.MaxBackoff || waited > notification.GiveUpAfter {
		t.Errorf("gave up after %v, want within the last backoff before 24 h", waited)
	}
	// Doubling from 1 s reaches the 10 min cap after 10 attempts; the rest
	// of the day is spent at the cap.
	if attempts < 140 || attempts > 160 {
		t.Errorf("%d attempts, want about 150", attempts)
	}
	if f.count["push/failed"] != 1 {
		t.Errorf("counted %v, want one given up", f.count)
	}
}

func TestDispatcherSendsSMSToTheRecipientsPhoneWithTheIdAsKey(t *testing.T) {
	f := newDispatchFixture(t)
	n := f.add(t, 1, notification.AuctionWon, notification.SMS)
	f.sms.EXPECT().SendText(gomock.Any(), f.user.Phone(), n.ID(), gomock.Cond(func(x any) bool {
		return x.(string) != ""
	})).Return(nil)
	f.run(t, 1)
	f.run(t, 0)
}

func TestDispatcherReleasesWhatItHasNotStartedOnShutdown(t *testing.T) {
	f := newDispatchFixture(t)
	n := f.add(t, 1, notification.OrderPaid, notification.Push)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.disp.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	// Released, not leased for a minute: the next instance sends it now.
	f.push.EXPECT().Push(gomock.Any(), pushOf(n), gomock.Any()).Return(nil)
	f.run(t, 1)
}
