package http

import (
	"bytes"
	"compress/gzip"
	"embed"
	"path"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// The API reference page: swagger-ui-dist (Apache-2.0, version in
// apidocs/VERSION, re-vendored by apidocs/vendor.sh) rendering
// /api/v1/openapi.json. Every asset is embedded in the binary, so the page
// loads nothing from anywhere but this server.
//
//go:embed apidocs/index.html apidocs/init.js apidocs/page.css apidocs/swagger-ui-bundle.js apidocs/swagger-ui.css
var apiDocsFiles embed.FS

// docsCSP allows the page to load only from this server. Swagger UI sets
// element styles from script and its stylesheet draws icons as data: SVGs,
// hence 'unsafe-inline' for styles and data: for images; scripts stay
// 'self' only.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// docsAssets maps the files under /api/docs/ to their content types.
var docsAssets = map[string]string{
	"init.js":              "text/javascript; charset=utf-8",
	"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
	"swagger-ui.css":       "text/css; charset=utf-8",
	"page.css":             "text/css; charset=utf-8",
}

func (s *Server) docsRoutes() {
	s.fiber.Get("/api/docs", s.docsPage)
	s.fiber.Get("/api/docs/:file", s.docsAsset)
}

func (s *Server) docsPage(c *fiber.Ctx) error {
	return sendDocsFile(c, "index.html", fiber.MIMETextHTMLCharsetUTF8, "no-cache")
}

func (s *Server) docsAsset(c *fiber.Ctx) error {
	name := c.Params("file")
	ct, ok := docsAssets[name]
	if !ok {
		return fiber.ErrNotFound
	}
	// Asset names do not change between releases, so caches revalidate
	// after an hour rather than keep an old renderer for long.
	return sendDocsFile(c, name, ct, "public, max-age=3600")
}

// docsGzipped holds each asset compressed, made on first request: the
// renderer's script is 1.7 MB as shipped and about a quarter of that
// compressed.
var docsGzipped sync.Map // name -> func() ([]byte, error)

func gzipped(name string, b []byte) ([]byte, error) {
	f, _ := docsGzipped.LoadOrStore(name, sync.OnceValues(func() ([]byte, error) {
		var buf bytes.Buffer
		w, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(b); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}))
	return f.(func() ([]byte, error))()
}

func sendDocsFile(c *fiber.Ctx, name, contentType, cacheControl string) error {
	b, err := apiDocsFiles.ReadFile(path.Join("apidocs", name))
	if err != nil {
		return err
	}
	c.Vary(fiber.HeaderAcceptEncoding)
	if strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		if b, err = gzipped(name, b); err != nil {
			return err
		}
		c.Set(fiber.HeaderContentEncoding, "gzip")
	}
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderCacheControl, cacheControl)
	c.Set(fiber.HeaderContentSecurityPolicy, docsCSP)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	return c.Send(b)
}
