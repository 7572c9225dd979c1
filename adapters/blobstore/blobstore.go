// Package blobstore implements ports.MediaStore with gocloud.dev/blob. The
// storage is chosen by URL, as gocloud's portable types intend: file:// for
// a directory (the default, used in development and by the memory store)
// and s3:// for a bucket in production. Only those two drivers are linked
// in.
package blobstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// URLs
	_ "gocloud.dev/blob/s3blob"   // s3:// URLs
	"gocloud.dev/gcerrors"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/media"
	"github.com/secondbloom/marketplace/ports"
)

var _ ports.MediaStore = (*Store)(nil)

// DefaultURL is where photos are kept when nothing else is configured: a
// directory under the working directory.
const DefaultURL = "file://./data/media"

// Store keeps photo bytes in a bucket.
type Store struct {
	bucket *blob.Bucket
}

// Open opens the bucket at rawURL: file://DIR (created when missing;
// file://./rel for a path relative to the working directory) or
// s3://BUCKET?region=...&endpoint=... with credentials from the standard
// AWS environment. It returns an error for any other scheme or a bucket
// that cannot be opened; the error never repeats the URL's query, which
// may carry secrets.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("blobstore: the URL does not parse")
	}
	switch u.Scheme {
	case "file":
		q := u.Query()
		if q.Get("create_dir") == "" {
			q.Set("create_dir", "true")
		}
		u.RawQuery = q.Encode()
	case "s3":
	default:
		return nil, fmt.Errorf("blobstore: scheme %q is not supported (use file:// or s3://)", u.Scheme)
	}
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("blobstore: open %s://%s: %s", u.Scheme, u.Host, scrub(err, u))
	}
	return &Store{bucket: b}, nil
}

// scrub returns err's text without the URL's query string.
func scrub(err error, u *url.URL) string {
	msg := err.Error()
	if u.RawQuery != "" {
		msg = strings.ReplaceAll(msg, u.RawQuery, "...")
	}
	return msg
}

// Close releases the bucket.
func (s *Store) Close() error { return s.bucket.Close() }

// cacheControl is stored with every object: a key never changes content,
// so a CDN in front of the bucket may keep it for a year.
const cacheControl = "public, max-age=31536000, immutable"

// Put implements ports.MediaStore.
func (s *Store) Put(ctx context.Context, key string, ct media.ContentType, data []byte) error {
	err := s.bucket.WriteAll(ctx, key, data, &blob.WriterOptions{ContentType: string(ct), CacheControl: cacheControl})
	return translate(err)
}

// Get implements ports.MediaStore.
func (s *Store) Get(ctx context.Context, key string, offset, length int64) (*ports.Blob, error) {
	r, err := s.bucket.NewRangeReader(ctx, key, offset, length, nil)
	if err != nil {
		return nil, translate(err)
	}
	return &ports.Blob{Body: r, Size: r.Size(), ContentType: r.ContentType()}, nil
}

// Delete implements ports.MediaStore.
func (s *Store) Delete(ctx context.Context, key string) error {
	err := s.bucket.Delete(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil
	}
	return translate(err)
}

// translate maps a bucket error to the port's contract: a missing object is
// media.ErrNotFound, a cancelled context stays itself, anything else means
// the storage did not do its part and wraps domain.ErrUnavailable.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case gcerrors.Code(err) == gcerrors.NotFound:
		return media.ErrNotFound
	case errors.Is(err, context.Canceled):
		return err
	}
	return fmt.Errorf("%w: media storage: %v", domain.ErrUnavailable, err)
}
