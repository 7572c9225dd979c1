// Package media holds product photos: the image kinds the marketplace
// stores, the limits an upload must respect, the sizes of the variants made
// from every photo, and the Media aggregate that records where the bytes of
// one uploaded photo live.
package media

import (
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/user"
)

// ContentType is the type of stored bytes. Uploads in any accepted kind are
// re-encoded to one of these.
type ContentType string

// The stored types: JPEG for opaque images, PNG for images with
// transparency.
const (
	JPEG ContentType = "image/jpeg"
	PNG  ContentType = "image/png"
)

// Ext returns the file extension of t, with its dot.
func (t ContentType) Ext() string {
	if t == PNG {
		return ".png"
	}
	return ".jpg"
}

// Limits of uploads and of the photos a product may carry.
const (
	// MaxPixels refuses decompression bombs: an image whose header
	// announces more pixels is never decoded.
	MaxPixels = 40_000_000
	// MaxOriginalSide bounds the longest side of the stored original.
	MaxOriginalSide = 2048
	// MaxImagesPerProduct bounds a product's photos; their positions are
	// the distinct integers 0..MaxImagesPerProduct-1.
	MaxImagesPerProduct = 10
	// UploadsPerHour is how many uploads one user may have accepted per
	// hour, across all instances.
	UploadsPerHour = 100
	// UnattachedTTL is how long a photo may stay on no product before the
	// janitor deletes it.
	UnattachedTTL = 24 * time.Hour
)

// Size names a variant.
type Size string

// The variants made of every photo, by the length of their longest side.
const (
	Thumb  Size = "thumb"
	Medium Size = "medium"
	Large  Size = "large"
)

// Sizes lists the variants from the smallest.
var Sizes = []Size{Thumb, Medium, Large}

// Side returns the longest side of the variant in pixels, or 0 for an
// unknown size.
func (s Size) Side() int {
	switch s {
	case Thumb:
		return 320
	case Medium:
		return 800
	case Large:
		return 1600
	}
	return 0
}

// Fit returns the size of a w x h image scaled down, keeping its aspect
// ratio, so that its longest side is at most side; an image already small
// enough keeps its size (never upscaled). Sides never round to 0.
func Fit(w, h, side int) (int, int) {
	if w <= side && h <= side {
		return w, h
	}
	if w >= h {
		return side, max(1, (h*side+w/2)/w)
	}
	return max(1, (w*side+h/2)/h), side
}

// Errors of media.
var (
	ErrNotFound = domain.New(domain.KindNotFound, domain.CodeNotFound, "media not found")
	// ErrInUse refuses to delete a photo a product (of any status) shows.
	ErrInUse = domain.New(domain.KindConflict, domain.CodeConflict, "the media is used by a product")
	// ErrUnsupported refuses bytes that are not a still JPEG, PNG or WebP
	// image, whatever the client claimed.
	ErrUnsupported = domain.New(domain.KindUnsupported, domain.CodeUnsupportedMediaType,
		"file must be a JPEG, PNG or WebP image")
	// ErrTooManyPixels refuses images over MaxPixels, read from the header.
	ErrTooManyPixels = domain.Invalid("file", "image must have at most 40000000 pixels")
	// ErrCorrupt refuses files that cannot be decoded (truncated, damaged).
	ErrCorrupt = domain.Invalid("file", "image is corrupt or truncated")
	// ErrEmpty refuses an empty file part.
	ErrEmpty = domain.Invalid("file", "must not be empty")
	// ErrBusy is returned when too many uploads are already waiting to be
	// processed; the client retries later.
	ErrBusy = &domain.Error{Kind: domain.KindUnavailable, Code: domain.CodeUnavailable,
		Message: "too many uploads in progress, retry later", RetryAfterSeconds: 2}
	// ErrNotAttachable refuses to put on a product a photo that does not
	// exist or belongs to someone else (the two are not told apart).
	ErrNotAttachable = domain.Invalid("images", "each mediaId must name one of your uploaded photos")
)

// RateLimited returns the error of an upload over UploadsPerHour, telling
// the client to retry after retry.
func RateLimited(retry time.Duration) error {
	secs := int((retry + time.Second - 1) / time.Second)
	return &domain.Error{Kind: domain.KindRateLimited, Code: domain.CodeRateLimited,
		Message: "upload limit reached, retry later", RetryAfterSeconds: max(1, secs)}
}

// File is one stored image: its object key and size in pixels.
type File struct {
	Key    string
	Width  int
	Height int
}

// Variants are the scaled copies of a photo. A variant no smaller than the
// original shares the original's File.
type Variants struct {
	Thumb, Medium, Large File
}

// Of returns the variant of size s.
func (v Variants) Of(s Size) File {
	switch s {
	case Thumb:
		return v.Thumb
	case Medium:
		return v.Medium
	default:
		return v.Large
	}
}

// Set returns v with the variant of size s replaced by f.
func (v Variants) Set(s Size, f File) Variants {
	switch s {
	case Thumb:
		v.Thumb = f
	case Medium:
		v.Medium = f
	case Large:
		v.Large = f
	}
	return v
}

// Media is one uploaded photo after re-encoding: who uploaded it, and the
// stored original and variants. It never changes after creation.
type Media struct {
	f Fields
}

// Fields are a photo's stored values, for Rehydrate and for adapters.
type Fields struct {
	ID          string
	OwnerID     string
	ContentType ContentType
	// SizeBytes is the size of the stored original.
	SizeBytes int64
	Original  File
	Variants  Variants
	CreatedAt time.Time
}

// New returns a validated new photo. It returns a validation error when an
// id, key or size is missing or a variant is larger than the original.
func New(f Fields) (*Media, error) {
	var v domain.Validation
	if !domain.ValidID(f.ID) || !domain.ValidID(f.OwnerID) {
		v.Add("id", "media and owner ids must be UUIDs")
	}
	if f.ContentType != JPEG && f.ContentType != PNG {
		v.Add("contentType", "must be image/jpeg or image/png")
	}
	if f.SizeBytes < 1 {
		v.Add("sizeBytes", "must be positive")
	}
	if !validFile(f.Original, MaxOriginalSide) {
		v.Add("original", "needs a key and a size of at most 2048 px")
	}
	for _, s := range Sizes {
		vf := f.Variants.Of(s)
		if !validFile(vf, max(f.Original.Width, f.Original.Height)) {
			v.Add(string(s), "needs a key and a size no larger than the original")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	f.CreatedAt = f.CreatedAt.UTC()
	return &Media{f: f}, nil
}

func validFile(f File, side int) bool {
	return f.Key != "" && f.Width > 0 && f.Height > 0 && f.Width <= side && f.Height <= side
}

// Rehydrate rebuilds a stored photo. Only storage adapters call it.
func Rehydrate(f Fields) *Media {
	f.CreatedAt = f.CreatedAt.UTC()
	return &Media{f: f}
}

// Fields returns a copy of the photo's values.
func (m *Media) Fields() Fields { return m.f }

// ID returns the media id.
func (m *Media) ID() string { return m.f.ID }

// OwnerID returns the id of the user who uploaded the photo.
func (m *Media) OwnerID() string { return m.f.OwnerID }

// ContentType returns the type of the stored bytes.
func (m *Media) ContentType() ContentType { return m.f.ContentType }

// SizeBytes returns the size of the stored original.
func (m *Media) SizeBytes() int64 { return m.f.SizeBytes }

// Original returns the stored original.
func (m *Media) Original() File { return m.f.Original }

// Variants returns the scaled copies.
func (m *Media) Variants() Variants { return m.f.Variants }

// CreatedAt returns when the photo was uploaded.
func (m *Media) CreatedAt() time.Time { return m.f.CreatedAt }

// Keys returns the distinct object keys of the photo's bytes, the
// original's first.
func (m *Media) Keys() []string {
	keys := []string{m.f.Original.Key}
	for _, s := range Sizes {
		k := m.f.Variants.Of(s).Key
		dup := false
		for _, have := range keys {
			dup = dup || have == k
		}
		if !dup {
			keys = append(keys, k)
		}
	}
	return keys
}

// VisibleTo reports whether a may read or delete the photo: its owner and
// staff may.
func (m *Media) VisibleTo(a user.Actor) bool { return a.IsStaff() || a.Is(m.f.OwnerID) }

// Attachable reports whether a may put the photo on a product: its owner
// and staff may.
func (m *Media) Attachable(a user.Actor) bool { return m.VisibleTo(a) }

// ValidKey reports whether key has the shape of the keys uploads are
// stored under: 32 lowercase hex digits, the file's role and the
// extension of a stored type ("0f...9a-thumb.jpg"). Anything else cannot
// name a stored photo.
func ValidKey(key string) bool {
	const hexLen = 32
	if len(key) < hexLen+2 {
		return false
	}
	for i := 0; i < hexLen; i++ {
		c := key[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	if key[hexLen] != '-' {
		return false
	}
	rest := key[hexLen+1:]
	for _, role := range []string{"original", string(Thumb), string(Medium), string(Large)} {
		for _, ext := range []string{".jpg", ".png"} {
			if rest == role+ext {
				return true
			}
		}
	}
	return false
}

// ContentTypeOfKey returns the stored type a valid key names.
func ContentTypeOfKey(key string) ContentType {
	if len(key) > 4 && key[len(key)-4:] == ".png" {
		return PNG
	}
	return JPEG
}
