package imaging

import (
	"image"

	"golang.org/x/image/draw"
)

// Downscaling a 12-megapixel photo with Catmull-Rom straight from the
// decoder costs about a second on one core: every tap converts YCbCr to
// RGB again. Halving first with a 2x2 box filter (an exact, alias-free
// prefilter for a factor of two, done on the YCbCr planes without colour
// conversion) leaves Catmull-Rom a ratio below two on a quarter of the
// pixels. BenchmarkProcess12MP measures the whole pipeline.

// shrink returns img scaled to w x h as RGBA: halved with a box filter
// while that keeps it at least minSide on its longest side and no smaller
// than w x h, then resampled with the processor's kernel.
func (p *Processor) shrink(img image.Image, w, h int) *image.RGBA {
	for {
		b := img.Bounds()
		if b.Dx()/2 < w || b.Dy()/2 < h {
			break
		}
		img = halve(img)
	}
	return p.scale(img, w, h)
}

// halve returns img at half its width and height, each output pixel the
// mean of a 2x2 block. YCbCr images stay YCbCr with the same chroma
// subsampling; anything else becomes RGBA.
func halve(img image.Image) image.Image {
	if y, ok := img.(*image.YCbCr); ok {
		return halveYCbCr(y)
	}
	rgba, ok := img.(*image.RGBA)
	if !ok {
		b := img.Bounds()
		rgba = image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Src)
	}
	b := rgba.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx()/2, b.Dy()/2))
	halvePlane(dst.Pix, dst.Stride, dst.Rect.Dx(), dst.Rect.Dy(), rgba.Pix[rgba.PixOffset(b.Min.X, b.Min.Y):], rgba.Stride, b.Dx(), b.Dy(), 4)
	return dst
}

func halveYCbCr(src *image.YCbCr) *image.YCbCr {
	b := src.Bounds()
	dst := image.NewYCbCr(image.Rect(0, 0, b.Dx()/2, b.Dy()/2), src.SubsampleRatio)
	halvePlane(dst.Y, dst.YStride, dst.Rect.Dx(), dst.Rect.Dy(), src.Y[src.YOffset(b.Min.X, b.Min.Y):], src.YStride, b.Dx(), b.Dy(), 1)
	// Chroma planes shrink by the same factor; their sizes follow from
	// the luma size and the subsampling.
	sw, sh := chromaSize(b.Dx(), b.Dy(), src.SubsampleRatio)
	dw, dh := chromaSize(dst.Rect.Dx(), dst.Rect.Dy(), src.SubsampleRatio)
	off := src.COffset(b.Min.X, b.Min.Y)
	halvePlane(dst.Cb, dst.CStride, dw, dh, src.Cb[off:], src.CStride, sw, sh, 1)
	halvePlane(dst.Cr, dst.CStride, dw, dh, src.Cr[off:], src.CStride, sw, sh, 1)
	return dst
}

func chromaSize(w, h int, r image.YCbCrSubsampleRatio) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	case image.YCbCrSubsampleRatio411:
		return (w + 3) / 4, h
	case image.YCbCrSubsampleRatio410:
		return (w + 3) / 4, (h + 1) / 2
	}
	return w, h
}

// halvePlane writes into dst (dw x dh samples of bpp bytes) the 2x2 means
// of src (sw x sh samples); a missing last row or column repeats the one
// before it.
func halvePlane(dst []byte, dstride, dw, dh int, src []byte, sstride, sw, sh, bpp int) {
	for y := 0; y < dh; y++ {
		r0 := src[2*y*sstride:]
		r1 := r0
		if 2*y+1 < sh {
			r1 = src[(2*y+1)*sstride:]
		}
		out := dst[y*dstride:]
		for x := 0; x < dw; x++ {
			x0 := 2 * x * bpp
			x1 := x0
			if 2*x+1 < sw {
				x1 = x0 + bpp
			}
			for c := 0; c < bpp; c++ {
				sum := uint(r0[x0+c]) + uint(r0[x1+c]) + uint(r1[x0+c]) + uint(r1[x1+c])
				out[x*bpp+c] = byte((sum + 2) / 4)
			}
		}
	}
}
