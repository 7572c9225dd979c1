package acceptance

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/acceptance/testenv"
	"github.com/secondbloom/marketplace/adapters/clock"
	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
	"github.com/secondbloom/marketplace/adapters/push"
	"github.com/secondbloom/marketplace/app"
)

// inbox returns the user's notifications, newest first.
func inbox(t *testing.T, e *testenv.Env, s testenv.Session, query string) []map[string]any {
	t.Helper()
	r := e.Get(t, "/api/v1/notifications"+query, s.AccessToken)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /notifications%s = %s", query, r)
	}
	return r.List()
}

func typesOf(ns []map[string]any) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n["type"].(string))
	}
	return out
}

func TestNotificationsArriseOnceFromTheirCauses(t *testing.T) {
	testenv.ForEachBackend(t, testenv.Options{}, func(t *testing.T, e *testenv.Env) {
		m := newMarket(t, e)
		buyer := m.buyer(t)
		pid := m.product(t, 3, 150000)

		t.Run("a refused order tells nobody", func(t *testing.T) {
			if r := m.order(t, buyer.AccessToken, pid, 99); r.Status != http.StatusConflict {
				t.Fatalf("order of 99 = %s, want 409", r)
			}
			if got := inbox(t, e, m.seller, ""); len(got) != 0 {
				t.Errorf("seller's inbox = %v, want empty", typesOf(got))
			}
		})

		var orderID string
		t.Run("the seller learns of an order, once, in Uzbek, and by SMS", func(t *testing.T) {
			r := m.order(t, buyer.AccessToken, pid, 1)
			if r.Status != http.StatusCreated {
				t.Fatalf("order = %s", r)
			}
			orderID = r.Data()["id"].(string)
			got := inbox(t, e, m.seller, "")
			if len(got) != 1 || got[0]["type"] != "ORDER_PLACED" {
				t.Fatalf("seller's inbox = %v, want one ORDER_PLACED", typesOf(got))
			}
			n := got[0]
			data := n["data"].(map[string]any)
			if data["orderId"] != orderID || data["productId"] != pid || n["title"] != "Yangi buyurtma" || n["readAt"] != nil {
				t.Errorf("notification = %v, want the order and product, title in uz, unread", n)
			}
			if got := inbox(t, e, buyer, ""); len(got) != 0 {
				t.Errorf("buyer's inbox = %v, want empty", typesOf(got))
			}
			waitFor(t, func() bool {
				for _, x := range e.SMS.Texts() {
					if x.To == m.seller.Phone && x.Key == n["id"] && strings.HasPrefix(x.Text, "Yangi buyurtma") {
						return true
					}
				}
				return false
			})
		})

		t.Run("the buyer learns of the confirmation and payment", func(t *testing.T) {
			for _, step := range []string{"confirm", "mark-paid"} {
				if r := e.Post(t, "/api/v1/orders/"+orderID+"/"+step, m.seller.AccessToken, nil); r.Status != http.StatusOK {
					t.Fatalf("%s = %s", step, r)
				}
			}
			got := typesOf(inbox(t, e, buyer, ""))
			if strings.Join(got, ",") != "ORDER_PAID,ORDER_CONFIRMED" {
				t.Errorf("buyer's inbox = %v, want ORDER_PAID, ORDER_CONFIRMED", got)
			}
		})

		t.Run("reading: own ones only, idempotent, and all at once", func(t *testing.T) {
			mine := inbox(t, e, buyer, "")
			id := mine[0]["id"].(string)
			if r := e.Post(t, "/api/v1/notifications/"+id+"/read", m.seller.AccessToken, nil); r.Status != http.StatusNotFound {
				t.Errorf("someone else's read = %s, want 404", r)
			}
			if r := e.Post(t, "/api/v1/notifications/not-a-uuid/read", buyer.AccessToken, nil); r.Status != http.StatusNotFound {
				t.Errorf("read of a bad id = %s, want 404", r)
			}
			first := e.Post(t, "/api/v1/notifications/"+id+"/read", buyer.AccessToken, nil)
			second := e.Post(t, "/api/v1/notifications/"+id+"/read", buyer.AccessToken, nil)
			if first.Status != http.StatusOK || first.Data()["readAt"] == nil || second.Data()["readAt"] != first.Data()["readAt"] {
				t.Errorf("read twice = %s then %s, want the same readAt", first, second)
			}
			if r := e.Get(t, "/api/v1/notifications/unread-count", buyer.AccessToken); r.Data()["count"] != 1.0 {
				t.Errorf("unread-count = %s, want 1", r)
			}
			if got := inbox(t, e, buyer, "?unread=true"); len(got) != 1 || got[0]["id"] == id {
				t.Errorf("unread list = %v, want the other one", got)
			}
			if r := e.Post(t, "/api/v1/notifications/read-all", buyer.AccessToken, nil); r.Data()["updated"] != 1.0 {
				t.Errorf("read-all = %s, want updated 1", r)
			}
			if r := e.Get(t, "/api/v1/notifications?unread=maybe", buyer.AccessToken); r.Status != http.StatusBadRequest {
				t.Errorf("unread=maybe = %s, want 400", r)
			}
			if r := e.Get(t, "/api/v1/notifications", ""); r.Status != http.StatusUnauthorized {
				t.Errorf("anonymous inbox = %s, want 401", r)
			}
		})

		t.Run("an ADMIN's cancel tells both parties; a buyer's only the seller", func(t *testing.T) {
			r := m.order(t, buyer.AccessToken, pid, 1)
			id := r.Data()["id"].(string)
			before := len(inbox(t, e, buyer, ""))
			if r := e.Post(t, "/api/v1/orders/"+id+"/cancel", buyer.AccessToken, map[string]any{"reason": "changed my mind"}); r.Status != http.StatusOK {
				t.Fatalf("cancel = %s", r)
			}
			if got := inbox(t, e, m.seller, ""); got[0]["type"] != "ORDER_CANCELLED" {
				t.Errorf("seller's newest = %v, want ORDER_CANCELLED", got[0]["type"])
			}
			if got := inbox(t, e, buyer, ""); len(got) != before {
				t.Errorf("buyer got %d new, want none for their own cancel", len(got)-before)
			}
		})
	})
}

func TestBiddersLearnTheyWereOutbidAndWhoWon(t *testing.T) {
	auctionEnvs(t, func(t *testing.T, e *testenv.Env, clk *clock.Fake) {
		var n int
		c := newCast(t, e, &n)
		p := listProduct(t, e, c.seller, "Peonies", 1, 100000)
		a := openAuction(t, e, c.seller, map[string]any{"productId": p.ID(), "startPrice": 100000, "minIncrement": 5000,
			"endsAt": rfc3339(clk.Now().Add(2 * time.Hour))})
		id := a["id"].(string)
		if r := bid(t, e, c.alice, id, 100000); r.Status != http.StatusCreated {
			t.Fatal(r)
		}
		if r := bid(t, e, c.bob, id, 120000); r.Status != http.StatusCreated {
			t.Fatal(r)
		}
		if r := bid(t, e, c.alice, id, 120000); r.Status != http.StatusConflict {
			t.Fatalf("too-low bid = %s, want 409", r)
		}
		got := inbox(t, e, c.alice, "")
		if len(got) != 1 || got[0]["type"] != "BID_OUTBID" || got[0]["data"].(map[string]any)["amount"] != "120000" {
			t.Fatalf("alice's inbox = %v, want one BID_OUTBID at 120000", got)
		}
		if got := inbox(t, e, c.bob, ""); len(got) != 0 {
			t.Errorf("bob's inbox = %v, want empty", typesOf(got))
		}
		clk.Advance(2*time.Hour + time.Second)
		if closeDue(t, e) != 1 {
			t.Fatal("auction not closed")
		}
		bob, seller := again(t, e, c.bob), again(t, e, c.seller)
		won := inbox(t, e, bob, "")
		if len(won) != 1 || won[0]["type"] != "AUCTION_WON" || won[0]["data"].(map[string]any)["orderId"] == nil {
			t.Errorf("bob's inbox = %v, want AUCTION_WON with the order", won)
		}
		if got := typesOf(inbox(t, e, seller, "")); len(got) != 2 || !strings.Contains(strings.Join(got, ","), "AUCTION_ENDED") ||
			!strings.Contains(strings.Join(got, ","), "ORDER_PLACED") {
			t.Errorf("seller's inbox = %v, want AUCTION_ENDED and ORDER_PLACED", got)
		}
	})
}

// gateway is a push gateway that records what it accepted, per user in
// order, and fails or hangs as told.
type gateway struct {
	mu       sync.Mutex
	accepted map[string][]string // user -> notification ids
	keys     map[string]int      // accepted per idempotency key
	calls    int
	fail     int  // answer 503 to this many calls first
	hang     bool // hang the first call until the client gives up
	inFlight map[string]bool
	overlap  bool
}

func newGateway(t *testing.T, g *gateway) string {
	g.accepted, g.keys, g.inFlight = map[string][]string{}, map[string]int{}, map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s := string(body)
		user := s[strings.Index(s, `"userId":"`)+10:][:36]
		g.mu.Lock()
		g.calls++
		call := g.calls
		if g.inFlight[user] {
			g.overlap = true
		}
		g.inFlight[user] = true
		g.mu.Unlock()
		defer func() { g.mu.Lock(); g.inFlight[user] = false; g.mu.Unlock() }()
		if g.hang && call == 1 {
			<-r.Context().Done()
			return
		}
		if call <= g.fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		g.mu.Lock()
		g.accepted[user] = append(g.accepted[user], r.Header.Get("Idempotency-Key"))
		g.keys[r.Header.Get("Idempotency-Key")]++
		g.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (g *gateway) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, ids := range g.accepted {
		n += len(ids)
	}
	return n
}

func pushTo(t testing.TB, url string) *push.Webhook {
	w, err := push.New(url)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestAFlakyAndAHangingPushGatewayGetEachNotificationOnceInOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		gw   *gateway
	}{
		{"fails twice then succeeds", &gateway{fail: 2}},
		{"hangs once", &gateway{hang: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := newGateway(t, tc.gw)
			e := testenv.New(t, testenv.Memory, testenv.Options{Push: pushTo(t, url), SendTimeout: 300 * time.Millisecond})
			m := newMarket(t, e)
			buyer := m.buyer(t)
			pid := m.product(t, 5, 1000)
			for range 3 {
				if r := m.order(t, buyer.AccessToken, pid, 1); r.Status != http.StatusCreated {
					t.Fatal(r)
				}
			}
			waitFor(t, func() bool { return tc.gw.count() == 3 })
			want := inbox(t, e, m.seller, "")
			got := tc.gw.accepted[m.seller.UserID]
			for i := range want {
				if got[i] != want[len(want)-1-i]["id"] {
					t.Errorf("gateway got %v, want the notifications in creation order", got)
				}
			}
			for k, n := range tc.gw.keys {
				if n != 1 {
					t.Errorf("%s accepted %d times", k, n)
				}
			}
			if tc.gw.overlap {
				t.Error("two deliveries in flight for one user")
			}
		})
	}
}

// sseEvent is one event read from a stream.
type sseEvent struct{ id, name, data string }

// openStream opens an event stream and returns its events; the channel is
// closed when the server ends the stream.
func openStream(t *testing.T, url string, header map[string]string) (<-chan sseEvent, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan sseEvent, 100)
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		close(out)
		return out, resp
	}
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return out, resp
}

// next returns the stream's next event, failing after a generous bound.
func next(t *testing.T, events <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("stream ended")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
	}
	return sseEvent{}
}

// ended waits for the server to end the stream.
func ended(t *testing.T, events <-chan sseEvent) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-events:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("stream still open after 5 s")
		}
	}
}

func TestNotificationStreams(t *testing.T) {
	testenv.ForEachBackend(t, testenv.Options{}, func(t *testing.T, e *testenv.Env) {
		base := e.Listen(t)
		m := newMarket(t, e)
		buyer := m.buyer(t)
		pid := m.product(t, 10, 1000)
		bearer := map[string]string{"Authorization": "Bearer " + m.seller.AccessToken}

		var lastID string
		t.Run("a new notification arrives on the open stream", func(t *testing.T) {
			events, resp := openStream(t, base+"/api/v1/notifications/stream", bearer)
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
				t.Fatalf("stream = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			m.order(t, buyer.AccessToken, pid, 1)
			ev := next(t, events)
			if ev.name != "notification" || !strings.Contains(ev.data, `"type":"ORDER_PLACED"`) || ev.id == "" {
				t.Fatalf("event = %+v, want a notification with an id", ev)
			}
			lastID = ev.id
		})

		t.Run("Last-Event-ID resumes after that event without loss", func(t *testing.T) {
			m.order(t, buyer.AccessToken, pid, 1)
			m.order(t, buyer.AccessToken, pid, 1)
			events, _ := openStream(t, base+"/api/v1/notifications/stream", map[string]string{
				"Authorization": "Bearer " + m.seller.AccessToken, "Last-Event-ID": lastID})
			a, b := next(t, events), next(t, events)
			if a.id == lastID || a.id >= b.id {
				t.Errorf("resumed with ids %s, %s after %s; want the two after it in order", a.id, b.id, lastID)
			}
			if r := e.Get(t, "/api/v1/notifications/stream?lastEventId=x", m.seller.AccessToken); r.Status != http.StatusBadRequest {
				t.Errorf("bad lastEventId = %s, want 400", r)
			}
		})

		t.Run("a ticket opens the stream once", func(t *testing.T) {
			r := e.Post(t, "/api/v1/notifications/stream-tickets", m.seller.AccessToken, nil)
			if r.Status != http.StatusCreated || r.Data()["expiresInSeconds"] != 60.0 {
				t.Fatalf("ticket = %s", r)
			}
			ticket := r.Data()["ticket"].(string)
			events, resp := openStream(t, base+"/api/v1/notifications/stream?ticket="+ticket+"&lastEventId="+lastID, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("stream with ticket = %d", resp.StatusCode)
			}
			if ev := next(t, events); ev.id == lastID {
				t.Errorf("?lastEventId ignored: got %s again", ev.id)
			}
			if _, again := openStream(t, base+"/api/v1/notifications/stream?ticket="+ticket, nil); again.StatusCode != http.StatusUnauthorized {
				t.Errorf("reused ticket = %d, want 401", again.StatusCode)
			}
			if strings.Contains(e.Log.String(), ticket) {
				t.Error("the ticket appears in the log")
			}
		})

		t.Run("a logout ends the stream", func(t *testing.T) {
			s := m.buyer(t)
			events, _ := openStream(t, base+"/api/v1/notifications/stream", map[string]string{"Authorization": "Bearer " + s.AccessToken})
			if r := e.Post(t, "/api/v1/auth/logout", s.AccessToken, nil); r.Status >= 300 {
				t.Fatalf("logout = %s", r)
			}
			ended(t, events)
		})

		t.Run("an auction stream shows the state, then each bid, and draining ends it", func(t *testing.T) {
			p := listProduct(t, e, m.seller, "Tulips", 1, 10000)
			a := openAuction(t, e, m.seller, map[string]any{"productId": p.ID(), "startPrice": 10000, "minIncrement": 1000,
				"endsAt": rfc3339(time.Now().Add(2 * time.Hour))})
			id := a["id"].(string)
			if _, resp := openStream(t, base+"/api/v1/auctions/"+testenvUnknownID+"/stream", nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("unknown auction stream = %d, want 404", resp.StatusCode)
			}
			events, _ := openStream(t, base+"/api/v1/auctions/"+id+"/stream", nil)
			if ev := next(t, events); ev.name != "auction" || !strings.Contains(ev.data, `"currentPrice":10000`) {
				t.Fatalf("first event = %+v, want the current state", ev)
			}
			bid(t, e, buyer, id, 12000)
			if ev := next(t, events); !strings.Contains(ev.data, `"currentPrice":12000`) {
				t.Errorf("after a bid = %+v, want currentPrice 12000", ev)
			}
			e.Server.StartDraining()
			ended(t, events)
		})
	})
}

const testenvUnknownID = "0193a000-0000-7000-8000-0000000000ff"

func TestTwoInstancesShareStreamsAndDispatchABacklogOnce(t *testing.T) {
	var store testenv.Store = pgtest.New(t)
	gw := &gateway{}
	url := newGateway(t, gw)
	a := testenv.NewOnStore(t, testenv.Postgres, store, testenv.Options{Push: pushTo(t, url)})
	b := testenv.NewOnStore(t, testenv.Postgres, store, testenv.Options{Push: pushTo(t, url)})
	m := newMarket(t, a)
	baseB := b.Listen(t)
	events, _ := openStream(t, baseB+"/api/v1/notifications/stream", map[string]string{"Authorization": "Bearer " + m.seller.AccessToken})
	pid := m.product(t, 1000, 100)
	const buyers, each = 5, 8
	var wg sync.WaitGroup
	for range buyers {
		buyer := m.buyer(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if r := m.order(t, buyer.AccessToken, pid, 1); r.Status != http.StatusCreated {
					t.Error(r)
				}
			}
		}()
	}
	// One event committed on instance a reaches the stream held on b.
	if ev := next(t, events); ev.name != "notification" {
		t.Fatalf("event on b = %+v", ev)
	}
	wg.Wait()
	startWait := time.Now()
	defer func() { t.Logf("delivered %d in %v after the orders", gw.count(), time.Since(startWait)) }()
	for i := 0; i < 300 && gw.count() < buyers*each; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if gw.count() < buyers*each {
		n, _, _ := store.Backlog(context.Background())
		var errs []string
		_ = store.(*postgres.Store).DB().NewRaw("SELECT state || ' ' || attempts || ' ' || last_error FROM notification_deliveries WHERE state <> 'sent'").Scan(context.Background(), &errs)
		t.Logf("not sent: %v", errs)
		t.Fatalf("gateway got %d, backlog %d; logs: %s", gw.count(), n, a.Log.String()[max(0, a.Log.Len()-3000):])
	}
	for k, n := range gw.keys {
		if n != 1 {
			t.Errorf("%s accepted %d times", k, n)
		}
	}
	if gw.overlap {
		t.Error("two deliveries in flight for one user")
	}
	want := inbox(t, a, m.seller, "?limit=100")
	got := gw.accepted[m.seller.UserID]
	if len(got) != len(want) {
		t.Fatalf("gateway got %d for the seller, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[len(want)-1-i]["id"] {
			t.Fatalf("gateway order differs from creation order at %d", i)
		}
	}
}

// An instance without PUSH_WEBHOOK_URL dispatches the SMS it can send and
// leaves every push delivery to an instance with a gateway: it neither
// gives them up nor holds them under a lease.
func TestAnInstanceWithoutPushLeavesPushDeliveriesToOneWithIt(t *testing.T) {
	store := pgtest.New(t)
	gw := &gateway{}
	url := newGateway(t, gw)
	withPush := testenv.NewOnStore(t, testenv.Postgres, store, testenv.Options{Push: pushTo(t, url), ManualDispatcher: true})
	noPush := testenv.NewOnStore(t, testenv.Postgres, store, testenv.Options{})
	m := newMarket(t, withPush)
	buyer := m.buyer(t)
	pid := m.product(t, 10, 1000)
	const orders = 4
	for range orders {
		if r := m.order(t, buyer.AccessToken, pid, 1); r.Status != http.StatusCreated {
			t.Fatal(r)
		}
	}
	// The instance without push sends the ORDER_PLACED texts (its
	// dispatcher runs), and by then has had every chance to take the push
	// deliveries too.
	waitFor(t, func() bool { return len(noPush.SMS.Texts()) == orders })
	noPush.System.Dispatcher.Wake()
	time.Sleep(2 * app.DispatchInterval)
	var untouched int
	if err := store.DB().NewRaw(`SELECT count(*) FROM notification_deliveries
		WHERE channel = 'push' AND state = 'pending' AND attempts = 0 AND claim IS NULL`).Scan(context.Background(), &untouched); err != nil {
		t.Fatal(err)
	}
	if untouched != orders || gw.count() != 0 {
		t.Fatalf("%d push deliveries untouched and %d sent before the push instance ran; want %d and 0", untouched, gw.count(), orders)
	}
	for {
		n, err := withPush.System.Dispatcher.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	if gw.count() != orders || len(withPush.SMS.Texts()) != 0 {
		t.Fatalf("push instance sent %d pushes and %d texts; want %d and 0 (the texts were already sent)", gw.count(), len(withPush.SMS.Texts()), orders)
	}
	want := inbox(t, withPush, m.seller, "")
	for i, id := range gw.accepted[m.seller.UserID] {
		if id != want[len(want)-1-i]["id"] {
			t.Fatalf("push order %v differs from creation order", gw.accepted[m.seller.UserID])
		}
	}
}
