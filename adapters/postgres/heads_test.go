package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
	"github.com/secondbloom/marketplace/domain/notification"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
	"github.com/secondbloom/marketplace/ports/porttest"
)

// TestDeliveryHeads follows one queue's row in notification_delivery_heads:
// moved past each sent delivery, deleted once nothing is pending, made
// again (starting after the seqs already taken) by the next notification.
func TestDeliveryHeads(t *testing.T) {
	ctx := context.Background()
	st := pgtest.New(t)
	u := porttest.NewUser(t, st.Repos(), 1, user.RoleUser)
	now := time.Now().UTC()
	add := func() *notification.Notification {
		t.Helper()
		n, err := notification.New(uuid.Must(uuid.NewV7()).String(), u.ID(), notification.OrderPaid, map[string]string{"orderId": u.ID()}, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			return r.Notifications.Add(ctx, n, []notification.Channel{notification.Push})
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	head := func() (rows int, done int64) {
		t.Helper()
		if err := st.DB().NewRaw(`SELECT count(*), coalesce(max(done_seq), -1) FROM notification_delivery_heads WHERE user_id = ?`, u.ID()).
			Scan(ctx, &rows, &done); err != nil {
			t.Fatal(err)
		}
		return rows, done
	}
	send := func(want *notification.Notification) {
		t.Helper()
		ds, err := st.Claim(ctx, now, time.Minute, 10, []notification.Channel{notification.Push})
		if err != nil || len(ds) != 1 || ds[0].Notification.ID() != want.ID() {
			t.Fatalf("Claim = %d deliveries, %v; want seq %d alone", len(ds), err, want.Seq())
		}
		if err := st.Finish(ctx, []notification.Attempt{{Delivery: ds[0], Result: notification.Result{State: notification.Sent, Attempts: 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	n1, n2 := add(), add()
	if rows, done := head(); rows != 1 || done != 0 {
		t.Fatalf("after two notes: %d head rows, done_seq %d; want 1, 0", rows, done)
	}
	send(n1)
	if rows, done := head(); rows != 1 || done != 1 {
		t.Fatalf("after sending seq 1: %d head rows, done_seq %d; want 1, 1", rows, done)
	}
	send(n2)
	if rows, _ := head(); rows != 0 {
		t.Fatalf("after sending all: %d head rows, want 0 (nothing pending)", rows)
	}
	n3 := add()
	if rows, done := head(); rows != 1 || done != 2 {
		t.Fatalf("after a third note: %d head rows, done_seq %d; want 1, 2", rows, done)
	}
	send(n3)
}
