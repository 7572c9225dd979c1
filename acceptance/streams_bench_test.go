package acceptance

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/acceptance/testenv"
	httpadapter "github.com/secondbloom/marketplace/adapters/http"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports/porttest"
)

// Settings of BenchmarkHotAuctionStreams (issue 15: 1,000 open streams, 100
// bids a second).
const (
	hotStreams  = 1000
	hotBidRate  = 100
	hotDuration = 10 * time.Second
	// streamClientsEnv makes the test binary the stream clients of the
	// benchmark (see TestAuctionStreamClients).
	streamClientsEnv = "SB_AUCTION_STREAM_CLIENTS"
)

// BenchmarkHotAuctionStreams opens hotStreams /auctions/{id}/stream
// connections over loopback TCP to a real listener, places hotBidRate bids
// a second for hotDuration, and measures:
//
//   - latency: for every client and every accepted bid, from the bid's
//     commit (PlaceBid returned) to the first event the client receives
//     whose currentPrice includes that bid. The stream sends at most one
//     event per 250 ms per auction (the latest state), so a bid that
//     lands just after an event waits up to 250 ms by design; this figure
//     includes that wait.
//   - fanout: for every event received, from the commit of the newest bid
//     it shows to its arrival (the delivery cost without the coalescing
//     wait).
//   - memory per open stream: the server's heap+stack growth and
//     goroutines per stream. The clients run in a child process (this
//     test binary, see TestAuctionStreamClients), so the figures are the
//     server's alone.
//
// The per-IP stream cap is lifted through the adapter's
// AuctionStreamsPerIP option (AUCTION_STREAMS_PER_IP in cmd/server).
//
//	go test -run '^$' -bench HotAuctionStreams -benchtime 1x ./acceptance/
func BenchmarkHotAuctionStreams(b *testing.B) {
	for _, backend := range []testenv.Backend{testenv.Memory, testenv.Postgres} {
		b.Run(string(backend), func(b *testing.B) {
			for range b.N {
				hotAuction(b, backend)
			}
		})
	}
}

func hotAuction(b *testing.B, backend testenv.Backend) {
	e := testenv.New(b, backend, testenv.Options{ManualCloser: true,
		HTTP: func(o *httpadapter.Options) { o.AuctionStreamsPerIP = hotStreams + 10 }})
	ctx := context.Background()
	r := e.Store.Repos()
	seller := porttest.NewUser(b, r, 1, user.RoleUser)
	p := porttest.NewProduct(b, r, porttest.NewCategory(b, r, "hot"), seller, "Hot bouquet", 1, 10000)
	a, err := e.Core.Auctions.Create(ctx, user.Actor{UserID: seller.ID(), Role: user.RoleUser},
		app.NewAuction{ProductID: p.ID(), StartPrice: 10000, EndsAt: time.Now().Add(2 * time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	var bidders []user.Actor
	for i := range 10 {
		u := porttest.NewUser(b, r, 100+i, user.RoleUser)
		bidders = append(bidders, user.Actor{UserID: u.ID(), Role: user.RoleUser})
	}
	url := e.Listen(b) + "/api/v1/auctions/" + a.ID() + "/stream"

	heap0, stack0, g0 := serverMemory()
	child := exec.Command(os.Args[0], "-test.run=^TestAuctionStreamClients$", "-test.count=1")
	child.Env = append(os.Environ(), streamClientsEnv+"="+url)
	child.Stderr = os.Stderr
	stdin, _ := child.StdinPipe()
	stdout, _ := child.StdoutPipe()
	if err := child.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	out := bufio.NewReader(stdout)
	if line, err := out.ReadString('\n'); err != nil || strings.TrimSpace(line) != "ready" {
		b.Fatalf("stream clients: %q, %v", line, err)
	}
	for e.Server.StreamsOpen() < hotStreams {
		time.Sleep(10 * time.Millisecond)
	}
	heap1, stack1, g1 := serverMemory()

	// Bids at hotBidRate a second, each the least acceptable.
	type placed struct {
		amount int64
		at     time.Time
	}
	var bids []placed
	next := a.MinNextBid()
	tick := time.NewTicker(time.Second / hotBidRate)
	var bidTime time.Duration
	b.ResetTimer()
	bidding := time.Now()
	for i := 0; i < hotBidRate*int(hotDuration/time.Second); i++ {
		<-tick.C
		start := time.Now()
		bid, err := e.Core.Auctions.PlaceBid(ctx, bidders[i%len(bidders)], a.ID(), next)
		if err != nil {
			b.Fatalf("bid %d of %d: %v", i, next, err)
		}
		done := time.Now()
		bidTime += done.Sub(start)
		bids = append(bids, placed{amount: bid.Amount, at: done})
		next = bid.Amount + a.MinIncrement()
	}
	tick.Stop()
	b.StopTimer()
	elapsed := time.Since(bidding)
	time.Sleep(time.Second) // the last coalesced events
	_ = stdin.Close()
	var received [][][2]int64 // per client: (unix nanos, currentPrice)
	if err := json.NewDecoder(out).Decode(&received); err != nil {
		b.Fatalf("stream clients' report: %v", err)
	}

	var latency, fanout []time.Duration
	missed := 0
	for _, evs := range received {
		j := 0
		for _, bd := range bids {
			for j < len(evs) && evs[j][1] < bd.amount {
				j++
			}
			if j == len(evs) {
				missed++
				continue
			}
			latency = append(latency, time.Unix(0, evs[j][0]).Sub(bd.at))
		}
		k := 0
		for _, ev := range evs {
			for k+1 < len(bids) && bids[k+1].amount <= ev[1] {
				k++
			}
			if len(bids) > 0 && bids[k].amount == ev[1] {
				fanout = append(fanout, time.Unix(0, ev[0]).Sub(bids[k].at))
			}
		}
	}
	if missed > 0 {
		b.Errorf("%d (client, bid) pairs never reached their client", missed)
	}
	pct := func(ds []time.Duration, q float64) float64 {
		if len(ds) == 0 {
			return 0
		}
		slices.Sort(ds)
		return float64(ds[min(len(ds)-1, int(q*float64(len(ds))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(received)), "streams")
	b.ReportMetric(float64(len(bids))/elapsed.Seconds(), "bids/s")
	b.ReportMetric(float64(bidTime.Microseconds())/1000/float64(len(bids)), "bid-ms")
	b.ReportMetric(pct(latency, 0.50), "p50-ms")
	b.ReportMetric(pct(latency, 0.99), "p99-ms")
	b.ReportMetric(pct(latency, 1), "max-ms")
	b.ReportMetric(pct(fanout, 0.50), "fanout-p50-ms")
	b.ReportMetric(pct(fanout, 0.99), "fanout-p99-ms")
	b.ReportMetric(float64(heap1-heap0)/1024/hotStreams, "heap-KiB/stream")
	b.ReportMetric(float64(stack1-stack0)/1024/hotStreams, "stack-KiB/stream")
	b.ReportMetric(float64(g1-g0)/hotStreams, "goroutines/stream")
	b.ReportMetric(0, "ns/op")
}

// serverMemory returns this process's heap and stack in use and its
// goroutines, after a collection.
func serverMemory() (heap, stack uint64, goroutines int) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse, m.StackInuse, runtime.NumGoroutine()
}

// TestAuctionStreamClients is the client side of BenchmarkHotAuctionStreams,
// run in a child process: it opens hotStreams streams to the URL in
// SB_AUCTION_STREAM_CLIENTS, prints "ready" once each has its first event,
// records every event's arrival and currentPrice, and when its stdin
// closes prints them as JSON. Without the variable it does nothing.
func TestAuctionStreamClients(t *testing.T) {
	url := os.Getenv(streamClientsEnv)
	if url == "" {
		t.Skip("the benchmark's stream clients; run by BenchmarkHotAuctionStreams")
	}
	tr := &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: hotStreams, DisableCompression: true,
		DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext}
	client := &http.Client{Transport: tr}
	ctx, cancel := context.WithCancel(context.Background())
	events := make([][][2]int64, hotStreams)
	var (
		ready sync.WaitGroup
		done  sync.WaitGroup
		slots = make(chan struct{}, 50) // connect 50 at a time
	)
	for i := range hotStreams {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			slots <- struct{}{}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			resp, err := client.Do(req)
			<-slots
			if err != nil || resp.StatusCode != http.StatusOK {
				fmt.Fprintf(os.Stderr, "stream %d: %v %v\n", i, err, resp)
				os.Exit(1)
			}
			defer resp.Body.Close()
			first := true
			readEvents(resp.Body, func(data string) {
				at := time.Now().UnixNano()
				var a struct {
					CurrentPrice int64 `json:"currentPrice"`
				}
				_ = json.Unmarshal([]byte(data), &a)
				events[i] = append(events[i], [2]int64{at, a.CurrentPrice})
				if first {
					first = false
					ready.Done()
				}
			})
		}()
	}
	ready.Wait()
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	cancel()
	done.Wait()
	if err := json.NewEncoder(os.Stdout).Encode(events); err != nil {
		t.Fatal(err)
	}
}

// readEvents calls fn with the data of each event of an event stream until
// it ends.
func readEvents(r io.Reader, fn func(data string)) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			fn(data)
		}
	}
}
