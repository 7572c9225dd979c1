package imaging

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/secondbloom/marketplace/adapters/imaging/imagingtest"
	"github.com/secondbloom/marketplace/domain/media"
	"github.com/secondbloom/marketplace/ports"
)

func process(t *testing.T, data []byte) (*ports.ProcessedImage, error) {
	t.Helper()
	return New().Process(context.Background(), data)
}

func decodeAs(t *testing.T, data []byte, want media.ContentType) image.Image {
	t.Helper()
	var (
		img image.Image
		err error
	)
	if want == media.PNG {
		img, err = png.Decode(bytes.NewReader(data))
	} else {
		img, err = jpeg.Decode(bytes.NewReader(data))
	}
	if err != nil {
		t.Fatalf("stored bytes do not decode as %s: %v", want, err)
	}
	return img
}

func isRed(img image.Image, x, y int) bool {
	r, g, _, _ := img.At(x, y).RGBA()
	return r > 2*g
}

func TestExifOrientationIsAppliedAndMetadataDropped(t *testing.T) {
	// Pattern is red in its top-left quarter. Upright, orientation 6 turns
	// the stored pixels clockwise: the red corner moves to the top right;
	// 8 turns them counter-clockwise: it moves to the bottom left; 3 puts
	// it bottom right.
	tests := []struct {
		orientation    int
		wantW, wantH   int
		redX, redY     float64 // where the red corner lands, as a fraction of the size
		greenX, greenY float64
	}{
		{1, 400, 200, 0.1, 0.1, 0.9, 0.9},
		{3, 400, 200, 0.9, 0.9, 0.1, 0.1},
		{6, 200, 400, 0.9, 0.1, 0.1, 0.9},
		{8, 200, 400, 0.1, 0.9, 0.9, 0.1},
	}
	for _, tc := range tests {
		data := imagingtest.PhotoWithExif(t, 400, 200, tc.orientation)
		if got := exifOrientation(data); got != tc.orientation {
			t.Fatalf("exifOrientation = %d, want %d", got, tc.orientation)
		}
		out, err := process(t, data)
		if err != nil {
			t.Fatalf("Process(orientation %d) = %v", tc.orientation, err)
		}
		o := out.Original
		if o.Width != tc.wantW || o.Height != tc.wantH {
			t.Errorf("orientation %d: stored %dx%d, want %dx%d", tc.orientation, o.Width, o.Height, tc.wantW, tc.wantH)
		}
		for _, marker := range []string{"Exif", imagingtest.GPSLatitude, "taken at home"} {
			if bytes.Contains(o.Data, []byte(marker)) {
				t.Errorf("orientation %d: stored bytes contain %q", tc.orientation, marker)
			}
		}
		img := decodeAs(t, o.Data, out.ContentType)
		if !isRed(img, int(tc.redX*float64(o.Width)), int(tc.redY*float64(o.Height))) ||
			isRed(img, int(tc.greenX*float64(o.Width)), int(tc.greenY*float64(o.Height))) {
			t.Errorf("orientation %d: red corner not where an upright image has it", tc.orientation)
		}
	}
}

func TestFormats(t *testing.T) {
	tests := []struct {
		name      string
		data      []byte
		want      media.ContentType
		wantAlpha bool
	}{
		{"jpeg", imagingtest.JPEG(t, imagingtest.Pattern(50, 40)), media.JPEG, false},
		{"opaque png", imagingtest.PNG(t, imagingtest.Pattern(50, 40)), media.JPEG, false},
		{"png with alpha", imagingtest.AlphaPNG(t, 50, 40), media.PNG, true},
		{"webp", imagingtest.WebP, media.JPEG, false},
		{"webp with alpha", imagingtest.WebPAlpha, media.PNG, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := process(t, tc.data)
			if err != nil {
				t.Fatalf("Process = %v", err)
			}
			if out.ContentType != tc.want {
				t.Fatalf("ContentType = %s, want %s", out.ContentType, tc.want)
			}
			img := decodeAs(t, out.Original.Data, out.ContentType)
			_, _, _, a := img.At(0, img.Bounds().Dy()/2).RGBA()
			if gotAlpha := a < 0xffff; gotAlpha != tc.wantAlpha {
				t.Errorf("left edge transparent = %v, want %v", gotAlpha, tc.wantAlpha)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, media.ErrEmpty},
		{"text named .jpg", imagingtest.Text, media.ErrUnsupported},
		{"gif", imagingtest.GIF(t), media.ErrUnsupported},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`), media.ErrUnsupported},
		{"decompression bomb", imagingtest.BombPNG(50000, 50000), media.ErrTooManyPixels},
		{"truncated jpeg", imagingtest.Truncated(t), media.ErrCorrupt},
		{"png signature only", []byte("\x89PNG\r\n\x1a\n"), media.ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := process(t, tc.data); !errors.Is(err, tc.want) {
				t.Errorf("Process = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestPolyglotKeepsOnlyPixels(t *testing.T) {
	out, err := process(t, imagingtest.Polyglot(t))
	if err != nil {
		t.Fatalf("Process(polyglot) = %v", err)
	}
	if bytes.Contains(out.Original.Data, []byte(imagingtest.PolyglotMarker)) || bytes.Contains(out.Original.Data, []byte("PK\x03\x04")) {
		t.Error("the appended document survived re-encoding")
	}
}

func TestVariantSizes(t *testing.T) {
	out, err := process(t, imagingtest.JPEG(t, imagingtest.Pattern(3000, 2000)))
	if err != nil {
		t.Fatal(err)
	}
	if o := out.Original; o.Width != 2048 || o.Height != 1365 {
		t.Errorf("original %dx%d, want 2048x1365", o.Width, o.Height)
	}
	want := map[media.Size][2]int{media.Large: {1600, 1066}, media.Medium: {800, 533}, media.Thumb: {320, 213}}
	for s, wh := range want {
		v, ok := out.Variants[s]
		if !ok || v.Width != wh[0] || v.Height != wh[1] {
			t.Errorf("%s = %dx%d (present %v), want %dx%d", s, v.Width, v.Height, ok, wh[0], wh[1])
			continue
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(v.Data))
		if err != nil || cfg.Width != wh[0] || cfg.Height != wh[1] {
			t.Errorf("%s bytes decode as %+v, %v", s, cfg, err)
		}
	}

	// Never upscaled: a 500 px photo has only a thumbnail of its own.
	out, err = process(t, imagingtest.JPEG(t, imagingtest.Pattern(500, 250)))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Variants) != 1 || out.Variants[media.Thumb].Width != 320 {
		t.Errorf("variants of a 500 px photo = %d (thumb %d px), want only a 320 px thumb", len(out.Variants), out.Variants[media.Thumb].Width)
	}
}

func TestAnimatedIsRefused(t *testing.T) {
	still := imagingtest.PNG(t, imagingtest.Pattern(8, 8))
	// An APNG carries acTL before its first IDAT.
	apng := append([]byte{}, still[:33]...) // signature + IHDR
	apng = append(apng, 0, 0, 0, 8, 'a', 'c', 'T', 'L', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0)
	apng = append(apng, still[33:]...)
	if _, err := process(t, apng); !errors.Is(err, media.ErrUnsupported) {
		t.Errorf("Process(APNG) = %v, want ErrUnsupported", err)
	}
}

// BenchmarkProcess12MP measures one phone photo (4000x3000 JPEG, about
// 4 MB) through decoding, resizing and encoding of every variant.
func BenchmarkProcess12MP(b *testing.B) {
	data := imagingtest.LargePhoto(b)
	b.SetBytes(int64(len(data)))
	p := New()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.Process(context.Background(), data); err != nil {
			b.Fatal(err)
		}
	}
}
