package acceptance

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // decoding stored photos
	_ "image/png"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/acceptance/testenv"
	"github.com/secondbloom/marketplace/adapters/blobstore"
	"github.com/secondbloom/marketplace/adapters/clock"
	"github.com/secondbloom/marketplace/adapters/imaging/imagingtest"
	"github.com/secondbloom/marketplace/adapters/s3test"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/ports"
)

// forEachMediaBackend runs fn on the memory store with photos in a
// directory, and on PostgreSQL with photos in an S3 bucket served by a
// real S3 protocol peer on a loopback port.
func forEachMediaBackend(t *testing.T, opt testenv.Options, fn func(t *testing.T, e *testenv.Env)) {
	t.Helper()
	t.Run("memory+file", func(t *testing.T) { fn(t, testenv.New(t, testenv.Memory, opt)) })
	t.Run("postgres+s3", func(t *testing.T) {
		bucket, err := blobstore.Open(context.Background(), s3test.Start(t, "media").URL("media", ""))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = bucket.Close() })
		o := opt
		o.MediaStore = bucket
		fn(t, testenv.New(t, testenv.Postgres, o))
	})
}

// part is one part of a multipart body.
type part struct {
	name, filename, contentType string
	data                        []byte
}

func multipartBody(t *testing.T, parts ...part) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := make(map[string][]string)
		disp := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.filename != "" {
			disp += fmt.Sprintf(`; filename=%q`, p.filename)
		}
		h["Content-Disposition"] = []string{disp}
		if p.contentType != "" {
			h["Content-Type"] = []string{p.contentType}
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = pw.Write(p.data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

// upload sends data as the file part, under a name and type that claim a
// JPEG whatever it is: the server must read the bytes.
func upload(t *testing.T, e *testenv.Env, token string, data []byte) *testenv.Response {
	t.Helper()
	body, ct := multipartBody(t, part{name: "file", filename: "photo.jpg", contentType: "image/jpeg", data: data})
	return e.Do(t, testenv.Request{Method: http.MethodPost, Path: "/api/v1/media", Body: body, ContentType: ct, Token: token})
}

func mustUpload(t *testing.T, e *testenv.Env, token string, data []byte) map[string]any {
	t.Helper()
	return mustCreate(t, upload(t, e, token, data), "media")
}

func num(v any) int { f, _ := v.(float64); return int(f) }

// fetch GETs a /media/ URL and returns the response.
func fetch(t *testing.T, e *testenv.Env, url string, header map[string]string) *testenv.Response {
	t.Helper()
	return e.Do(t, testenv.Request{Method: http.MethodGet, Path: url, Header: header})
}

func TestPhotoUploads(t *testing.T) {
	forEachMediaBackend(t, catalogOptions(), func(t *testing.T, e *testenv.Env) {
		seller := e.SignIn(t, sellerPhone)

		t.Run("a phone photo with GPS and a turned camera is stored upright and without metadata", func(t *testing.T) {
			m := mustUpload(t, e, seller.AccessToken, imagingtest.PhotoWithExif(t, 400, 200, 6))
			if num(m["width"]) != 200 || num(m["height"]) != 400 || m["contentType"] != "image/jpeg" {
				t.Errorf("media = %v, want 200x400 image/jpeg (turned upright)", m)
			}
			url, _ := m["url"].(string)
			if !strings.HasPrefix(url, "/media/") {
				t.Fatalf("url = %q, want one served by this server under /media/", url)
			}
			r := fetch(t, e, url, nil)
			if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/jpeg" ||
				r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || r.Header.Get("ETag") == "" {
				t.Fatalf("GET %s = %d %v", url, r.Status, r.Header)
			}
			if len(r.Raw) != num(m["sizeBytes"]) {
				t.Errorf("served %d bytes, sizeBytes says %d", len(r.Raw), num(m["sizeBytes"]))
			}
			for _, marker := range []string{"Exif", imagingtest.GPSLatitude, "taken at home"} {
				if bytes.Contains(r.Raw, []byte(marker)) {
					t.Errorf("stored bytes contain %q", marker)
				}
			}
			cfg, format, err := image.DecodeConfig(bytes.NewReader(r.Raw))
			if err != nil || format != "jpeg" || cfg.Width != 200 || cfg.Height != 400 {
				t.Errorf("stored image = %s %dx%d (%v), want jpeg 200x400", format, cfg.Width, cfg.Height, err)
			}
			if r := fetch(t, e, url, map[string]string{"If-None-Match": r.Header.Get("ETag")}); r.Status != http.StatusNotModified {
				t.Errorf("GET with If-None-Match = %d, want 304", r.Status)
			}
			part := fetch(t, e, url, map[string]string{"Range": "bytes=0-9"})
			if part.Status != http.StatusPartialContent || len(part.Raw) != 10 || !bytes.Equal(part.Raw, r.Raw[:10]) ||
				part.Header.Get("Content-Range") != fmt.Sprintf("bytes 0-9/%d", len(r.Raw)) {
				t.Errorf("GET Range bytes=0-9 = %d, %d bytes, %q", part.Status, len(part.Raw), part.Header.Get("Content-Range"))
			}
			vs, _ := m["variants"].(map[string]any)
			thumb, _ := vs["thumb"].(map[string]any)
			if num(thumb["width"]) != 160 || num(thumb["height"]) != 320 {
				t.Errorf("thumb = %v, want 160x320", thumb)
			}
			if r := fetch(t, e, thumb["url"].(string), nil); r.Status != http.StatusOK {
				t.Errorf("GET thumb = %d", r.Status)
			}
			// Two uploads of the same bytes get different ids and keys.
			again := mustUpload(t, e, seller.AccessToken, imagingtest.PhotoWithExif(t, 400, 200, 6))
			if again["id"] == m["id"] || again["url"] == m["url"] {
				t.Errorf("same bytes uploaded twice share id or url: %v %v", again["id"], again["url"])
			}
		})

		t.Run("transparent PNG and WebP are kept as PNG, opaque WebP becomes JPEG", func(t *testing.T) {
			for _, tc := range []struct {
				name string
				data []byte
				want string
			}{
				{"png with alpha", imagingtest.AlphaPNG(t, 60, 40), "image/png"},
				{"webp", imagingtest.WebP, "image/jpeg"},
				{"webp with alpha", imagingtest.WebPAlpha, "image/png"},
			} {
				m := mustUpload(t, e, seller.AccessToken, tc.data)
				if m["contentType"] != tc.want {
					t.Errorf("%s stored as %v, want %s", tc.name, m["contentType"], tc.want)
				}
				r := fetch(t, e, m["url"].(string), nil)
				if _, format, err := image.DecodeConfig(bytes.NewReader(r.Raw)); err != nil || "image/"+format != tc.want {
					t.Errorf("%s: served bytes are %s (%v), want %s", tc.name, format, err, tc.want)
				}
			}
		})

		t.Run("a polyglot keeps only its pixels", func(t *testing.T) {
			m := mustUpload(t, e, seller.AccessToken, imagingtest.Polyglot(t))
			r := fetch(t, e, m["url"].(string), nil)
			if bytes.Contains(r.Raw, []byte(imagingtest.PolyglotMarker)) || bytes.Contains(r.Raw, []byte("PK\x03\x04")) {
				t.Error("the appended document is served")
			}
			if r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("photos are served without X-Content-Type-Options: nosniff")
			}
		})

		t.Run("bad files are refused", func(t *testing.T) {
			for _, tc := range []struct {
				name  string
				data  []byte
				want  int
				field string
			}{
				{"decompression bomb", imagingtest.BombPNG(50000, 50000), 400, "file"},
				{"truncated jpeg", imagingtest.Truncated(t), 400, "file"},
				{"empty file", nil, 400, "file"},
				{"text named .jpg", imagingtest.Text, 415, ""},
				{"gif", imagingtest.GIF(t), 415, ""},
			} {
				r := upload(t, e, seller.AccessToken, tc.data)
				if r.Status != tc.want {
					t.Errorf("%s: %s, want %d", tc.name, r, tc.want)
					continue
				}
				if tc.field != "" && !strings.Contains(string(r.Raw), `"field":"`+tc.field+`"`) {
					t.Errorf("%s: %s, want a detail naming %s", tc.name, r, tc.field)
				}
			}
			jpeg := imagingtest.JPEG(t, imagingtest.Pattern(20, 20))
			for name, parts := range map[string][]part{
				"no file part":   {{name: "title", data: []byte("x")}},
				"an extra part":  {{name: "file", filename: "a.jpg", data: jpeg}, {name: "caption", data: []byte("x")}},
				"two file parts": {{name: "file", filename: "a.jpg", data: jpeg}, {name: "file", filename: "b.jpg", data: jpeg}},
			} {
				body, ct := multipartBody(t, parts...)
				r := e.Do(t, testenv.Request{Method: http.MethodPost, Path: "/api/v1/media", Body: body, ContentType: ct, Token: seller.AccessToken})
				if r.Status != http.StatusBadRequest || r.ErrorCode() != "VALIDATION_FAILED" {
					t.Errorf("%s: %s, want 400", name, r)
				}
			}
			if r := e.Do(t, testenv.Request{Method: http.MethodPost, Path: "/api/v1/media", Body: jpeg, ContentType: "image/jpeg", Token: seller.AccessToken}); r.Status != http.StatusUnsupportedMediaType {
				t.Errorf("a bare JPEG body = %s, want 415", r)
			}
			if r := upload(t, e, "", jpeg); r.Status != http.StatusUnauthorized {
				t.Errorf("anonymous upload = %s, want 401", r)
			}
			big := bytes.Repeat([]byte{0xFF}, 10<<20+1)
			if r := upload(t, e, seller.AccessToken, big); r.Status != http.StatusRequestEntityTooLarge || r.ErrorCode() != "PAYLOAD_TOO_LARGE" {
				t.Errorf("11 MB upload = %d %s, want 413", r.Status, r.ErrorCode())
			}
		})
	})
}

func TestPhotosOnProducts(t *testing.T) {
	forEachMediaBackend(t, catalogOptions(), func(t *testing.T, e *testenv.Env) {
		admin := e.SignIn(t, adminPhone)
		seller := e.SignIn(t, sellerPhone)
		rival := e.SignIn(t, rivalPhone)
		cat := mustCreate(t, e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Tulips"}), "category")

		var photos []map[string]any
		for i := 0; i < 11; i++ {
			photos = append(photos, mustUpload(t, e, seller.AccessToken, imagingtest.JPEG(t, imagingtest.Pattern(40+i, 30))))
		}
		rivals := mustUpload(t, e, rival.AccessToken, imagingtest.JPEG(t, imagingtest.Pattern(40, 30)))
		ref := func(m map[string]any, pos int) map[string]any {
			return map[string]any{"mediaId": m["id"], "position": pos}
		}
		newProduct := func(title string, images any) *testenv.Response {
			return e.Post(t, "/api/v1/products", seller.AccessToken, map[string]any{"title": title, "price": 5000,
				"categoryId": cat["id"], "conditionId": freshestID, "sizeId": smallID, "images": images})
		}

		p := mustCreate(t, newProduct("Yellow tulips", []map[string]any{ref(photos[1], 3), ref(photos[0], 0)}), "product")
		imgs, _ := p["images"].([]any)
		if len(imgs) != 2 {
			t.Fatalf("images = %v, want 2", p["images"])
		}
		first := imgs[0].(map[string]any)
		if first["mediaId"] != photos[0]["id"] || num(first["position"]) != 0 || first["url"] != photos[0]["url"] ||
			num(first["width"]) != num(photos[0]["width"]) || first["variants"] == nil {
			t.Errorf("first image = %v, want photo 0 at position 0 with its url, size and variants", first)
		}
		pid := p["id"].(string)

		t.Run("a product shows at most ten photos, only its seller's, by id", func(t *testing.T) {
			var eleven []map[string]any
			for i, m := range photos {
				eleven = append(eleven, ref(m, i%10))
			}
			for name, images := range map[string]any{
				"11 images":            eleven,
				"someone else's photo": []map[string]any{ref(rivals, 0)},
				"an unknown photo":     []map[string]any{{"mediaId": "0193a000-0000-7000-8000-000000000999", "position": 0}},
				"an image URL":         []map[string]any{{"url": "https://example.com/a.jpg", "position": 0}},
				"position 10":          []map[string]any{ref(photos[0], 10)},
				"duplicate positions":  []map[string]any{ref(photos[0], 1), ref(photos[1], 1)},
				"no position":          []map[string]any{{"mediaId": photos[0]["id"]}},
			} {
				if r := newProduct("Refused "+name, images); r.Status != http.StatusBadRequest {
					t.Errorf("%s: POST /products = %s, want 400", name, r)
				}
			}
			// One photo may be on several products of its owner.
			mustCreate(t, newProduct("Same photo again", []map[string]any{ref(photos[0], 0)}), "product")
			// Staff may attach anyone's photo.
			r := e.Patch(t, "/api/v1/products/"+pid, admin.AccessToken, map[string]any{"images": []map[string]any{ref(photos[0], 0), ref(rivals, 1)}})
			if r.Status != http.StatusOK || len(r.Data()["images"].([]any)) != 2 {
				t.Errorf("staff PATCH with the rival's photo = %s, want 200 with 2 images", r)
			}
		})

		t.Run("photos in use cannot be deleted; a PATCH replaces the set", func(t *testing.T) {
			if r := e.Delete(t, "/api/v1/media/"+photos[0]["id"].(string), seller.AccessToken); r.Status != http.StatusConflict {
				t.Errorf("DELETE a photo in use = %s, want 409", r)
			}
			r := e.Patch(t, "/api/v1/products/"+pid, seller.AccessToken, map[string]any{"images": []map[string]any{ref(photos[2], 0)}})
			if imgs := r.Data()["images"].([]any); r.Status != http.StatusOK || len(imgs) != 1 || imgs[0].(map[string]any)["mediaId"] != photos[2]["id"] {
				t.Fatalf("PATCH images = %s, want only photo 2", r)
			}
			if r := e.Delete(t, "/api/v1/media/"+rivals["id"].(string), rival.AccessToken); r.Status != http.StatusNoContent {
				t.Errorf("rival deletes their photo after it left the product = %s, want 204", r)
			}
			if r := e.Delete(t, "/api/v1/products/"+pid, seller.AccessToken); r.Status != http.StatusNoContent {
				t.Fatalf("archive = %s", r)
			}
			if r := e.Delete(t, "/api/v1/media/"+photos[2]["id"].(string), seller.AccessToken); r.Status != http.StatusConflict {
				t.Errorf("DELETE a photo of an ARCHIVED product = %s, want 409", r)
			}
			q := mustCreate(t, newProduct("Emptied", []map[string]any{ref(photos[5], 0)}), "product")
			r = e.Patch(t, "/api/v1/products/"+q["id"].(string), seller.AccessToken, map[string]any{"images": []any{}})
			if r.Status != http.StatusOK || len(r.Data()["images"].([]any)) != 0 {
				t.Errorf("PATCH images [] = %s, want none", r)
			}
			url := photos[5]["url"].(string)
			if r := e.Delete(t, "/api/v1/media/"+photos[5]["id"].(string), seller.AccessToken); r.Status != http.StatusNoContent {
				t.Fatalf("DELETE a detached photo = %s, want 204", r)
			}
			r = fetch(t, e, url, nil)
			if r.Status != http.StatusNotFound || r.Body != nil || strings.Contains(string(r.Raw), "success") {
				t.Errorf("GET deleted photo = %d %q, want a plain 404", r.Status, r.Raw)
			}
		})

		t.Run("only the owner and staff see a photo", func(t *testing.T) {
			path := "/api/v1/media/" + photos[3]["id"].(string)
			for _, who := range []struct {
				name, token string
				want        int
			}{{"owner", seller.AccessToken, 200}, {"staff", admin.AccessToken, 200}, {"someone else", rival.AccessToken, 404}, {"anonymous", "", 401}} {
				if r := e.Get(t, path, who.token); r.Status != who.want {
					t.Errorf("GET media as %s = %s, want %d", who.name, r, who.want)
				}
			}
			if r := e.Delete(t, path, rival.AccessToken); r.Status != http.StatusNotFound {
				t.Errorf("DELETE someone else's photo = %s, want 404", r)
			}
			if r := e.Get(t, "/api/v1/media/not-a-uuid", seller.AccessToken); r.Status != http.StatusNotFound {
				t.Errorf("GET media/not-a-uuid = %s, want 404", r)
			}
			if r := fetch(t, e, "/media/../../etc/passwd", nil); r.Status != http.StatusNotFound {
				t.Errorf("GET /media/ with a made-up key = %d, want 404", r.Status)
			}
		})
	})
}

func TestPhotoJanitorAndLimits(t *testing.T) {
	clk := clock.NewFake(time.Now())
	opt := catalogOptions()
	opt.Clock = clk
	opt.ManualJanitor = true
	opt.Configure = func(c *app.Config) { c.ProductModeration = false; c.MediaUploadsPerHour = 4 }
	forEachMediaBackend(t, opt, func(t *testing.T, e *testenv.Env) {
		admin := e.SignIn(t, adminPhone)
		seller := e.SignIn(t, sellerPhone)
		cat := mustCreate(t, e.Post(t, "/api/v1/categories", admin.AccessToken, map[string]any{"name": "Lilies"}), "category")
		jpeg := imagingtest.JPEG(t, imagingtest.Pattern(30, 20))

		orphan := mustUpload(t, e, seller.AccessToken, jpeg)
		shown := mustUpload(t, e, seller.AccessToken, jpeg)
		mustCreate(t, e.Post(t, "/api/v1/products", seller.AccessToken, map[string]any{"title": "White lilies", "price": 100,
			"categoryId": cat["id"], "conditionId": freshestID, "sizeId": smallID, "images": []map[string]any{{"mediaId": shown["id"], "position": 0}}}), "product")

		t.Run("a user gets 429 with Retry-After past the hourly limit, deletes do not give uploads back", func(t *testing.T) {
			extra := mustUpload(t, e, seller.AccessToken, jpeg)
			if r := e.Delete(t, "/api/v1/media/"+extra["id"].(string), seller.AccessToken); r.Status != http.StatusNoContent {
				t.Fatal(r)
			}
			mustUpload(t, e, seller.AccessToken, jpeg)
			r := upload(t, e, seller.AccessToken, jpeg)
			if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
				t.Fatalf("fifth upload in an hour = %s (Retry-After %q), want 429 with Retry-After", r, r.Header.Get("Retry-After"))
			}
			other := e.SignIn(t, rivalPhone)
			mustUpload(t, e, other.AccessToken, jpeg)
		})

		t.Run("the janitor deletes photos on no product after 24 hours, bytes included", func(t *testing.T) {
			if n, err := e.Core.Media.Sweep(context.Background()); err != nil || n != 0 {
				t.Fatalf("Sweep at once = %d, %v; want nothing deleted", n, err)
			}
			clk.Advance(24*time.Hour + time.Minute)
			n, err := e.Core.Media.Sweep(context.Background())
			if err != nil || n != 3 { // orphan, the fourth upload, the other user's
				t.Errorf("Sweep after 24 h = %d, %v; want 3", n, err)
			}
			if r := fetch(t, e, orphan["url"].(string), nil); r.Status != http.StatusNotFound {
				t.Errorf("GET orphan bytes after the sweep = %d, want 404", r.Status)
			}
			seller := e.SignIn(t, sellerPhone) // a day later the old token has expired
			if r := e.Get(t, "/api/v1/media/"+orphan["id"].(string), seller.AccessToken); r.Status != http.StatusNotFound {
				t.Errorf("GET orphan after the sweep = %s, want 404", r)
			}
			if r := fetch(t, e, shown["url"].(string), nil); r.Status != http.StatusOK {
				t.Errorf("GET a shown photo after the sweep = %d, want 200", r.Status)
			}
			// The hour has passed: uploads are accepted again.
			mustUpload(t, e, seller.AccessToken, jpeg)
		})
	})
}

// TestTenConcurrentUploads: ten uploads at once all succeed (they queue for
// the two processing slots). A real listener and client, so a slow
// machine (or -race) cannot turn a queued upload into a client timeout.
func TestTenConcurrentUploads(t *testing.T) {
	e := testenv.New(t, testenv.Memory, catalogOptions())
	seller := e.SignIn(t, sellerPhone)
	body, ct := multipartBody(t, part{name: "file", filename: "a.jpg", data: imagingtest.JPEG(t, imagingtest.Pattern(320, 240))})
	url := e.Listen(t) + "/api/v1/media"
	client := &http.Client{Timeout: 5 * time.Minute}
	errs := make(chan error, 10)
	for range 10 {
		go func() {
			req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				errs <- err
				return
			}
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Authorization", "Bearer "+seller.AccessToken)
			resp, err := client.Do(req)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
			errs <- err
		}()
	}
	for range 10 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent upload = %v, want 201", err)
		}
	}
}

var _ ports.MediaStore = (*blobstore.Store)(nil)
