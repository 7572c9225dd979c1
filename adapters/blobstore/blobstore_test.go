package blobstore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/secondbloom/marketplace/adapters/blobstore"
	"github.com/secondbloom/marketplace/adapters/s3test"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/media"
)

func TestStores(t *testing.T) {
	for name, url := range map[string]func(t *testing.T) string{
		"file": func(t *testing.T) string { return "file://" + filepath.Join(t.TempDir(), "media") },
		"s3":   func(t *testing.T) string { return s3test.Start(t, "media").URL("media", "") },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, err := blobstore.Open(ctx, url(t))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			data := []byte("0123456789 some image bytes")
			if err := s.Put(ctx, "abc-original.jpg", media.JPEG, data); err != nil {
				t.Fatalf("Put = %v", err)
			}
			read := func(off, n int64) ([]byte, int64, string) {
				t.Helper()
				b, err := s.Get(ctx, "abc-original.jpg", off, n)
				if err != nil {
					t.Fatalf("Get(%d, %d) = %v", off, n, err)
				}
				defer b.Body.Close()
				got, err := io.ReadAll(b.Body)
				if err != nil {
					t.Fatal(err)
				}
				return got, b.Size, b.ContentType
			}
			if got, size, ct := read(0, -1); !bytes.Equal(got, data) || size != int64(len(data)) || ct != "image/jpeg" {
				t.Errorf("Get whole = %q, size %d, %q; want the bytes, %d, image/jpeg", got, size, ct, len(data))
			}
			if got, size, _ := read(2, 5); string(got) != "23456" || size != int64(len(data)) {
				t.Errorf("Get(2, 5) = %q, size %d; want 23456, %d", got, size, len(data))
			}
			if _, err := s.Get(ctx, "missing.jpg", 0, -1); !errors.Is(err, media.ErrNotFound) {
				t.Errorf("Get(missing) = %v, want media.ErrNotFound", err)
			}
			if err := s.Delete(ctx, "abc-original.jpg"); err != nil {
				t.Fatalf("Delete = %v", err)
			}
			if _, err := s.Get(ctx, "abc-original.jpg", 0, -1); !errors.Is(err, media.ErrNotFound) {
				t.Errorf("Get after Delete = %v, want media.ErrNotFound", err)
			}
			if err := s.Delete(ctx, "abc-original.jpg"); err != nil {
				t.Errorf("Delete(missing) = %v, want nil", err)
			}
		})
	}
}

func TestOpenRefusesOtherSchemes(t *testing.T) {
	if _, err := blobstore.Open(context.Background(), "gs://bucket"); err == nil {
		t.Error("Open(gs://) = nil error, want one")
	}
}

func TestUnreachableStorageIsUnavailable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "media")
	s, err := blobstore.Open(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("a file where the directory was"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), "k.jpg", media.JPEG, []byte("x")); !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("Put into a broken store = %v, want domain.ErrUnavailable", err)
	}
}
