// Package apiclient is a typed Go client of the marketplace API, generated
// by oapi-codegen from the OpenAPI description the server serves at
// /api/v1/openapi.json, the way a mobile or web team would generate theirs.
// The acceptance suite drives the server through it, so a description that
// generates an unusable client fails the build. Never edit client.gen.go or
// openapi.json by hand: `make generate` rebuilds both and `make
// check-generate` fails when they are stale.
package apiclient

//go:generate go run ./internal/dumpspec openapi.json
//go:generate go tool oapi-codegen -config oapi-codegen.yaml openapi.json
