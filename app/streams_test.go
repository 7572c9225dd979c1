package app_test

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain/auction"
	"github.com/secondbloom/marketplace/domain/event"
)

const hubAuction = "0193a000-0000-7000-8000-00000000a001"

// TestStreamsOfAnAuctionShareOneReadPerChange: the streams woken together
// by a bid share one store read, and a read that began before a change is
// never handed to a stream that change woke.
func TestStreamsOfAnAuctionShareOneReadPerChange(t *testing.T) {
	hub := app.NewStreamHub()
	var watches []func()
	for range 50 {
		_, stop := hub.WatchAuction(hubAuction)
		watches = append(watches, stop)
	}
	var (
		loads   atomic.Int32
		version atomic.Int64 // what the store holds
		release = make(chan struct{})
	)
	load := func(context.Context, string) (*auction.Auction, error) {
		loads.Add(1)
		v := version.Load()
		<-release
		return auction.Rehydrate(auction.Fields{ID: hubAuction, CurrentPrice: v}), nil
	}
	ctx := context.Background()
	read := func(n int) []int64 {
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			got []int64
		)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, err := hub.LatestAuction(ctx, hubAuction, load)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got = append(got, a.CurrentPrice())
				mu.Unlock()
			}()
		}
		// Let the callers start their read (or find a finished one).
		for start := time.Now(); loads.Load() == 0 && time.Since(start) < time.Second; {
			runtime.Gosched()
		}
		close(release)
		wg.Wait()
		return got
	}
	got := read(50)
	if loads.Load() != 1 {
		t.Fatalf("50 streams made %d reads, want 1", loads.Load())
	}
	// Unchanged since: the finished read is reused.
	if a, _ := hub.LatestAuction(ctx, hubAuction, load); a.CurrentPrice() != got[0] || loads.Load() != 1 {
		t.Fatalf("no change: %d reads, want the shared one", loads.Load())
	}
	// A bid commits and wakes the streams: they must read again.
	version.Store(120)
	hub.Subscription(app.Delivery{Events: []event.Event{{Name: event.BidAccepted, SubjectID: hubAuction}}})
	release = make(chan struct{})
	loads.Store(0)
	for _, price := range read(50) {
		if price != 120 {
			t.Fatalf("a woken stream got price %d, want 120 (a read from before the bid)", price)
		}
	}
	if loads.Load() != 1 {
		t.Fatalf("after one change 50 streams made %d reads, want 1", loads.Load())
	}
	for _, stop := range watches {
		stop()
	}
}
