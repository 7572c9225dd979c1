// Command dumpspec writes the OpenAPI description that the server serves
// at GET /api/v1/openapi.json to a file, for the client generator. It
// builds the instance as cmd/server does (cmd/server/system) over the
// memory store and asks it, so the file is exactly what clients download.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"

	httpadapter "github.com/secondbloom/marketplace/adapters/http"
	"github.com/secondbloom/marketplace/adapters/jwt"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/cmd/server/system"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/phone"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: dumpspec FILE")
		os.Exit(2)
	}
	if err := dump(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "dumpspec:", err)
		os.Exit(1)
	}
}

func dump(path string) error {
	tokens, err := jwt.New([]byte("dumpspec-secret-never-used-0123456789"))
	if err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	sys, err := system.New(system.Config{Store: memory.New(), SMS: noSMS{}, Tokens: tokens, Logger: quiet,
		Core: app.Config{CodeHashKey: []byte("dumpspec-code-key-never-used-0123456789")}, CacheSizeMB: 1,
		HTTP: httpadapter.Options{Version: "dumpspec"}})
	if err != nil {
		return err
	}
	defer sys.Close()
	resp, err := sys.Server.App().Test(httptest.NewRequest("GET", "/api/v1/openapi.json", nil), -1)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET /api/v1/openapi.json = %d: %s", resp.StatusCode, body)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "  "); err != nil {
		return fmt.Errorf("openapi.json is not JSON: %w", err)
	}
	pretty.WriteByte('\n')
	return os.WriteFile(path, pretty.Bytes(), 0o644)
}

// noSMS is the sender of a server that never signs anyone in.
type noSMS struct{}

func (noSMS) SendCode(context.Context, phone.Number, auth.Code) error { return nil }
