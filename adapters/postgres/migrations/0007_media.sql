-- Product photos (issue 9): uploaded media, which products show them, and
-- the upload counts of the hourly limit.
CREATE TABLE media (
    id           uuid PRIMARY KEY,
    owner_id     uuid NOT NULL REFERENCES users (id),
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    size_bytes   bigint NOT NULL CHECK (size_bytes > 0),
    -- {"original":{"key","width","height"},"thumb":{...},"medium":{...},"large":{...}}
    files        jsonb NOT NULL,
    created_at   timestamptz NOT NULL,
    -- When the photo last left a product; NULL while it never did. The
    -- janitor deletes photos on no product since
    -- coalesce(detached_at, created_at) + 24 h.
    detached_at  timestamptz
);
CREATE INDEX media_owner_idx ON media (owner_id, created_at DESC);
CREATE INDEX media_unattached_since_idx ON media ((coalesce(detached_at, created_at)));

-- Which products show which photo. products.images keeps the rendered
-- copy that reads use (no join per read); this table is what the database
-- checks: a photo shown by any product, ARCHIVED included, cannot be
-- deleted (RESTRICT), and the foreign key's row lock on media makes an
-- attach and a delete of the same photo wait for each other.
CREATE TABLE product_media (
    product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    media_id   uuid NOT NULL REFERENCES media (id) ON DELETE RESTRICT,
    position   smallint NOT NULL CHECK (position BETWEEN 0 AND 9),
    PRIMARY KEY (product_id, media_id),
    UNIQUE (product_id, position)
);
CREATE INDEX product_media_media_idx ON product_media (media_id);

-- One row per accepted upload, kept an hour for the per-user limit, which
-- holds across instances and after the photo is deleted.
CREATE TABLE media_uploads (
    owner_id    uuid NOT NULL,
    accepted_at timestamptz NOT NULL
);
CREATE INDEX media_uploads_owner_idx ON media_uploads (owner_id, accepted_at);

-- Products used to carry image URLs typed in by sellers (any address,
-- internal ones included). They cannot be turned into media without
-- fetching those addresses from inside the network, which is exactly what
-- uploads replace, so the URLs move to legacy_product_image_urls, for
-- sellers to be told and for operators, and the products show no image
-- until their sellers upload photos.
CREATE TABLE legacy_product_image_urls (
    product_id  uuid PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
    images      jsonb NOT NULL,
    migrated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO legacy_product_image_urls (product_id, images)
    SELECT id, images FROM products WHERE images <> '[]'::jsonb;
UPDATE products SET images = '[]'::jsonb WHERE images <> '[]'::jsonb;
