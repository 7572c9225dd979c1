package porttest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/domain/notification"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// NotificationStore is a store whose notifications a dispatcher drains.
type NotificationStore interface {
	Store
	ports.DeliveryQueue
}

// RunNotifications runs the conformance suite of NotificationRepository
// and DeliveryQueue against stores made by newStore.
func RunNotifications(t *testing.T, newStore func(t *testing.T) NotificationStore) {
	t.Run("Inbox", func(t *testing.T) { testInbox(t, newStore(t)) })
	t.Run("InboxPaging", func(t *testing.T) { testInboxPaging(t, newStore(t)) })
	t.Run("RollbackLeavesNone", func(t *testing.T) { testNotificationRollback(t, newStore(t)) })
	t.Run("SeqFollowsCommits", func(t *testing.T) { testNotificationSeq(t, newStore(t)) })
	t.Run("SeveralInOneTransaction", func(t *testing.T) { testNotificationsInOneTx(t, newStore(t)) })
	t.Run("ManyInOneTransaction", func(t *testing.T) { testManyNotificationsInOneTx(t, newStore(t)) })
	t.Run("ClaimHeadsOnly", func(t *testing.T) { testClaimHeads(t, newStore(t)) })
	t.Run("ConcurrentDispatchers", func(t *testing.T) { testConcurrentDispatchers(t, newStore(t)) })
	t.Run("ClaimOnlyChannelsAsked", func(t *testing.T) { testClaimChannels(t, newStore(t)) })
}

// addNote stores a notification of type typ for u in its own transaction.
func addNote(t *testing.T, st Store, u *user.User, typ notification.Type, at time.Time, channels ...notification.Channel) *notification.Notification {
	t.Helper()
	n, err := notification.New(newID(), u.ID(), typ, map[string]string{"orderId": newID()}, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.WithinTx(context.Background(), func(ctx context.Context, r ports.Repos) error {
		return r.Notifications.Add(ctx, n, channels)
	}); err != nil {
		t.Fatalf("Add: %v", err)
	}
	return n
}

func testInbox(t *testing.T, st NotificationStore) {
	ctx := context.Background()
	r := st.Repos()
	alice, bob := NewUser(t, r, 1, user.RoleUser), NewUser(t, r, 2, user.RoleUser)
	var mine []*notification.Notification
	for i := range 3 {
		mine = append(mine, addNote(t, st, alice, notification.OrderPlaced, t0.Add(time.Duration(i)*time.Second)))
	}
	other := addNote(t, st, bob, notification.OrderPaid, t0)
	if mine[2].Seq() != 3 || other.Seq() != 1 {
		t.Fatalf("seqs = %d, %d, want 3 and 1 (per user)", mine[2].Seq(), other.Seq())
	}
	list, total, err := r.Notifications.List(ctx, ports.NotificationFilter{UserID: alice.ID()}, ports.Page{Number: 1, Limit: 2})
	if err != nil || total.Total != 3 || len(list) != 2 || list[0].ID() != mine[2].ID() || list[1].ID() != mine[1].ID() {
		t.Fatalf("List = %d items of %d, %v; want the newest 2 of 3", len(list), total.Total, err)
	}
	if _, err := r.Notifications.MarkRead(ctx, bob.ID(), mine[0].ID(), t0); !errors.Is(err, notification.ErrNotFound) {
		t.Fatalf("MarkRead of someone else's = %v, want ErrNotFound", err)
	}
	got, err := r.Notifications.MarkRead(ctx, alice.ID(), mine[0].ID(), t0.Add(time.Hour))
	if err != nil || got.ReadAt() == nil || !got.ReadAt().Equal(t0.Add(time.Hour)) {
		t.Fatalf("MarkRead = %v, %v", got, err)
	}
	again, _ := r.Notifications.MarkRead(ctx, alice.ID(), mine[0].ID(), t0.Add(2*time.Hour))
	if !again.ReadAt().Equal(t0.Add(time.Hour)) {
		t.Errorf("second MarkRead moved readAt to %v", again.ReadAt())
	}
	if n, _ := r.Notifications.CountUnread(ctx, alice.ID()); n != 2 {
		t.Errorf("CountUnread = %d, want 2", n)
	}
	unread, total, _ := r.Notifications.List(ctx, ports.NotificationFilter{UserID: alice.ID(), UnreadOnly: true}, ports.Page{Number: 1, Limit: 20})
	if total.Total != 2 || len(unread) != 2 {
		t.Errorf("unread list = %d of %d, want 2", len(unread), total.Total)
	}
	if n, err := r.Notifications.MarkAllRead(ctx, alice.ID(), t0.Add(3*time.Hour)); n != 2 || err != nil {
		t.Errorf("MarkAllRead = %d, %v; want 2", n, err)
	}
	if n, _ := r.Notifications.CountUnread(ctx, bob.ID()); n != 1 {
		t.Errorf("bob's CountUnread = %d, want 1 (untouched)", n)
	}
	since, err := r.Notifications.Since(ctx, alice.ID(), 1, 10)
	if err != nil || len(since) != 2 || since[0].Seq() != 2 || since[1].Seq() != 3 {
		t.Errorf("Since(1) = %d items, %v; want seqs 2, 3", len(since), err)
	}
}

func testNotificationRollback(t *testing.T, st NotificationStore) {
	ctx := context.Background()
	r := st.Repos()
	u := NewUser(t, r, 1, user.RoleUser)
	boom := errors.New("boom")
	err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		n, _ := notification.New(newID(), u.ID(), notification.OrderPlaced, nil, t0)
		if err := r.Notifications.Add(ctx, n, []notification.Channel{notification.Push, notification.SMS}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WithinTx = %v, want boom", err)
	}
	if _, total, _ := r.Notifications.List(ctx, ports.NotificationFilter{UserID: u.ID()}, ports.Page{Number: 1, Limit: 20}); total.Total != 0 {
		t.Errorf("after rollback the inbox has %d, want 0", total.Total)
	}
	if n, _, _ := st.Backlog(ctx); n != 0 {
		t.Errorf("after rollback the backlog is %d, want 0", n)
	}
	if n := addNote(t, st, u, notification.OrderPaid, t0); n.Seq() != 1 {
		t.Errorf("first committed seq = %d, want 1", n.Seq())
	}
}

func testNotificationSeq(t *testing.T, st NotificationStore) {
	ctx := context.Background()
	u := NewUser(t, st.Repos(), 1, user.RoleUser)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			addNote(t, st, u, notification.BidOutbid, t0)
		}()
	}
	wg.Wait()
	got, err := st.Repos().Notifications.Since(ctx, u.ID(), 0, 100)
	if err != nil || len(got) != 20 {
		t.Fatalf("Since = %d, %v; want 20", len(got), err)
	}
	for i, n := range got {
		if n.Seq() != int64(i+1) {
			t.Fatalf("seq[%d] = %d, want %d (gapless)", i, n.Seq(), i+1)
		}
	}
}

// both is every delivery channel.
var both = []notification.Channel{notification.Push, notification.SMS}

// testClaimChannels: a dispatcher that can send only SMS never takes a push
// delivery (which would then wait out its lease or be given up), and the
// push queue of a user does not hold back their SMS queue.
func testClaimChannels(t *testing.T, st NotificationStore) {
	ctx := context.Background()
	u := NewUser(t, st.Repos(), 1, user.RoleUser)
	n1 := addNote(t, st, u, notification.OrderPaid, t0, notification.Push)
	n2 := addNote(t, st, u, notification.OrderPlaced, t0, notification.Push, notification.SMS)
	if none, err := st.Claim(ctx, t0, time.Minute, 10, nil); err != nil || len(none) != 0 {
		t.Fatalf("Claim with no channels = %d, %v; want nothing", len(none), err)
	}
	sms, err := st.Claim(ctx, t0, time.Minute, 10, []notification.Channel{notification.SMS})
	if err != nil {
		t.Fatal(err)
	}
	if len(sms) != 1 || sms[0].Channel != notification.SMS || sms[0].Notification.ID() != n2.ID() {
		t.Fatalf("SMS-only Claim = %+v, want n2's SMS alone", sms)
	}
	push, err := st.Claim(ctx, t0, time.Minute, 10, []notification.Channel{notification.Push})
	if err != nil {
		t.Fatal(err)
	}
	if len(push) != 1 || push[0].Channel != notification.Push || push[0].Notification.ID() != n1.ID() {
		t.Fatalf("push-only Claim after it = %+v, want n1's push (untouched by the SMS dispatcher)", push)
	}
}

func testClaimHeads(t *testing.T, st NotificationStore) {
	ctx := context.Background()
	r := st.Repos()
	a, b := NewUser(t, r, 1, user.RoleUser), NewUser(t, r, 2, user.RoleUser)
	a1 := addNote(t, st, a, notification.OrderPlaced, t0, notification.Push, notification.SMS)
	a2 := addNote(t, st, a, notification.OrderPaid, t0, notification.Push)
	b1 := addNote(t, st, b, notification.OrderPaid, t0, notification.Push)
	if n, oldest, _ := st.Backlog(ctx); n != 4 || !oldest.Equal(t0) {
		t.Fatalf("Backlog = %d, %v; want 4 since %v", n, oldest, t0)
	}
	lease := time.Minute
	claimed, err := st.Claim(ctx, t0, lease, 10, both)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{a1.ID() + "/push": true, a1.ID() + "/sms": true, b1.ID() + "/push": true}
	if len(claimed) != 3 {
		t.Fatalf("Claim took %d, want 3 (one head per user and channel)", len(claimed))
	}
	var headA notification.Delivery
	for _, d := range claimed {
		key := d.Notification.ID() + "/" + string(d.Channel)
		if !want[key] {
			t.Errorf("Claim took %s, not a head", key)
		}
		if d.Notification.ID() == a1.ID() && d.Channel == notification.Push {
			headA = d
		}
	}
	if more, _ := st.Claim(ctx, t0, lease, 10, both); len(more) != 0 {
		t.Fatalf("second Claim took %d, want 0 while the heads are held", len(more))
	}
	// A failed attempt keeps its place in the queue: a2 waits behind it.
	retryAt := t0.Add(2 * time.Second)
	if err := st.Finish(ctx, []notification.Attempt{{Delivery: headA, Result: notification.Result{State: notification.Pending, Attempts: 1, NextAt: retryAt}}}); err != nil {
		t.Fatal(err)
	}
	if more, _ := st.Claim(ctx, t0.Add(time.Second), lease, 10, both); len(more) != 0 {
		t.Fatalf("Claim before the retry took %d, want 0", len(more))
	}
	retry, _ := st.Claim(ctx, retryAt, lease, 10, both)
	if len(retry) != 1 || retry[0].Notification.ID() != a1.ID() || retry[0].Attempts != 1 {
		t.Fatalf("Claim at the retry = %+v, want a1 after 1 attempt", retry)
	}
	// A stale claim cannot finish what another claim holds.
	if err := st.Finish(ctx, []notification.Attempt{{Delivery: headA, Result: notification.Result{State: notification.Sent, Attempts: 2}}}); err != nil {
		t.Fatal(err)
	}
	if next, _ := st.Claim(ctx, retryAt.Add(lease), lease, 10, both); len(next) != 3 {
		t.Fatalf("Claim after every lease ran out took %d, want 3 (a1 push again, a1 sms, b1)", len(next))
	} else {
		for _, d := range next {
			if d.Notification.ID() == a1.ID() && d.Channel == notification.Push {
				if err := st.Finish(ctx, []notification.Attempt{{Delivery: d, Result: notification.Result{State: notification.GaveUp, Attempts: 2, Error: "410"}}}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// Given up, a1 no longer holds a2 back.
	last, _ := st.Claim(ctx, retryAt.Add(3*lease), lease, 10, both)
	found := false
	for _, d := range last {
		if d.Notification.ID() == a2.ID() {
			found = true
			if err := st.Release(ctx, []notification.Delivery{d}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !found {
		t.Fatalf("a2 not claimable after a1 was given up")
	}
	if again, _ := st.Claim(ctx, retryAt.Add(3*lease), lease, 10, both); len(again) != 1 || again[0].Notification.ID() != a2.ID() {
		t.Fatalf("released a2 not claimable at once: %d claimed", len(again))
	}
}

func testConcurrentDispatchers(t *testing.T, st NotificationStore) {
	ctx := context.Background()
	const users, each = 5, 6
	var us []*user.User
	for i := range users {
		u := NewUser(t, st.Repos(), i+1, user.RoleUser)
		us = append(us, u)
		for range each {
			addNote(t, st, u, notification.OrderPaid, t0, notification.Push)
		}
	}
	var (
		mu       sync.Mutex
		seen     = map[string]int{}
		last     = map[string]int64{}
		inFlight = map[string]bool{}
		wg       sync.WaitGroup
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 200; round++ {
				ds, err := st.Claim(ctx, t0, time.Minute, 3, both)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ds) == 0 {
					mu.Lock()
					done := len(seen) == users*each
					mu.Unlock()
					if done {
						return
					}
					continue
				}
				for _, d := range ds {
					u := d.Notification.UserID()
					mu.Lock()
					if inFlight[u] {
						t.Errorf("two deliveries in flight for one user")
					}
					inFlight[u] = true
					seen[d.ID]++
					if d.Notification.Seq() <= last[u] {
						t.Errorf("user got seq %d after %d", d.Notification.Seq(), last[u])
					}
					last[u] = d.Notification.Seq()
					mu.Unlock()
				}
				for _, d := range ds {
					mu.Lock()
					inFlight[d.Notification.UserID()] = false
					mu.Unlock()
					if err := st.Finish(ctx, []notification.Attempt{{Delivery: d, Result: notification.Result{State: notification.Sent, Attempts: 1}}}); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if len(seen) != users*each {
		t.Fatalf("delivered %d distinct, want %d", len(seen), users*each)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s claimed %d times", id, n)
		}
	}
	if n, _, _ := st.Backlog(ctx); n != 0 {
		t.Errorf("backlog = %d after draining, want 0", n)
	}
}

// testNotificationsInOneTx adds several notifications for two users in one
// transaction (an auction's close tells the seller twice): each user's
// seqs continue gaplessly in the order of Add, and are set on commit.
func testNotificationsInOneTx(t *testing.T, st NotificationStore) {
	ctx := context.Background()
	r := st.Repos()
	alice, bob := NewUser(t, r, 1, user.RoleUser), NewUser(t, r, 2, user.RoleUser)
	addNote(t, st, alice, notification.OrderPaid, t0)
	var ns []*notification.Notification
	for _, u := range []*user.User{alice, alice, bob, alice} {
		n, err := notification.New(newID(), u.ID(), notification.OrderPlaced, nil, t0)
		if err != nil {
			t.Fatal(err)
		}
		ns = append(ns, n)
	}
	if err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		for _, n := range ns {
			if err := r.Notifications.Add(ctx, n, []notification.Channel{notification.SMS}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("WithinTx = %v", err)
	}
	for i, want := range []int64{2, 3, 1, 4} {
		if ns[i].Seq() != want {
			t.Errorf("seq of note %d = %d, want %d", i, ns[i].Seq(), want)
		}
	}
	got, err := r.Notifications.Since(ctx, alice.ID(), 1, 10)
	if err != nil || len(got) != 3 || got[0].ID() != ns[0].ID() || got[1].ID() != ns[1].ID() || got[2].ID() != ns[3].ID() {
		t.Errorf("Since(alice, 1) = %d notes, %v; want the three of the transaction in order", len(got), err)
	}
	if n, _, _ := st.Backlog(ctx); n != 4 {
		t.Errorf("backlog = %d deliveries, want 4 (one SMS each)", n)
	}
}

// testManyNotificationsInOneTx: a transaction writing more notifications
// than a SQL function takes arguments (100) commits them all, numbered.
func testManyNotificationsInOneTx(t *testing.T, st NotificationStore) {
	ctx := context.Background()
	r := st.Repos()
	users := []*user.User{NewUser(t, r, 1, user.RoleUser), NewUser(t, r, 2, user.RoleUser), NewUser(t, r, 3, user.RoleUser)}
	var ns []*notification.Notification
	for i := range 150 {
		n, err := notification.New(newID(), users[i%3].ID(), notification.OrderPlaced, nil, t0)
		if err != nil {
			t.Fatal(err)
		}
		ns = append(ns, n)
	}
	if err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		for _, n := range ns {
			if err := r.Notifications.Add(ctx, n, []notification.Channel{notification.Push}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("WithinTx with 150 notifications = %v", err)
	}
	for i, n := range ns {
		if want := int64(i/3 + 1); n.Seq() != want {
			t.Fatalf("seq of note %d = %d, want %d", i, n.Seq(), want)
		}
	}
	if n, _, _ := st.Backlog(ctx); n != 150 {
		t.Errorf("backlog = %d deliveries, want 150", n)
	}
}
