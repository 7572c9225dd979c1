package porttest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/category"
	"github.com/secondbloom/marketplace/domain/media"
	"github.com/secondbloom/marketplace/domain/product"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// NewMedia stores a photo of owner uploaded at the given time, with
// made-up keys, counted against a generous upload limit.
func NewMedia(t *testing.T, r ports.Repos, owner *user.User, at time.Time) *media.Media {
	t.Helper()
	id := newID()
	f := func(s string, w, h int) media.File {
		return media.File{Key: id + "-" + s + ".jpg", Width: w, Height: h}
	}
	m, err := media.New(media.Fields{ID: id, OwnerID: owner.ID(), ContentType: media.JPEG, SizeBytes: 1234,
		Original: f("original", 1000, 750), Variants: media.Variants{Thumb: f("thumb", 320, 240),
			Medium: f("medium", 800, 600), Large: f("original", 1000, 750)}, CreatedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Media.Create(context.Background(), m, 1000, time.Hour, at); err != nil {
		t.Fatalf("Media.Create: %v", err)
	}
	return m
}

// imageOf returns m as a product image at pos.
func imageOf(m *media.Media, pos int) product.Image {
	return product.Image{MediaID: m.ID(), Position: pos, Original: m.Original(), Variants: m.Variants()}
}

func productWithImages(t *testing.T, r ports.Repos, cat *category.Category, seller *user.User, title string, imgs ...product.Image) (*product.Product, error) {
	t.Helper()
	id := newID()
	p, err := product.New(product.NewParams{ID: id, Slug: "p-" + id, Title: uzText(title), Class: SeedClass(), Price: 100, Quantity: 2,
		CategoryID: cat.ID(), SellerID: seller.ID(), Images: imgs, Publish: true}, t0)
	if err != nil {
		t.Fatal(err)
	}
	return p, r.Products.Create(context.Background(), p)
}

func testMedia(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t)
	r := st.Repos()
	owner := NewUser(t, r, 31, user.RoleUser)
	cat := NewCategory(t, r, "media")

	m := NewMedia(t, r, owner, t0)
	got, err := r.Media.Get(ctx, m.ID())
	if err != nil || got.Fields() != m.Fields() {
		t.Fatalf("Media.Get = %+v, %v; want %+v", got, err, m.Fields())
	}
	if _, err := r.Media.Get(ctx, newID()); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Media.Get(unknown) = %v, want media.ErrNotFound", err)
	}
	many, err := r.Media.GetMany(ctx, []string{m.ID(), newID()})
	if err != nil || len(many) != 1 || many[0].ID() != m.ID() {
		t.Errorf("Media.GetMany(known, unknown) = %d photos, %v; want the known one", len(many), err)
	}

	// A product shows the photo: it cannot be deleted, in any status.
	p, err := productWithImages(t, r, cat, owner, "With photo", imageOf(m, 0))
	if err != nil {
		t.Fatalf("Products.Create with a photo = %v", err)
	}
	stored, _ := r.Products.Get(ctx, p.ID())
	if imgs := stored.Images(); len(imgs) != 1 || imgs[0] != imageOf(m, 0) {
		t.Errorf("stored images = %+v, want the photo with its files", imgs)
	}
	called := false
	del := func(*media.Media) error { called = true; return nil }
	if err := r.Media.Delete(ctx, m.ID(), del); !errors.Is(err, media.ErrInUse) || called {
		t.Errorf("Media.Delete(shown) = %v (fn called %v), want media.ErrInUse without calling fn", err, called)
	}
	if _, err := r.Products.Update(ctx, p.ID(), func(p *product.Product) error {
		return p.Archive(user.Actor{UserID: owner.ID(), Role: user.RoleUser}, t0.Add(time.Minute))
	}); err != nil {
		t.Fatal(err)
	}
	if err := r.Media.Delete(ctx, m.ID(), del); !errors.Is(err, media.ErrInUse) {
		t.Errorf("Media.Delete(shown by an ARCHIVED product) = %v, want media.ErrInUse", err)
	}
	if n, err := r.Media.DeleteUnattached(ctx, t0.Add(48*time.Hour), del); err != nil || n || called {
		t.Errorf("DeleteUnattached with only a shown photo = %v, %v (fn called %v), want false", n, err, called)
	}

	// A photo that does not exist cannot be attached.
	ghost := imageOf(m, 1)
	ghost.MediaID = newID()
	if _, err := productWithImages(t, r, cat, owner, "Ghost photo", ghost); !errors.Is(err, media.ErrNotAttachable) {
		t.Errorf("Products.Create with an unknown photo = %v, want media.ErrNotAttachable", err)
	}

	// fn's error deletes nothing.
	free := NewMedia(t, r, owner, t0)
	if err := r.Media.Delete(ctx, free.ID(), func(*media.Media) error { return errBoom }); !errors.Is(err, errBoom) {
		t.Errorf("Media.Delete with failing fn = %v, want errBoom", err)
	}
	if _, err := r.Media.Get(ctx, free.ID()); err != nil {
		t.Errorf("Media.Get after failed delete = %v, want the photo still there", err)
	}
	var gotKeys []string
	if err := r.Media.Delete(ctx, free.ID(), func(m *media.Media) error { gotKeys = m.Keys(); return nil }); err != nil {
		t.Fatalf("Media.Delete(free) = %v", err)
	}
	if len(gotKeys) != 3 {
		t.Errorf("Keys of the deleted photo = %v, want original, thumb, medium (large shares the original)", gotKeys)
	}
	if _, err := r.Media.Get(ctx, free.ID()); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Media.Get after delete = %v, want media.ErrNotFound", err)
	}
}

func testMediaJanitor(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t)
	r := st.Repos()
	owner := NewUser(t, r, 32, user.RoleUser)
	cat := NewCategory(t, r, "janitor")

	old := NewMedia(t, r, owner, t0)
	fresh := NewMedia(t, r, owner, t0.Add(30*time.Hour))
	shown := NewMedia(t, r, owner, t0)
	detached := NewMedia(t, r, owner, t0)
	if _, err := productWithImages(t, r, cat, owner, "Shown", imageOf(shown, 0)); err != nil {
		t.Fatal(err)
	}
	p, err := productWithImages(t, r, cat, owner, "Detached", imageOf(detached, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Products.Update(ctx, p.ID(), func(p *product.Product) error {
		none := []product.Image{}
		return p.Edit(user.Actor{UserID: owner.ID(), Role: user.RoleUser}, product.Change{Images: &none}, false, t0.Add(20*time.Hour))
	}); err != nil {
		t.Fatal(err)
	}

	// At t0+25h the cutoff is t0+1h: only the old, never attached photo is
	// due (detached at t0+20h is not yet).
	var mu sync.Mutex
	var deleted []string
	fn := func(m *media.Media) error {
		mu.Lock()
		defer mu.Unlock()
		deleted = append(deleted, m.ID())
		return nil
	}
	for {
		ok, err := r.Media.DeleteUnattached(ctx, t0.Add(time.Hour), fn)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
	}
	if len(deleted) != 1 || deleted[0] != old.ID() {
		t.Fatalf("deleted at t0+25h = %v, want only %s", deleted, old.ID())
	}
	deleted = nil
	for {
		ok, err := r.Media.DeleteUnattached(ctx, t0.Add(20*time.Hour+time.Second), fn)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
	}
	if len(deleted) != 1 || deleted[0] != detached.ID() {
		t.Errorf("deleted with cutoff after the detach = %v, want only %s", deleted, detached.ID())
	}
	for _, m := range []*media.Media{fresh, shown} {
		if _, err := r.Media.Get(ctx, m.ID()); err != nil {
			t.Errorf("Media.Get(%s) = %v, want it kept", m.ID(), err)
		}
	}

	// A failing fn keeps the photo for the next run.
	due := NewMedia(t, r, owner, t0)
	if _, err := r.Media.DeleteUnattached(ctx, t0.Add(time.Hour), func(*media.Media) error { return errBoom }); !errors.Is(err, errBoom) {
		t.Errorf("DeleteUnattached with failing fn = %v, want errBoom", err)
	}
	if _, err := r.Media.Get(ctx, due.ID()); err != nil {
		t.Errorf("Media.Get after a failed janitor run = %v, want the photo kept", err)
	}

	// Several janitors at once delete each due photo exactly once.
	var calls atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ok, err := r.Media.DeleteUnattached(ctx, t0.Add(time.Hour), func(*media.Media) error { calls.Add(1); return nil })
				if err != nil || !ok {
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := calls.Load(); got != 1 {
		t.Errorf("10 concurrent janitors deleted %d times, want 1", got)
	}
}

func testMediaUploadLimit(t *testing.T, newStore NewStore) {
	ctx := context.Background()
	st := newStore(t)
	r := st.Repos()
	owner := NewUser(t, r, 33, user.RoleUser)
	other := NewUser(t, r, 34, user.RoleUser)
	newMedia := func(u *user.User, at time.Time) *media.Media {
		id := newID()
		file := media.File{Key: id + ".jpg", Width: 10, Height: 10}
		m, err := media.New(media.Fields{ID: id, OwnerID: u.ID(), ContentType: media.JPEG, SizeBytes: 1, Original: file,
			Variants: media.Variants{Thumb: file, Medium: file, Large: file}, CreatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	const limit = 5
	// 20 concurrent uploads of one owner: exactly limit are accepted.
	var accepted atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at := t0.Add(time.Duration(i) * time.Second)
			err := r.Media.Create(ctx, newMedia(owner, at), limit, time.Hour, t0.Add(30*time.Second))
			switch {
			case err == nil:
				accepted.Add(1)
			case domain.KindOf(err) != domain.KindRateLimited:
				t.Errorf("Media.Create over the limit = %v, want a rate-limit error", err)
			}
		}()
	}
	wg.Wait()
	if got := accepted.Load(); got != limit {
		t.Fatalf("accepted %d of 20 concurrent uploads, want %d", got, limit)
	}
	err := r.Media.Create(ctx, newMedia(owner, t0), limit, time.Hour, t0.Add(40*time.Minute))
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindRateLimited || de.RetryAfterSeconds != 20*60+30 {
		t.Errorf("Media.Create at +40m = %v, want rate limited with Retry-After %d s", err, 20*60+30)
	}
	if err := r.Media.Create(ctx, newMedia(other, t0), limit, time.Hour, t0.Add(40*time.Minute)); err != nil {
		t.Errorf("another owner's upload = %v, want accepted", err)
	}
	n, oldest, err := r.Media.UploadsSince(ctx, owner.ID(), t0)
	if err != nil || n != limit || !oldest.Equal(t0.Add(30*time.Second)) {
		t.Errorf("UploadsSince = %d, %v, %v; want %d, t0+30s", n, oldest, err, limit)
	}
	// Deleting a photo does not give its upload back.
	gone := newMedia(other, t0)
	if err := r.Media.Create(ctx, gone, limit, time.Hour, t0.Add(41*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := r.Media.Delete(ctx, gone.ID(), func(*media.Media) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := r.Media.UploadsSince(ctx, other.ID(), t0); n != 2 {
		t.Errorf("UploadsSince after deleting a photo = %d, want 2", n)
	}
	if err := r.Media.PruneUploads(ctx, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := r.Media.UploadsSince(ctx, owner.ID(), t0); n != 0 {
		t.Errorf("UploadsSince after pruning = %d, want 0", n)
	}
	if err := r.Media.Create(ctx, newMedia(owner, t0), limit, time.Hour, t0.Add(91*time.Minute)); err != nil {
		t.Errorf("Media.Create after the window = %v, want accepted", err)
	}
}
