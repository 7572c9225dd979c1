// Package imaging implements ports.ImageProcessor with the standard
// library's JPEG and PNG codecs, golang.org/x/image/webp for decoding WebP
// and golang.org/x/image/draw for resampling.
//
// Every upload is re-encoded: the kind is sniffed from the first bytes, the
// size is read from the header alone and checked against media.MaxPixels
// before anything is decoded, the JPEG EXIF orientation is read from the
// APP1 segment and applied to the pixels, and the result is encoded afresh.
// Go's encoders write no metadata at all, so EXIF (GPS included), XMP, ICC
// profiles and comments of the upload never reach storage, and bytes
// appended to or hidden in an image (polyglots) are dropped with them.
package imaging

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"github.com/secondbloom/marketplace/domain/media"
	"github.com/secondbloom/marketplace/ports"
)

var _ ports.ImageProcessor = (*Processor)(nil)

// DefaultJPEGQuality is the quality stored JPEGs are encoded at: visually
// indistinguishable from the upload for photos, about a tenth of the size
// of quality 100.
const DefaultJPEGQuality = 85

// Processor re-encodes uploads. Its zero value is not usable; call New.
type Processor struct {
	quality int
	kernel  draw.Interpolator
}

// New returns a processor encoding JPEGs at DefaultJPEGQuality and
// resampling with Catmull-Rom.
func New() *Processor { return &Processor{quality: DefaultJPEGQuality, kernel: draw.CatmullRom} }

// kind is an accepted upload format.
type kind int

const (
	kindUnknown kind = iota
	kindJPEG
	kindPNG
	kindWebP
)

// sniff names the format of data from its signature, or kindUnknown (GIF,
// SVG, text and everything else).
func sniff(data []byte) kind {
	switch {
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return kindJPEG
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return kindPNG
	case len(data) >= 16 && string(data[0:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return kindWebP
	}
	return kindUnknown
}

// Process implements ports.ImageProcessor.
func (p *Processor) Process(ctx context.Context, data []byte) (*ports.ProcessedImage, error) {
	if len(data) == 0 {
		return nil, media.ErrEmpty
	}
	k := sniff(data)
	if k == kindUnknown || animated(k, data) {
		return nil, media.ErrUnsupported
	}
	cfg, err := decodeConfig(k, data)
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, media.ErrCorrupt
	}
	if int64(cfg.Width)*int64(cfg.Height) > media.MaxPixels {
		return nil, media.ErrTooManyPixels
	}
	orientation := 1
	if k == kindJPEG {
		orientation = exifOrientation(data)
	}
	src, err := decode(k, data)
	if err != nil {
		return nil, media.ErrCorrupt
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := &ports.ProcessedImage{ContentType: media.JPEG, Variants: map[media.Size]ports.EncodedImage{}}
	if k != kindJPEG && !opaque(src) {
		out.ContentType = media.PNG
	}
	b := src.Bounds()
	w, h := originalSize(b.Dx(), b.Dy())
	orig := p.shrink(src, w, h)
	src = nil // the decoded upload is the largest buffer; let it go
	orig = orient(orig, orientation)
	if out.Original, err = p.encode(orig, out.ContentType); err != nil {
		return nil, err
	}
	// Each variant is made from the next larger one: a small ratio per
	// step keeps Catmull-Rom's cost low without visible loss.
	prev := orig
	ob := orig.Bounds()
	for i := len(media.Sizes) - 1; i >= 0; i-- {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s := media.Sizes[i]
		vw, vh := media.Fit(ob.Dx(), ob.Dy(), s.Side())
		if vw == ob.Dx() && vh == ob.Dy() {
			continue // not smaller than the original: shares it
		}
		v := p.shrink(prev, vw, vh)
		enc, err := p.encode(v, out.ContentType)
		if err != nil {
			return nil, err
		}
		out.Variants[s] = enc
		prev = v
	}
	return out, nil
}

// originalSize returns the size to store a w x h upload at: at most
// media.MaxOriginalSide on the longest side. When halving alone brings a
// larger image within the limit while keeping it at least as large as the
// largest variant (a 4000 px photo becomes 2000 px), that size is used, so
// the most expensive resampling step is an exact box filter.
func originalSize(w, h int) (int, int) {
	long := max(w, h)
	for long > media.MaxOriginalSide && long/2 >= media.Large.Side() {
		w, h, long = w/2, h/2, long/2
	}
	return media.Fit(w, h, media.MaxOriginalSide)
}

func decodeConfig(k kind, data []byte) (image.Config, error) {
	r := bytes.NewReader(data)
	switch k {
	case kindJPEG:
		return jpeg.DecodeConfig(r)
	case kindPNG:
		return png.DecodeConfig(r)
	default:
		return webp.DecodeConfig(r)
	}
}

func decode(k kind, data []byte) (image.Image, error) {
	r := bytes.NewReader(data)
	switch k {
	case kindJPEG:
		return jpeg.Decode(r)
	case kindPNG:
		return png.Decode(r)
	default:
		return webp.Decode(r)
	}
}

// animated reports whether data is an animated PNG (an acTL chunk before
// the first IDAT) or an animated WebP (the animation flag of VP8X); only
// still images are accepted.
func animated(k kind, data []byte) bool {
	switch k {
	case kindPNG:
		for off := 8; off+8 <= len(data); {
			n := int(uint32(data[off])<<24 | uint32(data[off+1])<<16 | uint32(data[off+2])<<8 | uint32(data[off+3]))
			typ := string(data[off+4 : off+8])
			if typ == "acTL" {
				return true
			}
			if typ == "IDAT" || n < 0 || n > len(data) {
				return false
			}
			off += 12 + n
		}
	case kindWebP:
		return len(data) >= 21 && string(data[12:16]) == "VP8X" && data[20]&0x02 != 0
	}
	return false
}

// opaque reports whether every pixel of img is fully opaque.
func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// scale returns img resampled to w x h as RGBA (a copy when the size does
// not change).
func (p *Processor) scale(img image.Image, w, h int) *image.RGBA {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	b := img.Bounds()
	if b.Dx() == w && b.Dy() == h {
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
		return dst
	}
	p.kernel.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

func (p *Processor) encode(img *image.RGBA, t media.ContentType) (ports.EncodedImage, error) {
	var buf bytes.Buffer
	b := img.Bounds()
	buf.Grow(b.Dx() * b.Dy() / 4)
	var err error
	if t == media.PNG {
		err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: p.quality})
	}
	if err != nil {
		return ports.EncodedImage{}, errors.Join(errors.New("imaging: encode"), err)
	}
	return ports.EncodedImage{Data: buf.Bytes(), Width: b.Dx(), Height: b.Dy()}, nil
}
