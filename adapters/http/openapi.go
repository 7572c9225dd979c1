package http

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"

	"github.com/gofiber/fiber/v2"
)

// The OpenAPI 3 description of every route under /api/v1 lives in
// openapi/: base.json holds info and shared components, and one fragment per
// area adds its "paths" and, optionally, "components.schemas". Fragments are
// merged at start; a path or schema defined twice is an error.
// TestOpenAPIMatchesRoutes keeps the result in step with the registered
// routes.
//
//go:embed openapi/*.json
var openAPIFiles embed.FS

// openAPISpec is the merged document, built once.
var openAPISpec = mustMergeOpenAPI(openAPIFiles)

func mustMergeOpenAPI(files fs.FS) []byte {
	b, err := mergeOpenAPI(files)
	if err != nil {
		panic(err)
	}
	return b
}

func mergeOpenAPI(files fs.FS) ([]byte, error) {
	read := func(name string) (map[string]any, error) {
		raw, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return m, nil
	}
	doc, err := read("openapi/base.json")
	if err != nil {
		return nil, err
	}
	paths := map[string]any{}
	components, _ := doc["components"].(map[string]any)
	schemas, _ := components["schemas"].(map[string]any)
	names, _ := fs.Glob(files, "openapi/*.json")
	sort.Strings(names)
	for _, name := range names {
		if name == "openapi/base.json" {
			continue
		}
		frag, err := read(name)
		if err != nil {
			return nil, err
		}
		fp, _ := frag["paths"].(map[string]any)
		for p, v := range fp {
			if _, dup := paths[p]; dup {
				return nil, fmt.Errorf("%s: path %s is defined twice", name, p)
			}
			paths[p] = v
		}
		if fc, ok := frag["components"].(map[string]any); ok {
			fs, _ := fc["schemas"].(map[string]any)
			for k, v := range fs {
				if _, dup := schemas[k]; dup {
					return nil, fmt.Errorf("%s: schema %s is defined twice", name, k)
				}
				schemas[k] = v
			}
		}
	}
	addCommonResponses(doc, paths)
	doc["paths"] = paths
	return json.MarshalIndent(doc, "", "  ")
}

// addCommonResponses gives every operation the responses base.json lists
// under x-common-responses (status to components.responses name): the
// transport-level refusals any request can meet before it is routed. An
// operation that documents such a status itself keeps its own.
func addCommonResponses(doc map[string]any, paths map[string]any) {
	common, _ := doc["x-common-responses"].(map[string]any)
	for _, item := range paths {
		ops, _ := item.(map[string]any)
		for _, op := range ops {
			o, ok := op.(map[string]any)
			if !ok {
				continue
			}
			responses, ok := o["responses"].(map[string]any)
			if !ok {
				continue
			}
			for status, name := range common {
				if _, set := responses[status]; !set {
					responses[status] = map[string]any{"$ref": "#/components/responses/" + fmt.Sprint(name)}
				}
			}
		}
	}
}

func (s *Server) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(openAPISpec)
}

// OpenAPISpec returns the merged OpenAPI description served at
// /api/v1/openapi.json, for tools that check responses against it or
// generate clients from it.
func OpenAPISpec() []byte { return append([]byte(nil), openAPISpec...) }
