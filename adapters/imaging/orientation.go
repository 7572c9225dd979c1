package imaging

import (
	"encoding/binary"
	"image"
)

// exifOrientation returns the EXIF orientation (1..8) of a JPEG, read from
// the TIFF structure of its APP1 "Exif" segment, or 1 when there is none or
// it cannot be read. Only IFD0 is read: that is where cameras put tag
// 0x0112.
func exifOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	for off := 2; off+4 <= len(data); {
		if data[off] != 0xFF {
			return 1
		}
		marker := data[off+1]
		switch {
		case marker == 0xFF: // fill byte
			off++
			continue
		case marker == 0x01 || marker >= 0xD0 && marker <= 0xD7: // no length
			off += 2
			continue
		case marker == 0xDA || marker == 0xD9: // image data: no metadata after
			return 1
		}
		n := int(binary.BigEndian.Uint16(data[off+2:]))
		if n < 2 || off+2+n > len(data) {
			return 1
		}
		seg := data[off+4 : off+2+n]
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o := tiffOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		off += 2 + n
	}
	return 1
}

// tiffOrientation reads tag 0x0112 of IFD0 of a TIFF structure, or returns
// 0.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 0
	}
	count := int(bo.Uint16(t[ifd:]))
	for i := 0; i < count; i++ {
		e := ifd + 2 + 12*i
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) != 0x0112 || bo.Uint16(t[e+2:]) != 3 { // SHORT
			continue
		}
		if o := int(bo.Uint16(t[e+8:])); o >= 1 && o <= 8 {
			return o
		}
		return 0
	}
	return 0
}

// orient returns img turned upright for EXIF orientation o; orientations
// 5 to 8 swap width and height.
func orient(img *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return img
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	// src returns the source pixel shown at (x, y) of the upright image.
	var src func(x, y int) (int, int)
	switch o {
	case 2: // mirrored
		src = func(x, y int) (int, int) { return w - 1 - x, y }
	case 3: // upside down
		src = func(x, y int) (int, int) { return w - 1 - x, h - 1 - y }
	case 4: // mirrored upside down
		src = func(x, y int) (int, int) { return x, h - 1 - y }
	case 5: // transposed
		src = func(x, y int) (int, int) { return y, x }
	case 6: // turned 90 degrees counter-clockwise: turn it clockwise
		src = func(x, y int) (int, int) { return y, h - 1 - x }
	case 7: // transversed
		src = func(x, y int) (int, int) { return w - 1 - y, h - 1 - x }
	case 8: // turned clockwise: turn it counter-clockwise
		src = func(x, y int) (int, int) { return w - 1 - y, x }
	}
	sp, dp := img.Pix, dst.Pix
	for y := 0; y < dh; y++ {
		row := dp[y*dst.Stride : y*dst.Stride+dw*4]
		for x := 0; x < dw; x++ {
			sx, sy := src(x, y)
			si := sy*img.Stride + sx*4
			copy(row[x*4:x*4+4], sp[si:si+4])
		}
	}
	return dst
}
