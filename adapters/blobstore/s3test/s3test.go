// Package s3test starts a real S3 protocol peer for tests: the in-memory
// backend of github.com/johannesboyne/gofakes3 behind an HTTP server on a
// loopback port. Requests travel through the AWS SDK and HTTP as they do
// against a real bucket; nothing is mocked above the wire.
package s3test

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Bucket is the bucket every peer starts with.
const Bucket = "media"

// Start serves a fresh S3 peer until t ends and returns the s3:// URL of
// its bucket for blobstore.Open. It sets the AWS credential variables of
// the environment for the duration of t (so t cannot be parallel).
func Start(t testing.TB) string {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(Bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "test-access-key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test-secret-key")
	t.Setenv("AWS_REGION", "us-east-1")
	// gofakes3 answers a ranged GET with the whole object's checksum,
	// which the SDK would reject; real S3 sends none for ranges.
	q := url.Values{"endpoint": {srv.URL}, "region": {"us-east-1"}, "use_path_style": {"true"}, "disable_https": {"true"},
		"response_checksum_validation": {"when_required"}}
	return "s3://" + Bucket + "?" + q.Encode()
}
