package acceptance

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/acceptance/testenv"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
)

// These scenarios need real row and advisory locks, so they run on
// PostgreSQL only.

func TestOrdersOfDifferentProductsDoNotWaitOnEachOther(t *testing.T) {
	ctx := context.Background()
	st := pgtest.New(t)
	e := testenv.NewOnStore(t, testenv.Postgres, st, testenv.Options{})
	m := newMarket(t, e)
	buyer := m.buyer(t)
	a, b := m.product(t, 5, 1000), m.product(t, 5, 1000)

	// Another transaction holds product A's row lock.
	tx, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT 1 FROM products WHERE id = ? FOR UPDATE", a); err != nil {
		t.Fatal(err)
	}
	orderA := make(chan *testenv.Response, 1)
	go func() { orderA <- m.order(t, buyer.AccessToken, a, 1) }()
	// Wait until the order of A is really queued behind the lock.
	waitFor(t, func() bool {
		var n int
		err := st.DB().QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&n)
		return err == nil && n == 1
	})

	if r := m.order(t, buyer.AccessToken, b, 1); r.Status != http.StatusCreated {
		t.Fatalf("order of B while A is locked = %s, want 201", r)
	}
	select {
	case r := <-orderA:
		t.Fatalf("order of A finished while A was locked: %s", r)
	default:
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if r := <-orderA; r.Status != http.StatusCreated {
		t.Errorf("order of A after the lock was released = %s, want 201", r)
	}
}

func TestTwoInstancesRacingWithOneKeyPlaceOneOrder(t *testing.T) {
	st := pgtest.New(t)
	// Two servers over one database: each has its own in-process in-flight
	// set, so only the database's advisory lock keeps them apart.
	e1 := testenv.NewOnStore(t, testenv.Postgres, st, testenv.Options{})
	e2 := testenv.NewOnStore(t, testenv.Postgres, st, testenv.Options{})
	m := newMarket(t, e1)
	buyer := m.buyer(t)
	pid := m.product(t, 100, 1000)
	body := `{"productId":"` + pid + `","quantity":1}`

	const n = 20
	res := make([]*testenv.Response, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		e := e1
		if i%2 == 1 {
			e = e2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res[i] = e.Do(t, testenv.Request{Method: http.MethodPost, Path: "/api/v1/orders", Body: body, ContentType: "application/json",
				Token: buyer.AccessToken, Header: map[string]string{"Idempotency-Key": "two-instances"}})
		}()
	}
	close(start)
	wg.Wait()
	fresh := 0
	var created string
	for _, r := range res {
		switch {
		case r.Status == 201 && r.Header.Get("Idempotent-Replayed") == "":
			fresh++
			created = string(r.Raw)
		case r.Status == 201 || r.Status == 409 && r.ErrorCode() == "IDEMPOTENCY_KEY_IN_USE":
		default:
			t.Errorf("racing request = %s, want 201 or 409 IDEMPOTENCY_KEY_IN_USE", r)
		}
	}
	if fresh != 1 {
		t.Errorf("%d fresh orders, want exactly 1", fresh)
	}
	for _, r := range res {
		if r.Header.Get("Idempotent-Replayed") == "true" && string(r.Raw) != created {
			t.Errorf("replay = %s, want the first response %s", r.Raw, created)
		}
	}
	if got := m.stock(t, pid); got != 99 {
		t.Errorf("stock = %d, want 99", got)
	}
}

// waitFor polls cond until it holds, failing the test after a generous
// bound (a hang, not a speed assertion).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached within 10 s")
}
