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
	// set. This race passes even without the advisory lock (the key's
	// primary key rolls the second order back at its very end); the test
	// below holds the first request open and checks the lock itself.
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

// The advisory lock (IdempotencyRepository.Lock) is the guard that keeps a
// second request with a key out while the first runs on another instance:
// it answers 409 IDEMPOTENCY_KEY_IN_USE at once and does nothing. Without
// it the second request would place its own order, queue behind the
// first's row locks, and only lose at the end when the key's primary key
// refuses its record. This test holds the first request inside its
// transaction, so the second always arrives while the first runs.
func TestSecondInstanceGetsKeyInUseWhileTheFirstRuns(t *testing.T) {
	ctx := context.Background()
	st := pgtest.New(t)
	e1 := testenv.NewOnStore(t, testenv.Postgres, st, testenv.Options{})
	e2 := testenv.NewOnStore(t, testenv.Postgres, st, testenv.Options{})
	m := newMarket(t, e1)
	buyer := m.buyer(t)
	pid := m.product(t, 100, 1000)
	place := func(e *testenv.Env) *testenv.Response {
		return e.Do(t, testenv.Request{Method: http.MethodPost, Path: "/api/v1/orders", ContentType: "application/json",
			Body: `{"productId":"` + pid + `","quantity":1}`, Token: buyer.AccessToken,
			Header: map[string]string{"Idempotency-Key": "held-open"}})
	}
	waitingOnLocks := func() int {
		var n int
		if err := st.DB().QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// The gate: this transaction holds the product's row lock, so the
	// first request stops inside its transaction, after claiming the key
	// and before it can store anything.
	gate, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer gate.Rollback()
	if _, err := gate.ExecContext(ctx, "SELECT 1 FROM products WHERE id = ? FOR UPDATE", pid); err != nil {
		t.Fatal(err)
	}
	first := make(chan *testenv.Response, 1)
	go func() { first <- place(e1) }()
	waitFor(t, func() bool { return waitingOnLocks() == 1 })

	// The second request, on the other instance, while the first is held.
	second := make(chan *testenv.Response, 1)
	go func() { second <- place(e2) }()
	var r *testenv.Response
	waitFor(t, func() bool {
		select {
		case r = <-second:
			return true
		default:
		}
		if waitingOnLocks() > 1 {
			t.Fatalf("the second request with the key is placing an order of its own while the first runs (it waits on the first's locks): the key is not claimed")
		}
		return false
	})
	if r.Status != http.StatusConflict || r.ErrorCode() != "IDEMPOTENCY_KEY_IN_USE" {
		t.Fatalf("second request while the first runs = %s, want 409 IDEMPOTENCY_KEY_IN_USE", r)
	}
	select {
	case r := <-first:
		t.Fatalf("the first request finished while it was held: %s", r)
	default:
	}

	if err := gate.Rollback(); err != nil {
		t.Fatal(err)
	}
	created := <-first
	if created.Status != http.StatusCreated || created.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("first request = %s, want a fresh 201", created)
	}
	// Once the first has finished, the retry on the other instance is its
	// replay.
	if r := place(e2); r.Status != http.StatusCreated || r.Header.Get("Idempotent-Replayed") != "true" || string(r.Raw) != string(created.Raw) {
		t.Errorf("retry after the first finished = %s, want the replay of %s", r, created.Raw)
	}
	var orders int
	if err := st.DB().QueryRowContext(ctx, "SELECT count(*) FROM orders WHERE product_id = ?", pid).Scan(&orders); err != nil {
		t.Fatal(err)
	}
	if orders != 1 {
		t.Errorf("%d orders placed, want 1", orders)
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
