// Command benchbare is the yardstick of make bench-http: a bare Fiber app
// that answers each request with bytes captured from the real server
// beforehand, and does nothing else (no middleware, no store). Comparing
// the real server with it in the same run separates the cost of the
// server's own work from what the machine, Fiber and the load generator
// cost anyway.
//
//	benchbare -addr 127.0.0.1:39301 -responses responses.json
//
// responses.json is a list of {"method","target","status","contentType",
// "body"} (body as a JSON string); a request whose method and target
// (path and query) match no entry gets 404. It is a measuring tool for this
// machine, not part of the product.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"os"

	"github.com/gofiber/fiber/v2"
)

// Response is one captured answer.
type Response struct {
	Method      string `json:"method"`
	Target      string `json:"target"`
	Status      int    `json:"status"`
	ContentType string `json:"contentType"`
	Body        string `json:"body"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:39301", "listen address")
	file := flag.String("responses", "", "JSON file of captured responses (required)")
	flag.Parse()
	raw, err := os.ReadFile(*file)
	if err != nil {
		log.Fatal(err)
	}
	var list []Response
	if err := json.Unmarshal(raw, &list); err != nil {
		log.Fatalf("%s: %v", *file, err)
	}
	type answer struct {
		status int
		ctype  string
		body   []byte
	}
	byKey := make(map[string]answer, len(list))
	for _, r := range list {
		byKey[r.Method+" "+r.Target] = answer{r.Status, r.ContentType, []byte(r.Body)}
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(func(c *fiber.Ctx) error {
		a, ok := byKey[c.Method()+" "+string(c.Request().RequestURI())]
		if !ok {
			return c.SendStatus(fiber.StatusNotFound)
		}
		c.Set(fiber.HeaderContentType, a.ctype)
		return c.Status(a.status).Send(a.body)
	})
	log.Fatal(app.Listen(*addr))
}
