package backup

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"
)

// Offsite is a copy of the backup directory in object storage: an S3
// bucket (or any S3-compatible service) or a directory, reached through
// gocloud.dev/blob. It holds the same three objects per backup as the
// local directory, under the same names; a backup exists off-site once
// its manifest object does, so the manifest is written last and deleted
// first.
//
// Only the s3 and file schemes are accepted; other gocloud drivers are not
// linked in.
type Offsite struct {
	bucket *blob.Bucket
	where  string
}

// offsiteMux knows exactly the two schemes Offsite supports, whatever else
// the binary registers on gocloud's default mux.
var offsiteMux = func() *blob.URLMux {
	m := new(blob.URLMux)
	m.RegisterBucket(s3blob.Scheme, new(s3blob.URLOpener))
	m.RegisterBucket(fileblob.Scheme, new(fileblob.URLOpener))
	return m
}()

// OpenOffsite opens the off-site store at rawURL:
//
//	s3://bucket/prefix?region=eu-central-1&endpoint=https://s3.example.com&use_path_style=true
//	file:///var/backups/offsite
//
// The path of an s3 URL is a key prefix inside the bucket. Credentials of
// an s3 URL come from the AWS SDK's usual chain (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, a profile, or the instance or pod role). A file
// URL's directory is created when missing. OpenOffsite returns an error
// for any other scheme; the error never contains the URL's query.
func OpenOffsite(ctx context.Context, rawURL string) (*Offsite, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("offsite: BACKUP_UPLOAD_URL is not a URL")
	}
	where := u.Scheme + "://" + u.Host + u.Path
	q := u.Query()
	switch u.Scheme {
	case s3blob.Scheme:
		if u.Host == "" {
			return nil, errors.New("offsite: an s3 URL names its bucket as the host: s3://bucket/prefix")
		}
		if p := strings.Trim(u.Path, "/"); p != "" {
			q.Set("prefix", p+"/")
		}
		u.Path = ""
	case fileblob.Scheme:
		if u.Path == "" && u.Host == "" {
			return nil, errors.New("offsite: a file URL names a directory: file:///var/backups/offsite")
		}
		if u.Host != "" && u.Host != "." {
			return nil, errors.New("offsite: a file URL is file:///absolute/dir or file://./relative/dir")
		}
		q.Set("create_dir", "true")
		if q.Get("dir_file_mode") == "" {
			// Backups hold every user's data: a directory the backup
			// user's group may read, others not.
			q.Set("dir_file_mode", "0750")
		}
		// Temporary files next to the final ones, not in /tmp: a rename
		// across filesystems (a volume and a tmpfs) would fail.
		q.Set("no_tmp_dir", "true")
		// No sidecar .attrs files: the objects are the backup's own files.
		q.Set("metadata", "skip")
	default:
		return nil, fmt.Errorf("offsite: unsupported scheme %q (want s3:// or file://)", u.Scheme)
	}
	u.RawQuery = q.Encode()
	b, err := offsiteMux.OpenBucketURL(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("offsite: open %s: %s", where, scrub(err.Error(), rawURL, u.String()))
	}
	return &Offsite{bucket: b, where: where}, nil
}

// String names the store without its query parameters.
func (o *Offsite) String() string { return o.where }

// Close releases the store.
func (o *Offsite) Close() error { return o.bucket.Close() }

// Upload copies the backup m from dir to the store: the dump, its .sha256
// and, last, the manifest. It first checks the local dump against the
// manifest's SHA-256, so a dump damaged on disk is never shipped, and has
// the store check each object's MD5 on arrival. A backup whose manifest is
// already off-site with the same SHA-256 is left as it is.
//
// When m is the newest backup in dir, Upload then writes
// secondbloom_backup_offsite.prom there: the time the newest off-site
// backup was taken, the evidence the "off-site backup too old" alert reads.
func (o *Offsite) Upload(ctx context.Context, dir string, m Manifest) error {
	if remote, err := o.manifest(ctx, m.Name); err != nil || remote.SHA256 != m.SHA256 {
		if err := CheckSum(dir, m); err != nil {
			return fmt.Errorf("offsite: refusing to upload: %w", err)
		}
		for _, f := range []string{m.File, m.File + ".sha256", m.Name + ".json"} {
			if err := o.put(ctx, filepath.Join(dir, f), f); err != nil {
				return err
			}
		}
	}
	if newest, err := Find(dir, ""); err != nil || newest.Name != m.Name {
		return nil
	}
	prom := fmt.Sprintf(`# HELP secondbloom_backup_offsite_last_success_timestamp_seconds When the newest backup copied off-site was taken.
# TYPE secondbloom_backup_offsite_last_success_timestamp_seconds gauge
secondbloom_backup_offsite_last_success_timestamp_seconds %d
`, m.CreatedAt.Unix())
	if err := writeFileAtomic(filepath.Join(dir, "secondbloom_backup_offsite.prom"), []byte(prom)); err != nil && !os.IsPermission(err) {
		return err
	}
	return nil
}

// put uploads one file under key with its MD5, which the store checks.
func (o *Offsite) put(ctx context.Context, file, key string) error {
	sum, err := md5File(file)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("offsite: %w", err)
	}
	defer f.Close()
	w, err := o.bucket.NewWriter(ctx, key, &blob.WriterOptions{ContentMD5: sum, ContentType: "application/octet-stream"})
	if err != nil {
		return fmt.Errorf("offsite: upload %s: %w", key, err)
	}
	if _, err := io.Copy(w, f); err != nil {
		w.Close()
		return fmt.Errorf("offsite: upload %s: %w", key, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("offsite: upload %s: %w", key, err)
	}
	return nil
}

// List returns the complete backups in the store (those with a
// manifest), newest first.
func (o *Offsite) List(ctx context.Context) ([]Manifest, error) {
	var out []Manifest
	it := o.bucket.List(&blob.ListOptions{Prefix: Prefix, Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("offsite: list %s: %w", o.where, err)
		}
		if obj.IsDir || !strings.HasSuffix(obj.Key, ".json") {
			continue
		}
		m, err := o.manifest(ctx, strings.TrimSuffix(obj.Key, ".json"))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

// manifest reads the manifest object of the backup called name.
func (o *Offsite) manifest(ctx context.Context, name string) (Manifest, error) {
	b, err := o.bucket.ReadAll(ctx, name+".json")
	if gcerrors.Code(err) == gcerrors.NotFound {
		return Manifest{}, fmt.Errorf("%w: %s in %s", ErrNoBackup, name, o.where)
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("offsite: read %s.json: %w", name, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("offsite: manifest %s.json: %w", name, err)
	}
	if m.Name != name || m.File != name+".dump" {
		return Manifest{}, fmt.Errorf("offsite: manifest %s.json names %q, %q", name, m.Name, m.File)
	}
	return m, nil
}

// Fetch downloads the backup called name (the newest when empty) into dir
// and returns its manifest. The dump's SHA-256 must match both the
// manifest and the .sha256 object, or Fetch returns an error and leaves
// nothing of that backup in dir; the manifest is written last, so dir
// never holds a backup that looks complete and is not. A backup already
// complete and intact in dir is not downloaded again.
func (o *Offsite) Fetch(ctx context.Context, name, dir string) (Manifest, error) {
	var m Manifest
	var err error
	if name == "" {
		all, err := o.List(ctx)
		if err != nil {
			return Manifest{}, err
		}
		if len(all) == 0 {
			return Manifest{}, fmt.Errorf("%w in %s", ErrNoBackup, o.where)
		}
		m = all[0]
	} else {
		name = strings.TrimSuffix(strings.TrimSuffix(path.Base(name), ".json"), ".dump")
		if m, err = o.manifest(ctx, name); err != nil {
			return Manifest{}, err
		}
	}
	if local, err := Find(dir, m.Name); err == nil && local.SHA256 == m.SHA256 && CheckSum(dir, local) == nil {
		return local, nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Manifest{}, fmt.Errorf("offsite: %w", err)
	}

	sidecar, err := o.bucket.ReadAll(ctx, m.File+".sha256")
	if err != nil {
		return Manifest{}, fmt.Errorf("offsite: read %s.sha256: %w", m.File, err)
	}
	if got, _, _ := strings.Cut(string(sidecar), " "); got != m.SHA256 {
		return Manifest{}, fmt.Errorf("offsite: %s.sha256 says %s, the manifest %s", m.File, got, m.SHA256)
	}
	tmp := filepath.Join(dir, "."+m.File+".tmp")
	defer os.Remove(tmp)
	sum, err := o.download(ctx, m.File, tmp)
	if err != nil {
		return Manifest{}, err
	}
	if sum != m.SHA256 {
		return Manifest{}, fmt.Errorf("offsite: %s is corrupt: sha256 %s, manifest says %s", m.File, sum, m.SHA256)
	}
	if err := writeFileAtomic(filepath.Join(dir, m.File+".sha256"), sidecar); err != nil {
		return Manifest{}, err
	}
	if err := os.Rename(tmp, filepath.Join(dir, m.File)); err != nil {
		return Manifest{}, fmt.Errorf("offsite: %w", err)
	}
	mj, _ := json.MarshalIndent(m, "", "  ")
	if err := writeFileAtomic(filepath.Join(dir, m.Name+".json"), append(mj, '\n')); err != nil {
		return Manifest{}, err
	}
	syncDir(dir)
	return m, nil
}

// download copies the object key to the file dst (mode 0640, synced) and
// returns the SHA-256 of what it wrote.
func (o *Offsite) download(ctx context.Context, key, dst string) (string, error) {
	r, err := o.bucket.NewReader(ctx, key, nil)
	if err != nil {
		return "", fmt.Errorf("offsite: read %s: %w", key, err)
	}
	defer r.Close()
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return "", fmt.Errorf("offsite: %w", err)
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), r); err != nil {
		f.Close()
		return "", fmt.Errorf("offsite: read %s: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("offsite: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("offsite: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Prune deletes the backups in the store that Select does not keep under
// p, as Prune does for a directory, and returns their names. With dryRun
// it only reports them. Objects without a manifest are left alone.
func (o *Offsite) Prune(ctx context.Context, p Policy, dryRun bool) ([]string, error) {
	all, err := o.List(ctx)
	if err != nil {
		return nil, err
	}
	times := make([]time.Time, len(all))
	for i, m := range all {
		times[i] = m.CreatedAt
	}
	keep := Select(times, p)
	var removed []string
	for i, m := range all {
		if keep[i] {
			continue
		}
		removed = append(removed, m.Name)
		if dryRun {
			continue
		}
		// The manifest goes first, as in Prune.
		for _, key := range []string{m.Name + ".json", m.File, m.File + ".sha256"} {
			if err := o.bucket.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
				return removed, fmt.Errorf("offsite: delete %s: %w", key, err)
			}
		}
	}
	return removed, nil
}

// md5File returns the MD5 of a file, the integrity check object stores
// understand (Content-MD5); SHA-256 remains the backup's own checksum.
func md5File(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("offsite: %w", err)
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("offsite: read %s: %w", filepath.Base(file), err)
	}
	return h.Sum(nil), nil
}

// scrub removes the query of each URL from an error text, in case a
// driver quotes the URL.
func scrub(s string, urls ...string) string {
	for _, u := range urls {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			s = strings.ReplaceAll(s, u[i:], "?…")
		}
	}
	return s
}
