-- One POST /api/v1/orders as the server sends it to PostgreSQL (the same five
-- statements: BEGIN, the conditional UPDATE of productRepo.Reserve, the order
-- insert, the outbox row with its NOTIFY chained with the seller's
-- ORDER_PLACED notification and its SMS delivery, COMMIT), for pgbench to
-- show what the database alone sustains. The HTTP layer's session and user lookups are not in it.
-- Product, seller and buyer are picked through the tables pgbench-setup.sql
-- makes (primary-key lookups inside the statements, where the server sends
-- the ids as literals).
--
--   pgbench -n -f cmd/orderload/pgbench.sql -D nprod=500 -D nbuy=50 -c 32 -j 2 -T 10 <db>
\set p random(1, :nprod)
\set b random(1, :nbuy)
BEGIN;
UPDATE products SET quantity = quantity - 1, updated_at = now()
    WHERE id = (SELECT id FROM pgbench_products WHERE n = :p) AND status = 'ACTIVE' AND NOT seller_blocked
    AND seller_id IS DISTINCT FROM (SELECT id FROM pgbench_buyers WHERE n = :b)
    AND quantity >= 1 AND NOT product_in_open_auction(id)
    RETURNING id, slug, title, description, price, currency, quantity, category_id, condition_id, size_id,
        city_id, district_id, seller_id, status, rejection_reason, images, seller_blocked, created_at, updated_at
\gset
INSERT INTO orders AS order_row (id, number, product_id, seller_id, buyer_id, quantity, unit_price, total_price, currency,
        status, payment_status, shipping_address, notes, cancel_reason, cancelled_by, auction_id, created_at, updated_at)
    VALUES (gen_random_uuid(), 'SB-' || to_char(now(), 'YYYYMMDD') || '-' || translate(upper(substr(md5(random()::text), 1, 8)), '0189', 'WXYZ'),
        (SELECT id FROM pgbench_products WHERE n = :p), (SELECT seller_id FROM pgbench_products WHERE n = :p), (SELECT id FROM pgbench_buyers WHERE n = :b), 1, :price, :price, 'UZS',
        'PENDING', 'PENDING', '', '', '', NULL, NULL, now(), now())
    ON CONFLICT (number) DO NOTHING;
WITH ins AS (
        INSERT INTO outbox (origin, name, actor_id, actor_role, actor_system, subject_type, subject_id, data)
        VALUES ('pgbench', 'order.placed', (SELECT id FROM pgbench_buyers WHERE n = :b), 'USER', '', 'order', gen_random_uuid()::text,
            jsonb_build_object('productId', (SELECT id FROM pgbench_products WHERE n = :p), 'buyerId', (SELECT id FROM pgbench_buyers WHERE n = :b), 'sellerId', (SELECT seller_id FROM pgbench_products WHERE n = :p), 'auctionId', ''))
        RETURNING seq),
    c0 AS (
        INSERT INTO notification_counters (user_id, last_seq) VALUES ((SELECT seller_id FROM pgbench_products WHERE n = :p), 1)
        ON CONFLICT (user_id) DO UPDATE SET last_seq = notification_counters.last_seq + excluded.last_seq
        RETURNING last_seq),
    h0 AS (
        INSERT INTO notification_delivery_heads (user_id, channel, done_seq)
        SELECT (SELECT seller_id FROM pgbench_products WHERE n = :p), ch, last_seq - 1 FROM c0, unnest('{sms}'::text[]) AS ch ON CONFLICT DO NOTHING),
    n0 AS (
        INSERT INTO notifications (id, user_id, type, data, seq, created_at)
        SELECT gen_random_uuid(), (SELECT seller_id FROM pgbench_products WHERE n = :p), 'ORDER_PLACED', jsonb_build_object('orderId', gen_random_uuid(), 'productId', (SELECT id FROM pgbench_products WHERE n = :p)),
            last_seq - 0, now() FROM c0
        RETURNING id, seq),
    d0 AS (
        INSERT INTO notification_deliveries (notification_id, channel, user_id, seq, next_at, created_at)
        SELECT n0.id, ch, (SELECT seller_id FROM pgbench_products WHERE n = :p), seq, now(), now() FROM n0, unnest('{sms}'::text[]) AS ch)
    SELECT string_agg(seq::text, ',' ORDER BY seq) AS seqs,
        pg_notify('events', 'pgbench:' || string_agg(seq::text, ',' ORDER BY seq))::text AS notified, now() AS at,
        concat_ws(',', (SELECT seq FROM n0)::text) AS note_seqs
    FROM ins;
COMMIT;
