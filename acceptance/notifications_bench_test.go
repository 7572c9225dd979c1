package acceptance

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
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

// BenchmarkDispatcherDrain measures how fast one dispatcher drains a
// backlog of b.N push deliveries spread over 1,000 users, on Postgres,
// against a gateway that accepts at once. Report: deliveries/s.
//
//	go test -run '^$' -bench DispatcherDrain -benchtime 20000x ./acceptance/
func BenchmarkDispatcherDrain(b *testing.B) {
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
		Push: pushTo(b, gw.URL), Workers: 64, Batch: 1000})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for {
		n, err := d.RunOnce(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	b.StopTimer()
	total := time.Since(start)
	b.ReportMetric(float64(b.N)/total.Seconds(), "deliveries/s")
	b.ReportMetric(100*q.claim.Seconds()/total.Seconds(), "%claim")
	b.ReportMetric(100*q.finish.Seconds()/total.Seconds(), "%finish")
	if left, _, _ := store.Backlog(ctx); left != 0 {
		b.Fatalf("%d deliveries left", left)
	}
}

// timedQueue adds up the time spent claiming and recording, so the drain
// benchmark shows where a round goes (the rest is sending).
type timedQueue struct {
	ports.DeliveryQueue
	claim, finish time.Duration
}

func (q *timedQueue) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int, channels []notification.Channel) ([]notification.Delivery, error) {
	start := time.Now()
	defer func() { q.claim += time.Since(start) }()
	return q.DeliveryQueue.Claim(ctx, now, lease, limit, channels)
}

func (q *timedQueue) Finish(ctx context.Context, attempts []notification.Attempt) error {
	start := time.Now()
	defer func() { q.finish += time.Since(start) }()
	return q.DeliveryQueue.Finish(ctx, attempts)
}
