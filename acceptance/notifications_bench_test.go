package acceptance

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/adapters/clock"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain/notification"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// BenchmarkDispatcherDrain measures how fast a dispatcher, running as in
// production (Run, with 1 or 2 lanes), drains a backlog of b.N
// push deliveries spread over 1,000 users, on Postgres, against a gateway
// that accepts at once. Report: deliveries/s, and the share of the wall
// time the lanes spent claiming and recording (they overlap with 2 lanes).
//
//	go test -run '^$' -bench DispatcherDrain -benchtime 100000x -timeout 30m ./acceptance/
func BenchmarkDispatcherDrain(b *testing.B) {
	for _, lanes := range []int{1, 2} {
		b.Run(fmt.Sprintf("lanes=%d", lanes), func(b *testing.B) { drain(b, lanes) })
	}
}

func drain(b *testing.B, lanes int) {
	ctx := context.Background()
	store := pgtest.New(b)
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	defer gw.Close()
	const users = 1000
	var ids []string
	for i := range users {
		u, err := user.New(fmt.Sprintf("0193b000-0000-7000-8000-%012d", i), phone.MustParse(fmt.Sprintf("+99891%07d", i)), user.RoleUser, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if err := store.Repos().Users.Create(ctx, u); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, u.ID())
	}
	now := time.Now().UTC()
	for start := 0; start < b.N; start += 500 {
		if err := store.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			for i := start; i < min(start+500, b.N); i++ {
				n, err := notification.New(fmt.Sprintf("0193b000-0000-7000-9000-%012d", i), ids[i%users], notification.OrderPaid,
					map[string]string{"orderId": ids[0]}, now)
				if err != nil {
					return err
				}
				if err := r.Notifications.Add(ctx, n, []notification.Channel{notification.Push}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	q := &timedQueue{DeliveryQueue: store}
	d, err := app.NewDispatcher(app.DispatcherDeps{Queue: q, Users: store.Repos().Users, Clock: clock.System{},
		Push: pushTo(b, gw.URL), Workers: 64, Batch: 1000, Lanes: lanes, Lease: 15 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// A failed round (a statement timing out on a busy machine) is
		// retried, as in production: its claims run out and are taken
		// again.
		d.Run(runCtx, 50*time.Millisecond, func(err error) { b.Logf("round failed, retrying: %v", err) })
	}()
	for {
		time.Sleep(250 * time.Millisecond)
		if left, _, err := store.Backlog(ctx); err == nil && left == 0 {
			break
		}
	}
	stop()
	<-done
	b.StopTimer()
	total := time.Since(start)
	b.ReportMetric(float64(b.N)/total.Seconds(), "deliveries/s")
	b.ReportMetric(100*time.Duration(q.claim.Load()).Seconds()/total.Seconds(), "%claim")
	b.ReportMetric(100*time.Duration(q.finish.Load()).Seconds()/total.Seconds(), "%finish")
	if left, _, _ := store.Backlog(ctx); left != 0 {
		b.Fatalf("%d deliveries left", left)
	}
}

// timedQueue adds up the time spent claiming and recording, so the drain
// benchmark shows where a round goes (the rest is sending).
type timedQueue struct {
	ports.DeliveryQueue
	claim, finish atomic.Int64 // nanoseconds
}

func (q *timedQueue) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int, channels []notification.Channel) ([]notification.Delivery, error) {
	start := time.Now()
	defer func() { q.claim.Add(int64(time.Since(start))) }()
	return q.DeliveryQueue.Claim(ctx, now, lease, limit, channels)
}

func (q *timedQueue) Finish(ctx context.Context, attempts []notification.Attempt) error {
	start := time.Now()
	defer func() { q.finish.Add(int64(time.Since(start))) }()
	return q.DeliveryQueue.Finish(ctx, attempts)
}
