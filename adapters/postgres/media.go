package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/media"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/ports"
)

var _ ports.MediaRepository = (*mediaRepo)(nil)

type fileJSON struct {
	Key    string `json:"key"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

type variantsJSON struct {
	Thumb  fileJSON `json:"thumb"`
	Medium fileJSON `json:"medium"`
	Large  fileJSON `json:"large"`
}

type mediaFilesJSON struct {
	Original fileJSON `json:"original"`
	variantsJSON
}

func toFileJSON(f media.File) fileJSON { return fileJSON{Key: f.Key, Width: f.Width, Height: f.Height} }
func (f fileJSON) toDomain() media.File {
	return media.File{Key: f.Key, Width: f.Width, Height: f.Height}
}

func toVariantsJSON(v media.Variants) variantsJSON {
	return variantsJSON{Thumb: toFileJSON(v.Thumb), Medium: toFileJSON(v.Medium), Large: toFileJSON(v.Large)}
}

func (v variantsJSON) toDomain() media.Variants {
	return media.Variants{Thumb: v.Thumb.toDomain(), Medium: v.Medium.toDomain(), Large: v.Large.toDomain()}
}

type mediaRow struct {
	bun.BaseModel `bun:"table:media"`

	ID          string         `bun:"id,pk,type:uuid"`
	OwnerID     string         `bun:"owner_id,type:uuid"`
	ContentType string         `bun:"content_type"`
	SizeBytes   int64          `bun:"size_bytes"`
	Files       mediaFilesJSON `bun:"files,type:jsonb"`
	CreatedAt   time.Time      `bun:"created_at"`
	DetachedAt  *time.Time     `bun:"detached_at"`
}

func mediaToRow(m *media.Media) *mediaRow {
	f := m.Fields()
	return &mediaRow{ID: f.ID, OwnerID: f.OwnerID, ContentType: string(f.ContentType), SizeBytes: f.SizeBytes,
		Files: mediaFilesJSON{Original: toFileJSON(f.Original), variantsJSON: toVariantsJSON(f.Variants)}, CreatedAt: f.CreatedAt}
}

func (r *mediaRow) toDomain() *media.Media {
	return media.Rehydrate(media.Fields{ID: r.ID, OwnerID: r.OwnerID, ContentType: media.ContentType(r.ContentType),
		SizeBytes: r.SizeBytes, Original: r.Files.Original.toDomain(), Variants: r.Files.variantsJSON.toDomain(), CreatedAt: r.CreatedAt})
}

type mediaRepo struct{ db bun.IDB }

// Create counts the owner's recent uploads under a transaction-scoped
// advisory lock keyed by the owner, so instances sharing the database
// cannot both accept the hundred-and-first upload.
func (r *mediaRepo) Create(ctx context.Context, m *media.Media, limit int, window time.Duration, now time.Time) error {
	owner := m.OwnerID()
	return inTx(ctx, r.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('media_uploads:' || ?, 0))", owner); err != nil {
			return translate(err)
		}
		n, oldest, err := uploadsSince(ctx, tx, owner, now.Add(-window))
		if err != nil {
			return err
		}
		if n >= limit {
			return media.RateLimited(oldest.Add(window).Sub(now))
		}
		if _, err := tx.NewInsert().Model(mediaToRow(m)).Exec(ctx); err != nil {
			return translate(err)
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO media_uploads (owner_id, accepted_at) VALUES (?, ?)", owner, now.UTC())
		return translate(err)
	})
}

func uploadsSince(ctx context.Context, db bun.IDB, owner string, since time.Time) (int, time.Time, error) {
	var (
		n      int
		oldest sql.NullTime
	)
	err := db.QueryRowContext(ctx, "SELECT count(*), min(accepted_at) FROM media_uploads WHERE owner_id = ? AND accepted_at >= ?",
		owner, since.UTC()).Scan(&n, &oldest)
	if err != nil {
		return 0, time.Time{}, translate(err)
	}
	return n, oldest.Time, nil
}

func (r *mediaRepo) UploadsSince(ctx context.Context, ownerID string, since time.Time) (int, time.Time, error) {
	if !domain.ValidID(ownerID) {
		return 0, time.Time{}, nil
	}
	return uploadsSince(ctx, r.db, ownerID, since)
}

func (r *mediaRepo) Get(ctx context.Context, id string) (*media.Media, error) {
	if !domain.ValidID(id) {
		return nil, media.ErrNotFound
	}
	row := new(mediaRow)
	if err := selectOne(ctx, r.db, row, media.ErrNotFound, false, "id = ?", id); err != nil {
		return nil, err
	}
	return row.toDomain(), nil
}

func (r *mediaRepo) GetMany(ctx context.Context, ids []string) ([]*media.Media, error) {
	valid := make([]string, 0, len(ids))
	for _, id := range ids {
		if domain.ValidID(id) {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return nil, nil
	}
	var rows []mediaRow
	if err := r.db.NewSelect().Model(&rows).Where("id IN (?)", bun.List(valid)).Scan(ctx); err != nil {
		return nil, translate(err)
	}
	out := make([]*media.Media, 0, len(rows))
	for i := range rows {
		out = append(out, rows[i].toDomain())
	}
	return out, nil
}

func (r *mediaRepo) Delete(ctx context.Context, id string, fn func(*media.Media) error) error {
	if !domain.ValidID(id) {
		return media.ErrNotFound
	}
	return inTx(ctx, r.db, func(ctx context.Context, tx bun.IDB) error {
		row := new(mediaRow)
		if err := selectOne(ctx, tx, row, media.ErrNotFound, true, "id = ?", id); err != nil {
			return err
		}
		return deleteLockedMedia(ctx, tx, row, fn)
	})
}

// deleteLockedMedia deletes the photo of row, which the caller holds FOR
// UPDATE: it checks no product shows it (a fresh statement, so it sees
// every attach committed before the lock was taken), calls fn, and deletes
// the row.
func deleteLockedMedia(ctx context.Context, tx bun.IDB, row *mediaRow, fn func(*media.Media) error) error {
	used, err := tx.NewSelect().Table("product_media").Where("media_id = ?", row.ID).Exists(ctx)
	if err != nil {
		return translate(err)
	}
	if used {
		return media.ErrInUse
	}
	if err := fn(row.toDomain()); err != nil {
		return err
	}
	_, err = tx.NewDelete().Model((*mediaRow)(nil)).Where("id = ?", row.ID).Exec(ctx)
	if sqlState(err) == fkViolation {
		return media.ErrInUse
	}
	return translate(err)
}

func (r *mediaRepo) DeleteUnattached(ctx context.Context, cutoff time.Time, fn func(*media.Media) error) (bool, error) {
	claimed := false
	err := inTx(ctx, r.db, func(ctx context.Context, tx bun.IDB) error {
		row := new(mediaRow)
		q := tx.NewSelect().Model(row).
			Where("coalesce(detached_at, created_at) < ?", cutoff.UTC()).
			Where("NOT EXISTS (SELECT 1 FROM product_media pm WHERE pm.media_id = ?TableAlias.id)").
			OrderExpr("coalesce(detached_at, created_at)").Limit(1).For("UPDATE SKIP LOCKED")
		if err := q.Scan(ctx); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			return translate(err)
		}
		claimed = true
		err := deleteLockedMedia(ctx, tx, row, fn)
		if errors.Is(err, media.ErrInUse) {
			// Attached after this statement's snapshot: leave it be.
			return nil
		}
		return err
	})
	return claimed, err
}

func (r *mediaRepo) PruneUploads(ctx context.Context, before time.Time) error {
	_, err := r.db.ExecContext(ctx, "DELETE FROM media_uploads WHERE accepted_at < ?", before.UTC())
	return translate(err)
}

// syncProductMedia records in product_media which photos product p shows,
// after its row was written, and marks the photos it no longer shows as
// detached at its updatedAt. It returns media.ErrNotAttachable when a
// photo does not exist (deleted since the caller looked it up).
func syncProductMedia(ctx context.Context, tx bun.IDB, p product.Fields, isNew bool) error {
	var removed []string
	if !isNew {
		if err := tx.NewRaw("DELETE FROM product_media WHERE product_id = ? RETURNING media_id", p.ID).Scan(ctx, &removed); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return translate(err)
		}
	}
	shown := map[string]bool{}
	for _, im := range p.Images {
		shown[im.MediaID] = true
		_, err := tx.ExecContext(ctx, "INSERT INTO product_media (product_id, media_id, position) VALUES (?, ?, ?)",
			p.ID, im.MediaID, im.Position)
		if sqlState(err) == fkViolation {
			return media.ErrNotAttachable
		}
		if err != nil {
			return translate(err)
		}
	}
	var detached []string
	for _, id := range removed {
		if !shown[id] {
			detached = append(detached, id)
		}
	}
	if len(detached) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, "UPDATE media SET detached_at = ? WHERE id IN (?)", p.UpdatedAt.UTC(), bun.List(detached))
	return translate(err)
}

// sameImages reports whether two image lists show the same photos at the
// same positions, so a product write that did not touch its photos (an
// order taking stock) skips product_media.
func sameImages(a, b []product.Image) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].MediaID != b[i].MediaID || a[i].Position != b[i].Position {
			return false
		}
	}
	return true
}
