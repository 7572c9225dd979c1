-- Keyset paging (?cursor=) and a catalogue of a million products: every
-- list reads its page straight from an index in the list's order. Each
-- index ends with the list's tie-breaker columns, so the keyset condition
-- (key, id) < ($1, $2) is an index condition and a deep cursor page costs
-- what the first one does. The indexes they replace are prefixes of them.

-- Public product lists (status = 'ACTIVE', sellers not blocked): by
-- createdAt and by price (price, then createdAt, then id), alone or within
-- a category. The predicate names both conditions of a public list, so a
-- capped count is an index-only scan of a few hundred pages, never a
-- read of the wide product rows.
CREATE INDEX products_active_created_id_idx ON products (created_at, id) WHERE status = 'ACTIVE' AND NOT seller_blocked;
CREATE INDEX products_active_price_id_idx ON products (price, created_at, id) WHERE status = 'ACTIVE' AND NOT seller_blocked;
CREATE INDEX products_category_created_id_idx ON products (category_id, created_at, id) WHERE status = 'ACTIVE' AND NOT seller_blocked;
CREATE INDEX products_category_price_id_idx ON products (category_id, price, created_at, id) WHERE status = 'ACTIVE' AND NOT seller_blocked;
DROP INDEX products_active_created_idx, products_active_price_idx, products_category_created_idx, products_category_price_idx;

-- A seller's public page.
CREATE INDEX products_active_seller_idx ON products (seller_id, created_at, id) WHERE status = 'ACTIVE' AND NOT seller_blocked;

-- The four reference ids, each with the default order. (The single-column
-- indexes of migration 0008 stay: they serve the foreign keys' checks when
-- a reference item is deleted.)
CREATE INDEX products_condition_created_idx ON products (condition_id, created_at, id) WHERE status = 'ACTIVE' AND NOT seller_blocked;
CREATE INDEX products_size_created_idx ON products (size_id, created_at, id) WHERE status = 'ACTIVE' AND NOT seller_blocked;
CREATE INDEX products_city_created_idx ON products (city_id, created_at, id) WHERE status = 'ACTIVE' AND NOT seller_blocked;
CREATE INDEX products_district_created_idx ON products (district_id, created_at, id) WHERE status = 'ACTIVE' AND NOT seller_blocked;

-- A seller's own products of any status (their inventory), and the lists of
-- one status by price, ACTIVE included (by createdAt, the other statuses:
-- products_status_created_idx, 0010).
CREATE INDEX products_seller_created_id_idx ON products (seller_id, created_at, id);
DROP INDEX products_seller_idx;
CREATE INDEX products_status_price_idx ON products (status, price, created_at, id);

-- Orders: a buyer's and a seller's, newest first; an admin's list of all
-- orders in each of its sorts.
CREATE INDEX orders_buyer_created_id_idx ON orders (buyer_id, created_at, id);
CREATE INDEX orders_seller_created_id_idx ON orders (seller_id, created_at, id);
DROP INDEX orders_buyer_created_idx, orders_seller_created_idx;
CREATE INDEX orders_created_id_idx ON orders (created_at, id);
CREATE INDEX orders_updated_id_idx ON orders (updated_at, id);
CREATE INDEX orders_total_price_id_idx ON orders (total_price, id);

-- Bids and inboxes need nothing new: amounts are distinct per auction
-- (bids_auction_amount_idx) and seq per user (UNIQUE (user_id, seq)), so
-- those keys alone are their keyset.
