package memory

import (
	"context"
	"sort"
	"time"

	"github.com/secondbloom/marketplace/domain/media"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/ports"
)

var _ ports.MediaRepository = (*mediaRepo)(nil)

type mediaRepo struct{ se *session }

func (r *mediaRepo) Create(ctx context.Context, m *media.Media, limit int, window time.Duration, now time.Time) error {
	f := m.Fields()
	return r.se.do(func(db *data, log *session) error {
		recent := recentUploads(db.uploads[f.OwnerID], now.Add(-window))
		if len(recent) >= limit {
			return media.RateLimited(recent[0].Add(window).Sub(now))
		}
		db.media.put(log, f.ID, f)
		db.uploads.put(log, f.OwnerID, append(recent, now))
		return nil
	})
}

// recentUploads returns the times in ts at or after since, oldest first.
func recentUploads(ts []time.Time, since time.Time) []time.Time {
	out := make([]time.Time, 0, len(ts)+1)
	for _, t := range ts {
		if !t.Before(since) {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

func (r *mediaRepo) UploadsSince(ctx context.Context, ownerID string, since time.Time) (int, time.Time, error) {
	var (
		n      int
		oldest time.Time
	)
	err := r.se.do(func(db *data, _ *session) error {
		recent := recentUploads(db.uploads[ownerID], since)
		n = len(recent)
		if n > 0 {
			oldest = recent[0]
		}
		return nil
	})
	return n, oldest, err
}

func (r *mediaRepo) Get(ctx context.Context, id string) (*media.Media, error) {
	var out *media.Media
	err := r.se.do(func(db *data, _ *session) error {
		f, ok := db.media[id]
		if !ok {
			return media.ErrNotFound
		}
		out = media.Rehydrate(f)
		return nil
	})
	return out, err
}

func (r *mediaRepo) GetMany(ctx context.Context, ids []string) ([]*media.Media, error) {
	var out []*media.Media
	err := r.se.do(func(db *data, _ *session) error {
		for _, id := range ids {
			if f, ok := db.media[id]; ok {
				out = append(out, media.Rehydrate(f))
			}
		}
		return nil
	})
	return out, err
}

func (r *mediaRepo) Delete(ctx context.Context, id string, fn func(*media.Media) error) error {
	return r.se.do(func(db *data, log *session) error {
		f, ok := db.media[id]
		if !ok {
			return media.ErrNotFound
		}
		if mediaInUse(db, id) {
			return media.ErrInUse
		}
		if err := fn(media.Rehydrate(f)); err != nil {
			return err
		}
		db.media.del(log, id)
		db.mediaDetached.del(log, id)
		return nil
	})
}

func (r *mediaRepo) DeleteUnattached(ctx context.Context, cutoff time.Time, fn func(*media.Media) error) (bool, error) {
	claimed := false
	err := r.se.do(func(db *data, log *session) error {
		for id, f := range db.media {
			since := f.CreatedAt
			if t, ok := db.mediaDetached[id]; ok {
				since = t
			}
			if !since.Before(cutoff) || mediaInUse(db, id) {
				continue
			}
			claimed = true
			if err := fn(media.Rehydrate(f)); err != nil {
				return err
			}
			db.media.del(log, id)
			db.mediaDetached.del(log, id)
			return nil
		}
		return nil
	})
	return claimed, err
}

func (r *mediaRepo) PruneUploads(ctx context.Context, before time.Time) error {
	return r.se.do(func(db *data, log *session) error {
		for owner, ts := range db.uploads {
			recent := recentUploads(ts, before)
			if len(recent) == 0 {
				db.uploads.del(log, owner)
			} else if len(recent) < len(ts) {
				db.uploads.put(log, owner, recent)
			}
		}
		return nil
	})
}

// mediaInUse reports whether any product, in any status, shows the photo.
// A scan is fine for a development store.
func mediaInUse(db *data, id string) bool {
	for _, p := range db.products {
		for _, im := range p.Images {
			if im.MediaID == id {
				return true
			}
		}
	}
	return false
}

// attachImages checks that every photo of next exists and records the
// photos of prev that next no longer shows as detached at next's
// updatedAt, for the janitor. prev is the zero Fields for a new product.
func attachImages(db *data, log *session, prev, next product.Fields) error {
	shown := map[string]bool{}
	for _, im := range next.Images {
		if _, ok := db.media[im.MediaID]; !ok {
			return media.ErrNotAttachable
		}
		shown[im.MediaID] = true
	}
	for _, im := range prev.Images {
		if !shown[im.MediaID] {
			db.mediaDetached.put(log, im.MediaID, next.UpdatedAt)
		}
	}
	return nil
}
