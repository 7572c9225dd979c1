-- Back office: user statuses, hiding a blocked seller's products, who
-- cancelled an order, and the audit log.

ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'BLOCKED'));
-- The admin-list and last-admin queries look at ACTIVE admins only.
CREATE INDEX users_active_admins_idx ON users (id) WHERE role = 'ADMIN' AND status = 'ACTIVE';
CREATE INDEX users_created_at_idx ON users (created_at DESC, id DESC);

-- Copied from the seller's status in the transaction that blocks or
-- unblocks them, so public reads and lists filter on the product row alone.
ALTER TABLE products ADD COLUMN seller_blocked boolean NOT NULL DEFAULT false;

-- NULL for orders cancelled before this column existed, and while not
-- cancelled.
ALTER TABLE orders ADD COLUMN cancelled_by text
    CHECK (cancelled_by IS NULL OR (cancelled_by IN ('BUYER', 'SELLER', 'STAFF') AND status = 'CANCELLED'));

-- One row per audited action, written in the transaction of the change.
CREATE TABLE audit_log (
    id           uuid PRIMARY KEY,
    actor_id     uuid,
    action       text        NOT NULL,
    target_type  text        NOT NULL,
    target_id    text        NOT NULL,
    details      jsonb       NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX audit_log_created_at_idx ON audit_log (created_at DESC, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, created_at DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target_id, created_at DESC);

-- The moderation queue (status=PENDING, oldest first) and staff lists by
-- status.
CREATE INDEX products_status_created_idx ON products (status, created_at, id);
