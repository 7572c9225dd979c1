// Package imagingtest makes the images that upload tests send: photos with
// EXIF orientation and GPS tags, PNGs with transparency, WebP files,
// decompression bombs, polyglots and broken files. The images are built in
// Go at test time (the WebP ones come from testdata, Go having no WebP
// encoder).
package imagingtest

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// WebP is an opaque lossy WebP photo of a yellow rose.
//
//go:embed testdata/rose.webp
var WebP []byte

// WebPAlpha is the same rose with a transparent background.
//
//go:embed testdata/rose-alpha.webp
var WebPAlpha []byte

// GPSLatitude is the marker written into the GPS IFD of PhotoWithExif; it
// must not appear in anything stored.
const GPSLatitude = "GPSSECRET41N"

// Pattern returns a w x h opaque image that is red in its top-left quarter
// and green elsewhere, so tests can tell where its corner went.
func Pattern(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{G: 200, A: 255}
			if x < w/2 && y < h/2 {
				c = color.RGBA{R: 220, A: 255}
			}
			// A little texture keeps JPEG from being trivially small.
			c.B = uint8((x*7 + y*13) % 64)
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// JPEG encodes img at quality 90.
func JPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// PNG encodes img.
func PNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// PhotoWithExif returns a w x h JPEG of Pattern carrying an APP1 Exif
// segment with the given orientation tag, a GPS IFD whose latitude
// reference holds GPSLatitude, and a comment segment, as a phone camera
// would write them.
func PhotoWithExif(t testing.TB, w, h, orientation int) []byte {
	t.Helper()
	plain := JPEG(t, Pattern(w, h))
	app1 := exifSegment(orientation)
	com := append([]byte{0xFF, 0xFE, 0, 0}, "taken at home, 41.3N 69.2E"...)
	binary.BigEndian.PutUint16(com[2:], uint16(len(com)-2))
	out := append([]byte{}, plain[:2]...) // SOI
	out = append(out, app1...)
	out = append(out, com...)
	return append(out, plain[2:]...)
}

// exifSegment builds an APP1 segment: a big-endian TIFF header, IFD0 with
// Orientation and a GPS IFD pointer, and a GPS IFD with a latitude
// reference string.
func exifSegment(orientation int) []byte {
	be := binary.BigEndian
	var t []byte
	t = append(t, 'M', 'M', 0, 42, 0, 0, 0, 8) // header, IFD0 at 8
	// IFD0: 2 entries, then next-IFD offset 0.
	t = be.AppendUint16(t, 2)
	t = be.AppendUint16(t, 0x0112) // Orientation, SHORT, 1
	t = be.AppendUint16(t, 3)
	t = be.AppendUint32(t, 1)
	t = be.AppendUint16(t, uint16(orientation))
	t = be.AppendUint16(t, 0)
	gpsIFD := 8 + 2 + 2*12 + 4
	t = be.AppendUint16(t, 0x8825) // GPSInfo, LONG, 1
	t = be.AppendUint16(t, 4)
	t = be.AppendUint32(t, 1)
	t = be.AppendUint32(t, uint32(gpsIFD))
	t = be.AppendUint32(t, 0)
	// GPS IFD: one ASCII entry stored after the IFD.
	val := GPSLatitude + "\x00"
	t = be.AppendUint16(t, 1)
	t = be.AppendUint16(t, 0x0001) // GPSLatitudeRef
	t = be.AppendUint16(t, 2)
	t = be.AppendUint32(t, uint32(len(val)))
	t = be.AppendUint32(t, uint32(gpsIFD+2+12+4))
	t = be.AppendUint32(t, 0)
	t = append(t, val...)
	payload := append([]byte("Exif\x00\x00"), t...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	be.PutUint16(seg[2:], uint16(len(payload)+2))
	return append(seg, payload...)
}

// AlphaPNG returns a w x h PNG whose left half is transparent.
func AlphaPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			a := uint8(255)
			if x < w/2 {
				a = 0
			}
			img.SetNRGBA(x, y, color.NRGBA{R: 200, G: 30, B: 90, A: a})
		}
	}
	return PNG(t, img)
}

// BombPNG returns a small PNG whose header claims w x h pixels, followed by
// a little compressed data: decoding it in full would need w*h*4 bytes.
func BombPNG(w, h int) []byte {
	out := []byte("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	out = appendChunk(out, "IHDR", ihdr)
	out = appendChunk(out, "IDAT", []byte{0x78, 0x9c, 0x63, 0x60, 0, 0, 0, 2, 0, 1})
	return appendChunk(out, "IEND", nil)
}

func appendChunk(out []byte, typ string, data []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}

// PolyglotMarker is the script hidden in Polyglot.
const PolyglotMarker = "<script>alert('polyglot')</script>"

// Polyglot returns a valid JPEG with an HTML document and a ZIP header
// appended after its end marker, the shape of files that are both an
// image and something a browser or unzip would act on.
func Polyglot(t testing.TB) []byte {
	t.Helper()
	out := JPEG(t, Pattern(64, 48))
	out = append(out, "<html><body>"+PolyglotMarker+"</body></html>"...)
	return append(out, "PK\x03\x04polyglot"...)
}

// Truncated returns the first half of a JPEG photo.
func Truncated(t testing.TB) []byte {
	t.Helper()
	full := JPEG(t, Pattern(400, 300))
	return full[:len(full)/2]
}

// GIF returns a small GIF image.
func GIF(t testing.TB) []byte {
	t.Helper()
	img := image.NewPaletted(image.Rect(0, 0, 8, 8), color.Palette{color.Black, color.White})
	var buf bytes.Buffer
	if err := gif.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Text is a plain text file, to be sent under a name ending in .jpg.
var Text = []byte("these are not the pixels you are looking for\n")

// LargePhoto returns a JPEG of about 12 megapixels (4000 x 3000) with
// photo-like detail, as a phone would upload: about 4 MB.
func LargePhoto(t testing.TB) []byte {
	t.Helper()
	const w, h = 4000, 3000
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	seed := uint32(1)
	for i := range img.Y {
		seed = seed*1664525 + 1013904223
		x, y := i%img.YStride, i/img.YStride
		img.Y[i] = uint8((x*x/97+y*3)%200) + uint8(seed>>30)
	}
	for i := range img.Cb {
		img.Cb[i] = uint8(100 + i%50)
		img.Cr[i] = uint8(150 - i%40)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
