// Command bidload measures bidding on one hot auction of a running server
// on PostgreSQL, and how soon after endsAt its closer ends auctions.
//
// It signs in a seller and b bidders with fixed test codes, stocks
// products for the seller directly in the database (the catalog routes are
// another area's), opens an auction over HTTP (minIncrement 1), and has c
// concurrent clients bid on it for d. Every bid asks for the next amount of
// a shared counter, so bids that arrive out of order are refused with 409
// BID_TOO_LOW, as they would be for real bidders. It prints accepted bids
// per second, latency percentiles and the status counts. Then it opens n
// short auctions with one bid each, polls them until they are ENDED, and
// prints the delay between endsAt and the close (the auction's updatedAt,
// which the closing transaction sets from the server's clock).
//
//	createdb -h 127.0.0.1 -U postgres sb_bidload
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/sb_bidload?sslmode=disable \
//	  OTP_TEST_CODES="$(go run ./cmd/bidload -print-codes -b 50)" AUCTION_MIN_DURATION=1s \
//	  RATE_LIMIT_OTP_PER_IP=1000000 LOG_LEVEL=warn ./bin/server &
//	go run ./cmd/bidload -dsn postgres://postgres@127.0.0.1:5432/sb_bidload?sslmode=disable -b 50 -c 32 -d 20s -n 20
//
// With -hot-end the hot auction ends halfway through the run (bids keep
// coming and are refused with 409 AUCTION_NOT_ACTIVE) and the delay of its
// close under that load is printed.
//
// It is a measuring tool for this machine, not part of the product.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secondbloom/marketplace/cmd/internal/loadtest"
)

const code = "135790"

func main() {
	base := flag.String("url", "http://127.0.0.1:3000", "server base URL")
	dsn := flag.String("dsn", "", "DATABASE_URL of the server, to stock products (required unless -print-codes)")
	bidders := flag.Int("b", 50, "bidders")
	c := flag.Int("c", 32, "concurrent clients")
	d := flag.Duration("d", 20*time.Second, "how long to bid")
	n := flag.Int("n", 20, "short auctions whose close delay is measured (0 skips)")
	prefix := flag.Int("prefix", 99895, "first digits of the phone numbers")
	printCodes := flag.Bool("print-codes", false, "print the OTP_TEST_CODES value for the phones and exit")
	hotEnd := flag.Bool("hot-end", false, "end the hot auction halfway through the run and measure its close under the load")
	flag.Parse()

	phones := loadtest.Phones(*prefix, *bidders+1) // phones[0] is the seller
	if *printCodes {
		fmt.Println(loadtest.TestCodes(phones, code))
		return
	}
	if *dsn == "" {
		fail(fmt.Errorf("-dsn is required"))
	}
	client := loadtest.NewClient(*c)
	tokens, ids, err := loadtest.SignInAll(client, *base, phones, code)
	if err != nil {
		fail(err)
	}
	pids, err := loadtest.Stock(*dsn, ids[0], "Auctioned bouquet", 1+*n, 1)
	if err != nil {
		fail(err)
	}
	hotEndsAt := time.Now().Add(*d + time.Minute).UTC().Truncate(time.Millisecond)
	if *hotEnd {
		hotEndsAt = time.Now().Add(*d / 2).UTC().Truncate(time.Millisecond)
	}
	hot, err := openAuction(client, *base, tokens[0], pids[0], hotEndsAt)
	if err != nil {
		fail(err)
	}
	bidHot(client, *base, hot, tokens[1:], *c, *d)
	if *hotEnd {
		a, err := getAuction(client, *base, hot)
		if err != nil || a.Status != "ENDED" {
			fail(fmt.Errorf("hot auction not ENDED at the end of the run: %+v %v", a, err))
		}
		fmt.Printf("hot auction closed %s after its endsAt, under the load (endsAt %s)\n", a.UpdatedAt.Sub(a.EndsAt).Round(time.Millisecond), a.EndsAt.Format(time.RFC3339Nano))
	}
	if *n > 0 {
		measureClose(client, *base, tokens, pids[1:])
	}
}

func bidHot(client *http.Client, base, auctionID string, tokens []string, c int, d time.Duration) {
	var (
		mu       sync.Mutex
		lat      []time.Duration
		okLat    []time.Duration
		statuses = map[string]int{}
		next     atomic.Int64
	)
	next.Store(999)
	elapsed := loadtest.RunFor(c, d, 11, func(rnd *rand.Rand) {
		tok := tokens[rnd.IntN(len(tokens))]
		body := fmt.Sprintf(`{"amount":%d}`, next.Add(1))
		t0 := time.Now()
		status, code, err := post(client, base+"/api/v1/auctions/"+auctionID+"/bids", tok, body)
		el := time.Since(t0)
		key := fmt.Sprintf("%d %s", status, code)
		if err != nil {
			key = "transport error"
		}
		mu.Lock()
		statuses[key]++
		lat = append(lat, el)
		if status == http.StatusCreated {
			okLat = append(okLat, el)
		}
		mu.Unlock()
	})
	fmt.Printf("POST /api/v1/auctions/{id}/bids on one hot auction: %d bidders, %d clients, %s\n", len(tokens), c, elapsed.Round(time.Millisecond))
	fmt.Printf("  requests %d => %.0f req/s; accepted %d => %.0f accepted bids/s\n", len(lat), float64(len(lat))/elapsed.Seconds(),
		len(okLat), float64(len(okLat))/elapsed.Seconds())
	fmt.Printf("  latency, all answers: %s\n", loadtest.Describe(lat))
	fmt.Printf("  latency, 201s:        %s\n", loadtest.Describe(okLat))
	fmt.Printf("  statuses: %v\n", statuses)
}

// measureClose opens one short auction per product, ending 2 to 4 s from
// now, bids on each, and waits until every one is ENDED.
func measureClose(client *http.Client, base string, tokens []string, pids []string) {
	type lot struct {
		id     string
		endsAt time.Time
	}
	var lots []lot
	for i, pid := range pids {
		endsAt := time.Now().Add(2*time.Second + time.Duration(i)*2*time.Second/time.Duration(len(pids))).UTC().Truncate(time.Millisecond)
		id, err := openAuction(client, base, tokens[0], pid, endsAt)
		if err != nil {
			fail(err)
		}
		if status, code, err := post(client, base+"/api/v1/auctions/"+id+"/bids", tokens[1+i%(len(tokens)-1)], `{"amount":1000}`); err != nil || status != http.StatusCreated {
			fail(fmt.Errorf("bid on short auction: %d %s %v", status, code, err))
		}
		lots = append(lots, lot{id, endsAt})
	}
	var delays []time.Duration
	deadline := time.Now().Add(60 * time.Second)
	for _, l := range lots {
		for {
			a, err := getAuction(client, base, l.id)
			if err != nil {
				fail(err)
			}
			if a.Status == "ENDED" {
				if a.OrderID == nil {
					fail(fmt.Errorf("auction %s ended without the winner's order", l.id))
				}
				if !a.EndsAt.Equal(l.endsAt) {
					fail(fmt.Errorf("auction %s endsAt moved from %s to %s (anti-snipe window too long for this run)", l.id, l.endsAt, a.EndsAt))
				}
				delays = append(delays, a.UpdatedAt.Sub(a.EndsAt))
				break
			}
			if time.Now().After(deadline) {
				fail(fmt.Errorf("auction %s not closed 60 s later", l.id))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	fmt.Printf("close delay (updatedAt - endsAt) over %d auctions: %s\n", len(delays), loadtest.Describe(delays))
}

func post(client *http.Client, url, token, body string) (int, string, error) {
	resp, err := client.Do(loadtest.NewPost(url, token, body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var out struct {
		Error struct{ Code string }
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out.Error.Code, nil
}

type auctionView struct {
	Status    string
	OrderID   *string
	EndsAt    time.Time
	UpdatedAt time.Time
}

func getAuction(client *http.Client, base, id string) (auctionView, error) {
	resp, err := client.Get(base + "/api/v1/auctions/" + id)
	if err != nil {
		return auctionView{}, err
	}
	defer resp.Body.Close()
	var out struct{ Data auctionView }
	return out.Data, json.NewDecoder(resp.Body).Decode(&out)
}

func openAuction(client *http.Client, base, token, productID string, endsAt time.Time) (string, error) {
	body := fmt.Sprintf(`{"productId":%q,"startPrice":1000,"minIncrement":1,"endsAt":%q}`, productID, endsAt.UTC().Format(time.RFC3339Nano))
	resp, err := client.Do(loadtest.NewPost(base+"/api/v1/auctions", token, body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("POST /auctions: %d %s", resp.StatusCode, raw)
	}
	var out struct{ Data struct{ ID string } }
	return out.Data.ID, json.Unmarshal(raw, &out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bidload:", err)
	os.Exit(1)
}
