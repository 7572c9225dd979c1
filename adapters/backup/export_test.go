package backup

import (
	"context"
	"errors"
	"io"

	"gocloud.dev/blob"
)

// Overwrite replaces the object key, so tests can damage an off-site copy.
func (o *Offsite) Overwrite(ctx context.Context, key string, b []byte) error {
	return o.bucket.WriteAll(ctx, key, b, nil)
}

// Keys lists every object in the store.
func (o *Offsite) Keys(ctx context.Context) ([]string, error) {
	var keys []string
	it := o.bucket.List(&blob.ListOptions{})
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return keys, nil
		}
		if err != nil {
			return nil, err
		}
		keys = append(keys, obj.Key)
	}
}
