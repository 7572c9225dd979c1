-- Auctions and their bids.
CREATE TABLE auctions (
    id            uuid PRIMARY KEY,
    product_id    uuid NOT NULL REFERENCES products (id),
    seller_id     uuid NOT NULL REFERENCES users (id),
    status        text NOT NULL CHECK (status IN ('ACTIVE', 'ENDED', 'CANCELLED')),
    start_price   bigint NOT NULL CHECK (start_price BETWEEN 1 AND 1000000000000000),
    current_price bigint NOT NULL CHECK (current_price BETWEEN start_price AND 1000000000000000),
    min_increment bigint NOT NULL CHECK (min_increment BETWEEN 1 AND 1000000000000000),
    bid_count     integer NOT NULL DEFAULT 0 CHECK (bid_count >= 0),
    leader_id     uuid REFERENCES users (id),
    currency      char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL CHECK (ends_at > starts_at),
    winner_id     uuid REFERENCES users (id),
    order_id      uuid,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    -- There is a leader exactly when there are bids, and it is never the seller.
    CONSTRAINT auctions_leader_check CHECK ((bid_count = 0) = (leader_id IS NULL) AND leader_id IS DISTINCT FROM seller_id),
    -- Only an ENDED auction with bids has a winner, the leader, and an order.
    CONSTRAINT auctions_winner_check CHECK (
        (winner_id IS NULL) = (order_id IS NULL)
        AND (winner_id IS NULL OR winner_id = leader_id)
        AND (status = 'ENDED' AND bid_count > 0) = (winner_id IS NOT NULL))
);
-- A product has at most one open auction.
CREATE UNIQUE INDEX auctions_one_active_per_product_idx ON auctions (product_id) WHERE status = 'ACTIVE';
-- The closer's scan of due auctions.
CREATE INDEX auctions_active_ends_at_idx ON auctions (ends_at) WHERE status = 'ACTIVE';
CREATE INDEX auctions_ends_at_idx ON auctions (ends_at, id);
CREATE INDEX auctions_created_at_idx ON auctions (created_at, id);
CREATE UNIQUE INDEX auctions_order_id_idx ON auctions (order_id) WHERE order_id IS NOT NULL;

-- The winner's order must exist. The closing transaction updates the
-- auction before it inserts the order, so the key is checked at commit.
-- (orders.auction_id has no foreign key: the orders suite stores orders of
-- made-up auctions; orders_auction_idx keeps one order per auction.)
ALTER TABLE auctions ADD CONSTRAINT auctions_order_id_fkey
    FOREIGN KEY (order_id) REFERENCES orders (id) DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE bids (
    id          uuid PRIMARY KEY,
    auction_id  uuid NOT NULL REFERENCES auctions (id),
    bidder_id   uuid NOT NULL REFERENCES users (id),
    amount      bigint NOT NULL CHECK (amount BETWEEN 1 AND 1000000000000000),
    created_at  timestamptz NOT NULL
);
-- Accepted bids strictly increase, so no two bids of an auction are equal:
-- an equal bid always loses to the earlier one.
CREATE UNIQUE INDEX bids_auction_amount_idx ON bids (auction_id, amount DESC);

-- While a product is in an open auction it stays ACTIVE with at least one
-- item, so the winner's order can always take it.
CREATE FUNCTION products_in_open_auction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.status <> 'ACTIVE' OR NEW.quantity < 1)
       AND EXISTS (SELECT 1 FROM auctions WHERE product_id = NEW.id AND status = 'ACTIVE') THEN
        RAISE EXCEPTION 'product % is in an open auction', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'products_in_open_auction';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER products_in_open_auction BEFORE UPDATE OF status, quantity ON products
    FOR EACH ROW EXECUTE FUNCTION products_in_open_auction();
