-- Categories and products.
CREATE TABLE categories (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    slug        text NOT NULL UNIQUE,
    parent_id   uuid REFERENCES categories (id),
    position    integer NOT NULL DEFAULT 0 CHECK (position >= 0),
    is_active   boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX categories_parent_id_idx ON categories (parent_id);

CREATE TABLE products (
    id               uuid PRIMARY KEY,
    slug             text NOT NULL UNIQUE,
    title            text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description      text NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000),
    price            bigint NOT NULL CHECK (price BETWEEN 1 AND 1000000000000000),
    currency         char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    quantity         integer NOT NULL CHECK (quantity BETWEEN 0 AND 1000000),
    category_id      uuid NOT NULL REFERENCES categories (id),
    seller_id        uuid NOT NULL REFERENCES users (id),
    status           text NOT NULL CHECK (status IN ('PENDING', 'ACTIVE', 'REJECTED', 'ARCHIVED')),
    rejection_reason text NOT NULL DEFAULT '' CHECK (char_length(rejection_reason) <= 500),
    images           jsonb NOT NULL DEFAULT '[]',
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
-- A seller has at most one live product per title (case-insensitive).
CREATE UNIQUE INDEX products_seller_title_live_idx ON products (seller_id, lower(title)) WHERE status <> 'ARCHIVED';
CREATE INDEX products_category_created_idx ON products (category_id, created_at DESC) WHERE status = 'ACTIVE';
CREATE INDEX products_active_created_idx ON products (created_at DESC) WHERE status = 'ACTIVE';
CREATE INDEX products_active_price_idx ON products (price) WHERE status = 'ACTIVE';
CREATE INDEX products_seller_idx ON products (seller_id, created_at DESC);
CREATE INDEX products_category_price_idx ON products (category_id, price) WHERE status = 'ACTIVE';
-- Title search (?q=) is a case-insensitive substring match; trigrams let
-- it use an index instead of scanning every live product.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX products_title_trgm_idx ON products USING gin (lower(title) gin_trgm_ops) WHERE status = 'ACTIVE';
CREATE INDEX categories_position_idx ON categories (position, name, id);
