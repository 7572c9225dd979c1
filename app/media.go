package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/media"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// Defaults of the media settings of Config.
const (
	DefaultMediaConcurrency = 2
	DefaultMediaQueue       = 16
	// JanitorInterval is how often RunJanitor looks for photos to delete.
	JanitorInterval = time.Minute
)

// errMediaNotConfigured answers uploads of a core built without a media
// store or image processor.
var errMediaNotConfigured = fmt.Errorf("%w: media storage is not configured", domain.ErrUnavailable)

// MediaService handles product photos: uploads (processed a few at a time,
// with a bounded queue), reads and deletes by their owner or staff, and the
// janitor that deletes photos no product shows.
type MediaService struct {
	repo    ports.MediaRepository
	store   ports.MediaStore
	images  ports.ImageProcessor
	clock   ports.Clock
	metrics ports.MediaMetrics
	limit   int

	// slots admits Concurrency uploads to the processor at once; pending
	// counts those processing and waiting, bounded by Concurrency+Queue.
	slots      chan struct{}
	pending    atomic.Int64
	maxPending int64
}

func newMediaService(repo ports.MediaRepository, store ports.MediaStore, images ports.ImageProcessor, clock ports.Clock,
	metrics ports.MediaMetrics, cfg Config,
) *MediaService {
	conc, queue := cfg.MediaConcurrency, cfg.MediaQueue
	if conc <= 0 {
		conc = DefaultMediaConcurrency
	}
	if queue <= 0 {
		queue = DefaultMediaQueue
	}
	limit := cfg.MediaUploadsPerHour
	if limit <= 0 {
		limit = media.UploadsPerHour
	}
	return &MediaService{repo: repo, store: store, images: images, clock: clock, metrics: metrics,
		limit: limit, slots: make(chan struct{}, conc), maxPending: int64(conc + queue)}
}

// uploadWindow is the window of the per-user upload limit.
const uploadWindow = time.Hour

// Upload checks, re-encodes and stores a photo for by. It returns
// media.ErrEmpty, media.ErrUnsupported, media.ErrTooManyPixels or
// media.ErrCorrupt for a bad file, a rate-limit error once by had
// Config.MediaUploadsPerHour uploads accepted in the last hour,
// media.ErrBusy when too many uploads are already waiting, or an error
// wrapping domain.ErrUnavailable when storage fails. A failed upload
// leaves neither bytes nor a record behind.
func (s *MediaService) Upload(ctx context.Context, by user.Actor, data []byte) (*media.Media, error) {
	m, err := s.upload(ctx, by, data)
	if err != nil {
		s.metrics.MediaRefused(refusalReason(err))
	}
	return m, err
}

func (s *MediaService) upload(ctx context.Context, by user.Actor, data []byte) (*media.Media, error) {
	if len(data) == 0 {
		return nil, media.ErrEmpty
	}
	// A cheap early answer for a client over the limit; Create decides
	// under a lock.
	now := s.clock.Now()
	n, oldest, err := s.repo.UploadsSince(ctx, by.UserID, now.Add(-uploadWindow))
	if err != nil {
		return nil, err
	}
	if n >= s.limit {
		return nil, media.RateLimited(oldest.Add(uploadWindow).Sub(now))
	}
	release, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	out, err := s.images.Process(ctx, data)
	release()
	took := time.Since(start)
	if err != nil {
		return nil, err
	}
	m, err := s.save(ctx, by, out, s.clock.Now())
	if err != nil {
		return nil, err
	}
	s.metrics.MediaUploaded(m.SizeBytes(), took)
	return m, nil
}

// acquire waits for a processing slot. It returns media.ErrBusy at once
// when the queue is full, or ctx's error.
func (s *MediaService) acquire(ctx context.Context) (func(), error) {
	if s.pending.Add(1) > s.maxPending {
		s.pending.Add(-1)
		return nil, media.ErrBusy
	}
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots; s.pending.Add(-1) }, nil
	case <-ctx.Done():
		s.pending.Add(-1)
		return nil, ctx.Err()
	}
}

// save puts the processed files under fresh random keys and records the
// photo; on any failure it deletes what it put.
func (s *MediaService) save(ctx context.Context, by user.Actor, out *ports.ProcessedImage, now time.Time) (*media.Media, error) {
	prefix, err := randomKey()
	if err != nil {
		return nil, err
	}
	ext := out.ContentType.Ext()
	var put []string
	put1 := func(name string, im ports.EncodedImage) (media.File, error) {
		key := prefix + "-" + name + ext
		if err := s.store.Put(ctx, key, out.ContentType, im.Data); err != nil {
			return media.File{}, err
		}
		put = append(put, key)
		return media.File{Key: key, Width: im.Width, Height: im.Height}, nil
	}
	m, err := func() (*media.Media, error) {
		orig, err := put1("original", out.Original)
		if err != nil {
			return nil, err
		}
		vs := media.Variants{Thumb: orig, Medium: orig, Large: orig}
		for _, size := range media.Sizes {
			if im, ok := out.Variants[size]; ok {
				f, err := put1(string(size), im)
				if err != nil {
					return nil, err
				}
				vs = vs.Set(size, f)
			}
		}
		m, err := media.New(media.Fields{ID: newID(), OwnerID: by.UserID, ContentType: out.ContentType,
			SizeBytes: int64(len(out.Original.Data)), Original: orig, Variants: vs, CreatedAt: now})
		if err != nil {
			return nil, err
		}
		return m, s.repo.Create(ctx, m, s.limit, uploadWindow, now)
	}()
	if err != nil {
		// The client's context may be what failed; clean up regardless.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		for _, k := range put {
			if derr := s.store.Delete(cctx, k); derr != nil {
				err = errors.Join(err, fmt.Errorf("media: removing %s after a failed upload: %w", k, derr))
			}
		}
		return nil, err
	}
	return m, nil
}

// randomKey returns 128 random bits in hex: object keys are unguessable and
// never derived from the upload.
func randomKey() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// refusalReason is the metrics label of an upload error.
func refusalReason(err error) string {
	switch {
	case errors.Is(err, media.ErrUnsupported):
		return "unsupported"
	case errors.Is(err, media.ErrTooManyPixels):
		return "too_many_pixels"
	case errors.Is(err, media.ErrCorrupt), errors.Is(err, media.ErrEmpty):
		return "corrupt"
	case errors.Is(err, media.ErrBusy):
		return "busy"
	case domain.KindOf(err) == domain.KindRateLimited:
		return "rate_limited"
	}
	return "error"
}

// RecordTooLarge counts an upload the transport refused for its size.
func (s *MediaService) RecordTooLarge() { s.metrics.MediaRefused("too_large") }

// Get returns the photo with id if by owns it or is staff, or
// media.ErrNotFound.
func (s *MediaService) Get(ctx context.Context, by user.Actor, id string) (*media.Media, error) {
	m, err := s.repo.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !m.VisibleTo(by) {
		return nil, media.ErrNotFound
	}
	return m, nil
}

// Delete removes the photo with id and its bytes. It returns
// media.ErrNotFound unless by owns it or is staff, media.ErrInUse while a
// product of any status shows it, or an error wrapping
// domain.ErrUnavailable when the bytes cannot be deleted (then nothing
// is).
func (s *MediaService) Delete(ctx context.Context, by user.Actor, id string) error {
	return s.repo.Delete(ctx, id, func(m *media.Media) error {
		if !m.VisibleTo(by) {
			return media.ErrNotFound
		}
		return s.deleteBytes(ctx, m)
	})
}

func (s *MediaService) deleteBytes(ctx context.Context, m *media.Media) error {
	for _, k := range m.Keys() {
		if err := s.store.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// Sweep deletes, bytes first, every photo no product has shown for
// media.UnattachedTTL, and forgets upload counts older than the limit's
// window. It returns how many photos it deleted. Several instances may
// sweep at once; each photo is deleted once.
func (s *MediaService) Sweep(ctx context.Context) (int, error) {
	now := s.clock.Now()
	n := 0
	for {
		ok, err := s.repo.DeleteUnattached(ctx, now.Add(-media.UnattachedTTL), func(m *media.Media) error {
			return s.deleteBytes(ctx, m)
		})
		if err != nil {
			return n, err
		}
		if !ok {
			break
		}
		n++
	}
	return n, s.repo.PruneUploads(ctx, now.Add(-uploadWindow))
}

// RunJanitor sweeps every interval until ctx ends. Failures are passed to
// onError and retried at the next tick.
func (s *MediaService) RunJanitor(ctx context.Context, interval time.Duration, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			onError(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// resolveImages fills in the files of each image from its media, checking
// that by may attach it: its owner and staff may. Unknown media and
// someone else's media are both media.ErrNotAttachable.
func resolveImages(ctx context.Context, repo ports.MediaRepository, by user.Actor, imgs []product.Image) ([]product.Image, error) {
	if len(imgs) == 0 {
		return imgs, nil
	}
	if _, err := product.ValidateImages(imgs); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(imgs))
	for _, im := range imgs {
		ids = append(ids, im.MediaID)
	}
	found, err := repo.GetMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*media.Media, len(found))
	for _, m := range found {
		byID[m.ID()] = m
	}
	out := make([]product.Image, 0, len(imgs))
	for _, im := range imgs {
		m, ok := byID[im.MediaID]
		if !ok || !m.Attachable(by) {
			return nil, media.ErrNotAttachable
		}
		out = append(out, product.Image{MediaID: m.ID(), Position: im.Position, Original: m.Original(), Variants: m.Variants()})
	}
	return out, nil
}

// nopMediaMetrics counts nothing; it stands in when Deps.MediaMetrics is
// nil.
type nopMediaMetrics struct{}

func (nopMediaMetrics) MediaUploaded(int64, time.Duration) {}
func (nopMediaMetrics) MediaRefused(string)                {}

// Open reads length bytes of the stored file at key from offset (see
// ports.MediaStore.Get), for serving photos without a CDN. It returns
// media.ErrNotFound for a key that is not a stored file's.
func (s *MediaService) Open(ctx context.Context, key string, offset, length int64) (*ports.Blob, error) {
	if !media.ValidKey(key) {
		return nil, media.ErrNotFound
	}
	return s.store.Get(ctx, key, offset, length)
}

// nopMediaStore and nopImages stand in for a core built without photo
// storage: every use answers errMediaNotConfigured.
type (
	nopMediaStore struct{}
	nopImages     struct{}
)

func (nopMediaStore) Put(context.Context, string, media.ContentType, []byte) error {
	return errMediaNotConfigured
}

func (nopMediaStore) Get(context.Context, string, int64, int64) (*ports.Blob, error) {
	return nil, errMediaNotConfigured
}

func (nopMediaStore) Delete(context.Context, string) error { return errMediaNotConfigured }

func (nopImages) Process(context.Context, []byte) (*ports.ProcessedImage, error) {
	return nil, errMediaNotConfigured
}
