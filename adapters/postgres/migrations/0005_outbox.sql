-- The outbox of committed domain events (see ports.EventRecorder). Each
-- transaction that records events inserts them here and, in the same
-- statement, announces their seq numbers on the "events" NOTIFY channel,
-- which Postgres delivers to listeners only on commit and in commit order.
-- Instances catch up from this table after a listener reconnects. Old rows
-- are pruned after a retention period by every instance's worker.
CREATE TABLE outbox (
    seq          bigserial PRIMARY KEY,
    origin       text        NOT NULL,
    name         text        NOT NULL,
    actor_id     uuid,
    actor_role   text        NOT NULL DEFAULT '',
    actor_system text        NOT NULL DEFAULT '',
    subject_type text        NOT NULL,
    subject_id   text        NOT NULL,
    data         jsonb       NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX outbox_created_at_idx ON outbox (created_at);
