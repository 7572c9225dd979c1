package http

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/secondbloom/marketplace/adapters/clock"
	"github.com/secondbloom/marketplace/adapters/jwt"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/phone"
)

// smsFunc is an SMS sender that calls a function and drops the code.
type smsFunc func()

func (f smsFunc) SendCode(context.Context, phone.Number, auth.Code) error { f(); return nil }

func newTestServer(t *testing.T) *Server {
	t.Helper()
	store := memory.New()
	tokens, err := jwt.New([]byte("openapi-test-secret-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	core, err := app.New(app.Deps{Tx: store, Repos: store.Repos(), Clock: clock.System{}, Pinger: store,
		SMS: smsFunc(func() {}), Tokens: tokens, Config: app.Config{CodeHashKey: []byte("openapi-test-key-0123456789abcdefgh")}})
	if err != nil {
		t.Fatal(err)
	}
	return New(core, Options{Version: "test"})
}

// TestOpenAPIMatchesRoutes fails when a route is registered without being
// documented in openapi/, or documented without being registered.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := newTestServer(t)
	param := regexp.MustCompile(`:([A-Za-z0-9_]+)`)
	registered := map[string]bool{}
	for _, r := range s.App().GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == "HEAD" {
			continue
		}
		registered[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version = %q, want 3.x", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	var missing, stale []string
	for r := range registered {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for d := range documented {
		if !registered[d] {
			stale = append(stale, d)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 {
		t.Errorf("routes missing from openapi/: %v", missing)
	}
	if len(stale) > 0 {
		t.Errorf("documented routes that are not registered: %v", stale)
	}
	if len(registered) < 10 {
		t.Errorf("only %d routes found; the route walk is broken", len(registered))
	}
}
