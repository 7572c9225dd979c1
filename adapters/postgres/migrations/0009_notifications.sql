-- Users' inboxes and the delivery outbox of notifications (issue 15).
-- Notifications are written in the transaction of the change that causes
-- them. seq numbers one user's notifications in commit order without gaps:
-- it is taken from notification_counters, whose row stays locked until the
-- writing transaction commits, so a stream can resume after any seq.
CREATE TABLE notification_counters (
    user_id  uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_seq bigint NOT NULL CHECK (last_seq > 0)
);

CREATE TABLE notifications (
    id         uuid PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type       text        NOT NULL,
    data       jsonb       NOT NULL DEFAULT '{}',
    seq        bigint      NOT NULL CHECK (seq > 0),
    created_at timestamptz NOT NULL,
    read_at    timestamptz,
    UNIQUE (user_id, seq)
);

CREATE INDEX notifications_unread_idx ON notifications (user_id, seq) WHERE read_at IS NULL;

-- One row per notification and channel. A dispatcher claims only the
-- oldest pending row of each user and channel (FOR UPDATE SKIP LOCKED,
-- then a lease in claim/lease_until), so a user never has two deliveries
-- of a channel in flight. A lease that runs out (a crashed instance) makes
-- the row claimable again.
CREATE TABLE notification_deliveries (
    notification_id uuid        NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    channel         text        NOT NULL CHECK (channel IN ('push', 'sms')),
    user_id         uuid        NOT NULL,
    seq             bigint      NOT NULL,
    state           text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_at         timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    claim           text,
    lease_until     timestamptz,
    last_error      text        NOT NULL DEFAULT '',
    PRIMARY KEY (notification_id, channel)
);

CREATE INDEX notification_deliveries_queue_idx ON notification_deliveries (user_id, channel, seq) WHERE state = 'pending';
CREATE INDEX notification_deliveries_due_idx ON notification_deliveries (next_at) WHERE state = 'pending';

-- Single-use stream tickets (by hash of the secret), bound to the session
-- that made them. Used and expired ones are deleted when redeemed or by
-- any later redemption.
CREATE TABLE stream_tickets (
    hash       bytea PRIMARY KEY,
    session_id uuid        NOT NULL,
    expires_at timestamptz NOT NULL
);
