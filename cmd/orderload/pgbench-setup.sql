-- Run once against the database orderload stocked (see pgbench.sql): numbers
-- the stocked products and the buyers, so pgbench can pick them by a random
-- integer.
DROP TABLE IF EXISTS pgbench_products, pgbench_buyers;
CREATE TABLE pgbench_products AS
    SELECT row_number() OVER (ORDER BY id)::int AS n, id, seller_id FROM products
    WHERE status = 'ACTIVE' AND quantity > 1000;
ALTER TABLE pgbench_products ADD PRIMARY KEY (n);
CREATE TABLE pgbench_buyers AS
    SELECT row_number() OVER (ORDER BY id)::int AS n, id FROM users
    WHERE id NOT IN (SELECT seller_id FROM pgbench_products);
ALTER TABLE pgbench_buyers ADD PRIMARY KEY (n);
SELECT (SELECT count(*) FROM pgbench_products) AS products, (SELECT count(*) FROM pgbench_buyers) AS buyers;
