-- Orders and idempotency records.
CREATE TABLE orders (
    id               uuid PRIMARY KEY,
    number           text NOT NULL CHECK (number ~ '^SB-[0-9]{8}-[A-Z2-7]{8}$'),
    product_id       uuid NOT NULL REFERENCES products (id),
    seller_id        uuid NOT NULL REFERENCES users (id),
    buyer_id         uuid NOT NULL REFERENCES users (id),
    quantity         integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
    unit_price       bigint NOT NULL CHECK (unit_price BETWEEN 1 AND 1000000000000000),
    total_price      bigint NOT NULL,
    currency         char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status           text NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED')),
    payment_status   text NOT NULL CHECK (payment_status IN ('PENDING', 'PAID', 'REFUNDED')),
    shipping_address text NOT NULL DEFAULT '' CHECK (char_length(shipping_address) <= 500),
    notes            text NOT NULL DEFAULT '' CHECK (char_length(notes) <= 1000),
    cancel_reason    text NOT NULL DEFAULT '' CHECK (char_length(cancel_reason) <= 500),
    -- The auctions migration adds the foreign key once the table exists.
    auction_id       uuid,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CHECK (total_price = unit_price * quantity),
    CHECK (buyer_id <> seller_id),
    CHECK (payment_status <> 'REFUNDED' OR status = 'CANCELLED'),
    CHECK (auction_id IS NULL OR quantity = 1)
);
CREATE UNIQUE INDEX orders_number_idx ON orders (number);
-- An auction yields at most one order.
CREATE UNIQUE INDEX orders_auction_idx ON orders (auction_id) WHERE auction_id IS NOT NULL;
CREATE INDEX orders_buyer_created_idx ON orders (buyer_id, created_at DESC);
CREATE INDEX orders_seller_created_idx ON orders (seller_id, created_at DESC);
CREATE INDEX orders_product_idx ON orders (product_id);

-- Outcomes of requests made with an Idempotency-Key, replayed byte for
-- byte. Kept at least 24 h.
CREATE TABLE idempotency_keys (
    user_id     uuid NOT NULL REFERENCES users (id),
    route       text NOT NULL,
    key         text NOT NULL CHECK (octet_length(key) BETWEEN 1 AND 255),
    fingerprint bytea NOT NULL,
    status      integer NOT NULL CHECK (status BETWEEN 100 AND 599),
    body        bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, route, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
