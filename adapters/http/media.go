package http

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/media"
	"github.com/secondbloom/marketplace/domain/product"
)

// DefaultMediaMaxBytes is the largest upload when Options.MediaMaxBytes is
// 0.
const DefaultMediaMaxBytes = 10 << 20

// uploadOverhead is what a multipart body may add to the file itself.
const uploadOverhead = 64 << 10

// uploadPath is the one route with a body limit of its own (see New).
const uploadPath = "/api/v1/media"

// mediaCacheControl lets browsers and proxies keep photo bytes for a year:
// a key never changes content.
const mediaCacheControl = "public, max-age=31536000, immutable"

var (
	errNotMultipart = domain.New(domain.KindUnsupported, domain.CodeUnsupportedMediaType,
		"request body must be multipart/form-data with one part named file")
	errFileRequired = domain.Invalid("file", "a part named file is required")
)

func (s *Server) mediaRoutes(r fiber.Router) {
	r.Post("/media", s.authenticate, s.uploadMedia)
	r.Get("/media/:id", s.authenticate, s.getMedia)
	r.Delete("/media/:id", s.authenticate, s.deleteMedia)
}

// errUploadTooLarge reports an upload over the limit, naming it.
func (s *Server) errUploadTooLarge() error {
	return domain.New(domain.KindTooLarge, domain.CodePayloadTooLarge,
		fmt.Sprintf("file exceeds %d bytes", s.opt.MediaMaxBytes))
}

func (s *Server) uploadLimit() int { return int(s.opt.MediaMaxBytes) + uploadOverhead }

// errBodyTooLarge reports a file part over MediaMaxBytes.
var errBodyTooLarge = errors.New("file too large")

// uploadMedia reads the multipart body (at most the upload limit, which
// fasthttp enforced before the handler ran) and hands the file part to the
// core.
func (s *Server) uploadMedia(c *fiber.Ctx) error {
	mt, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != fiber.MIMEMultipartForm || params["boundary"] == "" {
		return errNotMultipart
	}
	body := c.Body()
	data, err := s.readFilePart(multipart.NewReader(bytes.NewReader(body), params["boundary"]), len(body))
	if errors.Is(err, errBodyTooLarge) {
		s.core.Media.RecordTooLarge()
		return s.errUploadTooLarge()
	}
	if err != nil {
		return err
	}
	m, err := s.core.Media.Upload(c.UserContext(), viewer(c), data)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusCreated, s.toMediaDTO(m))
}

// readFilePart returns the content of the one part named file. Any other
// part, a second file, or a file over the limit is refused.
// size is the body's length, which bounds the file's: the buffer is
// allocated once.
func (s *Server) readFilePart(mr *multipart.Reader, size int) ([]byte, error) {
	var (
		data  []byte
		found bool
	)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, errBodyTooLarge) {
				return nil, err
			}
			return nil, domain.Invalid("body", "malformed multipart body")
		}
		name := part.FormName()
		switch {
		case name != "file":
			if name == "" {
				name = "body"
			}
			return nil, domain.Invalid(name, "unexpected part; send one part named file")
		case found:
			return nil, domain.Invalid("file", "send one file per upload")
		}
		var buf bytes.Buffer
		buf.Grow(min(size, int(s.opt.MediaMaxBytes)) + bytes.MinRead)
		n, err := buf.ReadFrom(io.LimitReader(part, s.opt.MediaMaxBytes+1))
		if errors.Is(err, errBodyTooLarge) || n > s.opt.MediaMaxBytes {
			return nil, errBodyTooLarge
		}
		if err != nil {
			return nil, domain.Invalid("file", "malformed multipart body")
		}
		data, found = buf.Bytes(), true
	}
	if !found {
		return nil, errFileRequired
	}
	if len(data) == 0 {
		return nil, media.ErrEmpty
	}
	return data, nil
}

func (s *Server) getMedia(c *fiber.Ctx) error {
	id, err := pathID(c, media.ErrNotFound)
	if err != nil {
		return err
	}
	m, err := s.core.Media.Get(c.UserContext(), viewer(c), id)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, s.toMediaDTO(m))
}

func (s *Server) deleteMedia(c *fiber.Ctx) error {
	id, err := pathID(c, media.ErrNotFound)
	if err != nil {
		return err
	}
	if err := s.core.Media.Delete(c.UserContext(), viewer(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type mediaFileDTO struct {
	URL    string `json:"url"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

type mediaDTO struct {
	ID          string                  `json:"id"`
	URL         string                  `json:"url"`
	Width       int                     `json:"width"`
	Height      int                     `json:"height"`
	ContentType string                  `json:"contentType"`
	SizeBytes   int64                   `json:"sizeBytes"`
	Variants    map[string]mediaFileDTO `json:"variants"`
	CreatedAt   string                  `json:"createdAt"`
}

// mediaURL is the URL of a stored file: under MediaPublicURL when set,
// else served by this server under /media/.
func (s *Server) mediaURL(key string) string { return s.opt.mediaBase + key }

func (s *Server) variantDTOs(v media.Variants) map[string]mediaFileDTO {
	out := make(map[string]mediaFileDTO, len(media.Sizes))
	for _, size := range media.Sizes {
		f := v.Of(size)
		out[string(size)] = mediaFileDTO{URL: s.mediaURL(f.Key), Width: f.Width, Height: f.Height}
	}
	return out
}

func (s *Server) toMediaDTO(m *media.Media) mediaDTO {
	o := m.Original()
	return mediaDTO{ID: m.ID(), URL: s.mediaURL(o.Key), Width: o.Width, Height: o.Height, ContentType: string(m.ContentType()),
		SizeBytes: m.SizeBytes(), Variants: s.variantDTOs(m.Variants()), CreatedAt: timestamp(m.CreatedAt())}
}

// imageDTO is a product photo as products show it.
type imageDTO struct {
	MediaID  string                  `json:"mediaId"`
	URL      string                  `json:"url"`
	Width    int                     `json:"width"`
	Height   int                     `json:"height"`
	Position int                     `json:"position"`
	Variants map[string]mediaFileDTO `json:"variants"`
}

func (s *Server) toImageDTOs(imgs []product.Image) []imageDTO {
	out := make([]imageDTO, 0, len(imgs))
	for _, im := range imgs {
		out = append(out, imageDTO{MediaID: im.MediaID, URL: s.mediaURL(im.Original.Key), Width: im.Original.Width,
			Height: im.Original.Height, Position: im.Position, Variants: s.variantDTOs(im.Variants)})
	}
	return out
}

// imageRefDTO is a product photo as clients write it: only the media id
// and the position (URLs are refused as unknown fields).
type imageRefDTO struct {
	MediaID  string `json:"mediaId"`
	Position *int   `json:"position"`
}

// fromImageRefs checks and converts written images, adding problems to v.
func fromImageRefs(v *domain.Validation, in []imageRefDTO) []product.Image {
	out := make([]product.Image, 0, len(in))
	for i, im := range in {
		field := "images[" + strconv.Itoa(i) + "]"
		if !domain.ValidID(im.MediaID) {
			v.Add(field+".mediaId", "is required and must be a UUID")
		}
		if im.Position == nil {
			v.Add(field+".position", "is required")
			continue
		}
		out = append(out, product.Image{MediaID: im.MediaID, Position: *im.Position})
	}
	return out
}

// serveMedia serves stored bytes (when no CDN is configured): immutable
// caching, an ETag derived from the never-reused key, If-None-Match and
// single byte ranges. Unknown keys are a plain 404.
func (s *Server) serveMedia(c *fiber.Ctx) error {
	key := c.Params("key")
	if !media.ValidKey(key) {
		return plainNotFound(c)
	}
	etag := `"` + key + `"`
	c.Set(fiber.HeaderCacheControl, mediaCacheControl)
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; sandbox")
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		// Still check that the file exists: a deleted photo is not served,
		// not even as "unchanged".
		b, err := s.core.Media.Open(c.UserContext(), key, 0, 0)
		if errors.Is(err, media.ErrNotFound) {
			return plainNotFound(c)
		}
		if err != nil {
			return err
		}
		_ = b.Body.Close()
		return c.SendStatus(fiber.StatusNotModified)
	}
	ctx := c.UserContext()
	offset, length, ranged := int64(0), int64(-1), false
	if h := c.Get(fiber.HeaderRange); h != "" {
		head, err := s.core.Media.Open(ctx, key, 0, 0)
		if errors.Is(err, media.ErrNotFound) {
			return plainNotFound(c)
		}
		if err != nil {
			return err
		}
		_ = head.Body.Close()
		start, end, ok := parseRange(h, head.Size)
		if !ok {
			c.Set(fiber.HeaderContentRange, "bytes */"+strconv.FormatInt(head.Size, 10))
			return c.SendStatus(fiber.StatusRequestedRangeNotSatisfiable)
		}
		offset, length, ranged = start, end-start+1, true
	}
	b, err := s.core.Media.Open(ctx, key, offset, length)
	if errors.Is(err, media.ErrNotFound) {
		return plainNotFound(c)
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, string(media.ContentTypeOfKey(key)))
	n := b.Size
	if ranged {
		n = length
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", offset, offset+length-1, b.Size))
		c.Status(fiber.StatusPartialContent)
	}
	c.Context().SetBodyStream(b.Body, int(n))
	return nil
}

func plainNotFound(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.Status(fiber.StatusNotFound).SendString("not found\n")
}

// etagMatches reports whether an If-None-Match header names etag (or *).
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// parseRange reads a single byte range ("bytes=a-b", "bytes=a-",
// "bytes=-n") of an object of size bytes, and returns its first and last
// byte; ok is false when it cannot be satisfied. Several ranges are not
// supported and count as unsatisfiable.
func parseRange(h string, size int64) (start, end int64, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") || size == 0 {
		return 0, 0, false
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false
	}
	switch {
	case a == "":
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false
		}
		return max(0, size-n), size - 1, true
	default:
		s, err := strconv.ParseInt(a, 10, 64)
		if err != nil || s < 0 || s >= size {
			return 0, 0, false
		}
		e := size - 1
		if b != "" {
			if e, err = strconv.ParseInt(b, 10, 64); err != nil || e < s {
				return 0, 0, false
			}
			e = min(e, size-1)
		}
		return s, e, true
	}
}
