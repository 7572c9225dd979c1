package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
	"github.com/secondbloom/marketplace/domain/notification"
	"github.com/secondbloom/marketplace/domain/phone"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// killLease is the NOTIFICATION_LEASE of the servers in
// TestKilledMidDeliveryTheNextInstanceSendsAgain (the least allowed).
const killLease = 15 * time.Second

// pushCall is one request the push gateway received.
type pushCall struct {
	key, user string
	at        time.Time
	accepted  bool
}

// hangingGateway accepts every push except the first, which it holds
// until the caller goes away (a gateway that took the request and hangs).
type hangingGateway struct {
	mu       sync.Mutex
	calls    []pushCall
	inFlight map[string]bool
	overlap  bool
	hung     chan struct{}
}

func (g *hangingGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		UserID string `json:"userId"`
	}
	raw, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(raw, &body)
	g.mu.Lock()
	first := len(g.calls) == 0
	if g.inFlight[body.UserID] {
		g.overlap = true
	}
	g.inFlight[body.UserID] = true
	g.calls = append(g.calls, pushCall{key: r.Header.Get("Idempotency-Key"), user: body.UserID, at: time.Now(), accepted: !first})
	g.mu.Unlock()
	defer func() { g.mu.Lock(); g.inFlight[body.UserID] = false; g.mu.Unlock() }()
	if first {
		close(g.hung)
		<-r.Context().Done() // until the server dies and its connection closes
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (g *hangingGateway) snapshot() []pushCall {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.calls)
}

// outputBuffer collects a process's output while the test may read it.
type outputBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *outputBuffer) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *outputBuffer) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// buildServer builds this command into a temporary directory.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "server")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startServer runs bin with env on a free port and waits until it is ready.
func startServer(t *testing.T, bin string, env map[string]string) (*exec.Cmd, *outputBuffer) {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+fmt.Sprint(port), "HOST=127.0.0.1")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logs := &outputBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	ready := fmt.Sprintf("http://127.0.0.1:%d/api/v1/health/readiness", port)
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, logs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready within 60 s; output:\n%s", logs)
		}
	}
}

// TestKilledMidDeliveryTheNextInstanceSendsAgain runs the real server
// binary on Postgres with a push gateway that takes the first request and
// hangs, kills the server with SIGKILL while that delivery is in flight,
// and starts a second server: once the lease runs out, the delivery is
// sent again with the same Idempotency-Key, nothing is lost and each
// user's notifications arrive in creation order.
func TestKilledMidDeliveryTheNextInstanceSendsAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	dsn := pgtest.NewDatabase(t)
	gw := &hangingGateway{inFlight: map[string]bool{}, hung: make(chan struct{})}
	gsrv := httptest.NewServer(gw)
	defer gsrv.Close()
	bin := buildServer(t)
	env := map[string]string{
		"DATABASE_URL": dsn, "APP_ENV": "test", "LOG_LEVEL": "warn", "SHUTDOWN_DRAIN": "0s",
		"PUSH_WEBHOOK_URL": gsrv.URL, "NOTIFICATION_LEASE": killLease.String(),
		"MEDIA_STORE": "file://" + t.TempDir(),
	}
	first, firstLogs := startServer(t, bin, env)

	// The notifications are written straight into the shared database, as
	// any instance's transaction would write them.
	store, err := postgres.Open(dsn, postgres.Options{MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	now := time.Now().UTC()
	var users []string
	for i := range 2 {
		u, err := user.New(fmt.Sprintf("0193c000-0000-7000-8000-%012d", i), phone.MustParse(fmt.Sprintf("+99893%07d", i)), user.RoleUser, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Repos().Users.Create(ctx, u); err != nil {
			t.Fatal(err)
		}
		users = append(users, u.ID())
	}
	want := map[string][]string{} // user -> notification ids in creation order
	for i := range 6 {
		uid := users[i%2]
		id := fmt.Sprintf("0193c000-0000-7000-9000-%012d", i)
		n, err := notification.New(id, uid, notification.OrderPaid, map[string]string{"orderId": users[0]}, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
			return r.Notifications.Add(ctx, n, []notification.Channel{notification.Push})
		}); err != nil {
			t.Fatal(err)
		}
		want[uid] = append(want[uid], id)
	}

	select {
	case <-gw.hung:
	case <-time.After(30 * time.Second):
		t.Fatalf("no delivery reached the gateway; server output:\n%s", firstLogs)
	}
	hung := gw.snapshot()[0]
	if err := first.Process.Kill(); err != nil { // SIGKILL: no shutdown, no release
		t.Fatal(err)
	}
	_ = first.Wait()
	killedAt := time.Now()
	second, secondLogs := startServer(t, bin, env)
	defer func() { _ = second.Process.Signal(os.Interrupt); _ = second.Wait() }()

	var pending int
	for deadline := time.Now().Add(killLease + 45*time.Second); ; time.Sleep(200 * time.Millisecond) {
		if err := store.DB().NewRaw(`SELECT count(*) FROM notification_deliveries WHERE state <> 'sent'`).Scan(ctx, &pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries not sent; gateway calls %+v; second server output:\n%s", pending, gw.snapshot(), secondLogs)
		}
	}

	calls := gw.snapshot()
	firstAccept := map[string]int{} // key -> index of its first accepted call
	got := map[string][]string{}
	var resent *pushCall
	for i, c := range calls {
		if !c.accepted {
			continue
		}
		if c.key == hung.key && resent == nil {
			resent = &calls[i]
		}
		if _, seen := firstAccept[c.key]; !seen {
			firstAccept[c.key] = i
			got[c.user] = append(got[c.user], c.key)
		}
	}
	if resent == nil {
		t.Fatalf("the delivery in flight at the kill (%s) was never sent again; calls %+v", hung.key, calls)
	}
	t.Logf("killed %v after the hung send; sent again %v after it (lease %v); %d calls for %d notifications",
		killedAt.Sub(hung.at).Round(time.Millisecond), resent.at.Sub(hung.at).Round(time.Millisecond), killLease, len(calls), 6)
	if resent.at.Sub(hung.at) < killLease-time.Second {
		t.Errorf("sent again %v after the first attempt, before its lease of %v ran out", resent.at.Sub(hung.at), killLease)
	}
	for _, uid := range users {
		if !slices.Equal(got[uid], want[uid]) {
			t.Errorf("user %s: gateway accepted %v, want every notification in creation order %v", uid, got[uid], want[uid])
		}
	}
	if gw.overlap {
		t.Error("two deliveries in flight for one user")
	}
}
