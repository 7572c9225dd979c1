// Command orderload measures POST /api/v1/orders of a running server on
// PostgreSQL. It signs in a seller and b buyers with fixed test codes, stocks
// p products for the seller directly in the database (the catalog routes
// are another area's), then has c concurrent clients place orders of
// quantity 1 for d and prints throughput, latency percentiles and the
// status counts.
//
//	createdb -h 127.0.0.1 -U postgres sb_load
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/sb_load?sslmode=disable \
//	  OTP_TEST_CODES="$(go run ./cmd/orderload -print-codes -b 50)" \
//	  RATE_LIMIT_OTP_PER_IP=1000000 LOG_LEVEL=warn ./bin/server &
//	go run ./cmd/orderload -dsn postgres://postgres@127.0.0.1:5432/sb_load?sslmode=disable -b 50 -p 500 -c 32 -d 20s
//
// -p 1 measures one hot product, whose row lock serializes every order.
// pgbench.sql sends the database the same statements for comparison; see
// README.md. It is a measuring tool for this machine, not part of the
// product.
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/secondbloom/marketplace/cmd/internal/loadtest"
	"github.com/secondbloom/marketplace/domain/product"
)

const code = "246810"

func main() {
	base := flag.String("url", "http://127.0.0.1:3000", "server base URL")
	dsn := flag.String("dsn", "", "DATABASE_URL of the server, to stock products (required unless -print-codes)")
	buyers := flag.Int("b", 50, "buyers")
	products := flag.Int("p", 500, "products to spread orders over (1 = one hot product)")
	c := flag.Int("c", 32, "concurrent clients")
	d := flag.Duration("d", 20*time.Second, "how long to send orders")
	prefix := flag.Int("prefix", 99894, "first digits of the phone numbers")
	printCodes := flag.Bool("print-codes", false, "print the OTP_TEST_CODES value for the phones and exit")
	flag.Parse()

	phones := loadtest.Phones(*prefix, *buyers+1) // phones[0] is the seller
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
	pids, err := loadtest.Stock(flag.Lookup("dsn").Value.String(), ids[0], "Load bouquet", *products, product.MaxQuantity)
	if err != nil {
		fail(err)
	}

	var (
		mu       sync.Mutex
		lat      []time.Duration
		statuses = map[int]int{}
	)
	elapsed := loadtest.RunFor(*c, *d, 7, func(rnd *rand.Rand) {
		b := 1 + rnd.IntN(*buyers)
		body := fmt.Sprintf(`{"productId":%q,"quantity":1}`, pids[rnd.IntN(len(pids))])
		req := loadtest.NewPost(*base+"/api/v1/orders", tokens[b], body)
		t0 := time.Now()
		resp, err := client.Do(req)
		el := time.Since(t0)
		status := 0
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			status = resp.StatusCode
		}
		mu.Lock()
		statuses[status]++
		if status == http.StatusCreated {
			lat = append(lat, el)
		}
		mu.Unlock()
	})
	fmt.Printf("POST /api/v1/orders: %d products, %d buyers, %d clients, %s\n", len(pids), *buyers, *c, elapsed.Round(time.Millisecond))
	fmt.Printf("  created %d  => %.0f orders/s\n", len(lat), float64(len(lat))/elapsed.Seconds())
	fmt.Printf("  latency of 201s: %s\n", loadtest.Summarize(lat))
	fmt.Printf("  statuses: %v (0 = transport error)\n", statuses)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "orderload:", err)
	os.Exit(1)
}
