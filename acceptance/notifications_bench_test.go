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
	d, err := app.NewDispatcher(app.DispatcherDeps{Queue: store, Users: store.Repos().Users, Clock: clock.System{},
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
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
	if left, _, _ := store.Backlog(ctx); left != 0 {
		b.Fatalf("%d deliveries left", left)
	}
}
