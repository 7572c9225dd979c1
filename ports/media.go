package ports

//go:generate go tool mockgen -source=media.go -destination=../mocks/media.go -package=mocks

import (
	"context"
	"io"
	"time"

	"github.com/secondbloom/marketplace/domain/media"
)

// MediaRepository stores the records of uploaded photos. The bytes live in
// a MediaStore; a record exists only while its bytes do.
type MediaRepository interface {
	// Create stores a new photo and counts it against its owner's upload
	// limit: under a per-owner lock it counts the uploads the owner had
	// accepted since now-window, and when limit or more were, it stores
	// nothing and returns media.RateLimited with the time until the oldest
	// of them leaves the window. Counted uploads stay counted after their
	// photo is deleted.
	Create(ctx context.Context, m *media.Media, limit int, window time.Duration, now time.Time) error
	// UploadsSince returns how many uploads ownerID had accepted since
	// since, and when the oldest of them was accepted (zero if none). It
	// takes no lock: Create has the last word.
	UploadsSince(ctx context.Context, ownerID string, since time.Time) (int, time.Time, error)
	// Get returns the photo with id, or media.ErrNotFound.
	Get(ctx context.Context, id string) (*media.Media, error)
	// GetMany returns the photos among ids that exist, in no particular
	// order; unknown ids are left out.
	GetMany(ctx context.Context, ids []string) ([]*media.Media, error)
	// Delete loads the photo with id under a row lock and calls fn with
	// it; fn decides whether the caller may delete it and deletes its
	// bytes. When fn returns nil the record is deleted. Delete returns
	// media.ErrNotFound, media.ErrInUse (fn is not called) while a product
	// of any status shows the photo, or fn's error unchanged (deleting
	// nothing). A product cannot attach the photo while Delete holds it.
	Delete(ctx context.Context, id string, fn func(m *media.Media) error) error
	// DeleteUnattached claims one photo that no product has shown since
	// before cutoff (never attached and uploaded before cutoff, or last
	// detached before cutoff), skipping photos another caller holds, and
	// deletes it as Delete does after fn returns nil. It reports whether
	// one was claimed; false with a nil error means none is due. Several
	// instances may run it at once: no photo is claimed twice, and a photo
	// attached in the meantime is left alone.
	DeleteUnattached(ctx context.Context, cutoff time.Time, fn func(m *media.Media) error) (bool, error)
	// PruneUploads forgets the upload counts older than before.
	PruneUploads(ctx context.Context, before time.Time) error
}

// MediaStore keeps the bytes of photos under object keys (a directory or
// an S3 bucket).
type MediaStore interface {
	// Put stores data under key with its content type, replacing nothing:
	// keys are random and never reused. It returns an error wrapping
	// domain.ErrUnavailable when the storage cannot be reached.
	Put(ctx context.Context, key string, contentType media.ContentType, data []byte) error
	// Get opens length bytes of the object at key from offset (length < 0:
	// to the end; 0: no bytes, only the object's size and type). It
	// returns media.ErrNotFound for an unknown key. The caller closes the
	// body.
	Get(ctx context.Context, key string, offset, length int64) (*Blob, error)
	// Delete removes the object at key; deleting a missing key is not an
	// error.
	Delete(ctx context.Context, key string) error
}

// Blob is an opened stored object.
type Blob struct {
	// Body yields the requested bytes.
	Body io.ReadCloser
	// Size is the size of the whole object, whatever range was asked.
	Size        int64
	ContentType string
}

// ImageProcessor checks and re-encodes uploaded images.
type ImageProcessor interface {
	// Process reads the kind of data from its bytes (never from a name or
	// header given by the client), refuses images over media.MaxPixels
	// from their header before decoding them, then decodes, applies the
	// EXIF orientation, drops every metadata block and encodes the
	// original (at most media.MaxOriginalSide px) and the variants of
	// media.Sizes. It returns media.ErrUnsupported, media.ErrTooManyPixels
	// or media.ErrCorrupt, or ctx's error.
	Process(ctx context.Context, data []byte) (*ProcessedImage, error)
}

// ProcessedImage is the outcome of ImageProcessor.Process: every file in
// ContentType.
type ProcessedImage struct {
	ContentType media.ContentType
	Original    EncodedImage
	// Variants holds a file for each size of media.Sizes smaller than the
	// original; a missing size shares the original.
	Variants map[media.Size]EncodedImage
}

// EncodedImage is one encoded file and its size in pixels.
type EncodedImage struct {
	Data          []byte
	Width, Height int
}

// MediaMetrics counts uploads. Implementations never block; labels take
// only the bounded values given here.
type MediaMetrics interface {
	// MediaUploaded counts an accepted upload, the bytes stored for it and
	// how long its processing took.
	MediaUploaded(bytes int64, processing time.Duration)
	// MediaRefused counts a refused upload; reason is one of
	// "unsupported", "too_many_pixels", "corrupt", "too_large",
	// "rate_limited", "busy", "error".
	MediaRefused(reason string)
}
