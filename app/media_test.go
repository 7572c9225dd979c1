package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/secondbloom/marketplace/adapters/clock"
	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/media"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/mocks"
	"github.com/secondbloom/marketplace/ports"
)

func newMediaCore(t *testing.T, ctrl *gomock.Controller, store ports.MediaStore, images ports.ImageProcessor, cfg func(*app.Config)) (*app.App, *memory.Store) {
	t.Helper()
	mem := memory.New()
	d := app.Deps{Tx: mem, Repos: mem.Repos(), Clock: clock.NewFake(t0), Pinger: mem, SMS: mocks.NewMockSMSSender(ctrl),
		Tokens: mocks.NewMockTokenIssuer(ctrl), Config: app.Config{CodeHashKey: hashKey}}
	// Typed nils must not reach Deps: a nil store means "not configured".
	if store != nil {
		d.MediaStore = store
	}
	if images != nil {
		d.Images = images
	}
	if cfg != nil {
		cfg(&d.Config)
	}
	core, err := app.New(d)
	if err != nil {
		t.Fatal(err)
	}
	return core, mem
}

const uploaderID = "0193a000-0000-7000-8000-0000000000ab"

var processed = &ports.ProcessedImage{
	ContentType: media.JPEG,
	Original:    ports.EncodedImage{Data: []byte("original"), Width: 1000, Height: 500},
	Variants: map[media.Size]ports.EncodedImage{
		media.Thumb:  {Data: []byte("thumb"), Width: 320, Height: 160},
		media.Medium: {Data: []byte("medium"), Width: 800, Height: 400},
	},
}

func TestUploadStoresFilesUnderRandomKeys(t *testing.T) {
	ctrl := gomock.NewController(t)
	store := mocks.NewMockMediaStore(ctrl)
	images := mocks.NewMockImageProcessor(ctrl)
	core, _ := newMediaCore(t, ctrl, store, images, nil)
	images.EXPECT().Process(gomock.Any(), []byte("photo")).Return(processed, nil)
	var keys []string
	store.EXPECT().Put(gomock.Any(), gomock.Any(), media.JPEG, gomock.Any()).Times(3).DoAndReturn(
		func(_ context.Context, key string, _ media.ContentType, _ []byte) error {
			keys = append(keys, key)
			return nil
		})
	m, err := core.Media.Upload(context.Background(), user.Actor{UserID: uploaderID, Role: user.RoleUser}, []byte("photo"))
	if err != nil {
		t.Fatalf("Upload = %v", err)
	}
	for _, k := range keys {
		if !media.ValidKey(k) || strings.Contains(k, "photo") {
			t.Errorf("key %q is not a random stored-file key", k)
		}
	}
	if v := m.Variants(); v.Large != m.Original() || v.Thumb.Width != 320 || v.Medium.Key == m.Original().Key {
		t.Errorf("variants = %+v, want large sharing the original, thumb and medium of their own", v)
	}
}

func TestFailedUploadLeavesNothing(t *testing.T) {
	ctrl := gomock.NewController(t)
	store := mocks.NewMockMediaStore(ctrl)
	images := mocks.NewMockImageProcessor(ctrl)
	core, mem := newMediaCore(t, ctrl, store, images, nil)
	images.EXPECT().Process(gomock.Any(), gomock.Any()).Return(processed, nil)
	var stored []string
	down := errors.Join(domain.ErrUnavailable, errors.New("bucket unreachable"))
	gomock.InOrder(
		store.EXPECT().Put(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(
			func(_ context.Context, key string, _ media.ContentType, _ []byte) error {
				stored = append(stored, key)
				return nil
			}),
		store.EXPECT().Put(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).Return(down),
	)
	store.EXPECT().Delete(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, key string) error {
		if len(stored) != 1 || key != stored[0] {
			t.Errorf("Delete(%q), want the one key stored: %v", key, stored)
		}
		return nil
	})
	_, err := core.Media.Upload(context.Background(), user.Actor{UserID: uploaderID, Role: user.RoleUser}, []byte("photo"))
	if !errors.Is(err, domain.ErrUnavailable) {
		t.Fatalf("Upload with a failing store = %v, want ErrUnavailable", err)
	}
	if n, _, _ := mem.Repos().Media.UploadsSince(context.Background(), uploaderID, t0.Add(-1e12)); n != 0 {
		t.Errorf("a failed upload was counted (%d)", n)
	}
}

func TestUploadsQueueAndOverflowIsBusy(t *testing.T) {
	ctrl := gomock.NewController(t)
	store := mocks.NewMockMediaStore(ctrl)
	images := mocks.NewMockImageProcessor(ctrl)
	core, _ := newMediaCore(t, ctrl, store, images, func(c *app.Config) { c.MediaConcurrency = 1; c.MediaQueue = 1 })
	started := make(chan struct{}, 2)
	release := make(chan struct{})
	images.EXPECT().Process(gomock.Any(), gomock.Any()).Times(2).DoAndReturn(func(context.Context, []byte) (*ports.ProcessedImage, error) {
		started <- struct{}{}
		<-release
		return processed, nil
	})
	store.EXPECT().Put(gomock.Any(), gomock.Any(), gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
	done := make(chan error, 3)
	by := user.Actor{UserID: uploaderID, Role: user.RoleUser}
	send := func(data string) {
		_, err := core.Media.Upload(context.Background(), by, []byte(data))
		done <- err
	}
	go send("a")
	<-started // the first holds the only slot
	// Of two more, one waits in the queue and the other finds it full.
	go send("b")
	go send("c")
	err := <-done
	var de *domain.Error
	if !errors.As(err, &de) || !errors.Is(err, media.ErrBusy) || de.Kind != domain.KindUnavailable || de.RetryAfterSeconds < 1 {
		t.Errorf("third upload with one slot and a queue of one = %v, want media.ErrBusy with Retry-After", err)
	}
	close(release)
	for range 2 {
		if err := <-done; err != nil {
			t.Errorf("queued upload = %v, want success", err)
		}
	}
}

func TestUploadWithoutStorageIsUnavailable(t *testing.T) {
	ctrl := gomock.NewController(t)
	core, _ := newMediaCore(t, ctrl, nil, nil, nil)
	if _, err := core.Media.Upload(context.Background(), user.Actor{UserID: uploaderID, Role: user.RoleUser}, []byte("x")); !errors.Is(err, domain.ErrUnavailable) {
		t.Errorf("Upload without a media store = %v, want ErrUnavailable", err)
	}
}
