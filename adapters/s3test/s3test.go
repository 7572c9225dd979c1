// Package s3test starts an S3 protocol peer for tests: gofakes3 with its
// in-memory backend, served on a loopback port by net/http/httptest. The
// code under test talks to it through the real AWS SDK, as it would to S3
// or MinIO; nothing is mocked above the wire. Media storage and off-site
// backups both test against it.
package s3test

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Peer is a running S3 protocol peer.
type Peer struct {
	// Endpoint is the peer's base URL (http://127.0.0.1:PORT).
	Endpoint string
	// Backend holds the objects; tests may read or damage them directly.
	Backend *s3mem.Backend
}

// Start starts a peer holding the given empty buckets, stops it when the
// test ends, and points the AWS SDK's default credential chain at fixed
// test credentials (no shared config files, no instance metadata). It
// calls t.Setenv, so tests using it cannot run in parallel.
func Start(t testing.TB, buckets ...string) *Peer {
	t.Helper()
	backend := s3mem.New()
	for _, b := range buckets {
		if err := backend.CreateBucket(b); err != nil {
			t.Fatalf("s3test: create bucket %s: %v", b, err)
		}
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "s3test",
		"AWS_SECRET_ACCESS_KEY":       "s3test-secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "",
		"AWS_CONFIG_FILE":             dir + "/config",
		"AWS_SHARED_CREDENTIALS_FILE": dir + "/credentials",
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	return &Peer{Endpoint: srv.URL, Backend: backend}
}

// URL returns the s3:// URL of bucket, under prefix when it is not empty,
// in the form MEDIA_STORAGE_URL and BACKUP_UPLOAD_URL take.
func (p *Peer) URL(bucket, prefix string) string {
	q := url.Values{}
	q.Set("region", "us-east-1")
	q.Set("endpoint", p.Endpoint)
	q.Set("use_path_style", "true")
	q.Set("disable_https", "true")
	// gofakes3 answers a ranged GET with the whole object's checksum,
	// which the SDK would reject; real S3 sends none for ranges.
	q.Set("response_checksum_validation", "when_required")
	path := bucket
	if prefix != "" {
		path += "/" + prefix
	}
	return "s3://" + path + "?" + q.Encode()
}
