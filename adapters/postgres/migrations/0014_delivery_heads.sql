-- One row per user and channel with deliveries pending: done_seq is the
-- seq of the last delivery of that queue finished (sent or given up). A
-- claim reads these rows and, for each, the first pending delivery after
-- done_seq: the index range it walks starts past the entries of
-- deliveries already finished, which stay in the partial queue index
-- until vacuum and made every claim on a large backlog walk all of them.
-- A row is inserted (if missing) by the statement writing a queue's
-- deliveries, after it locks the user's notification_counters row; it is
-- moved only by the Finish holding its head's claim, and deleted when
-- nothing is pending by a transaction holding that counter row, so a
-- writer either commits before the check or inserts the row again after.
-- (A row whose counter was busy at that moment stays until the queue's
-- next Finish: only a cost, one probe per claim.)
CREATE TABLE notification_delivery_heads (
    user_id  uuid   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel  text   NOT NULL CHECK (channel IN ('push', 'sms')),
    done_seq bigint NOT NULL DEFAULT 0 CHECK (done_seq >= 0),
    PRIMARY KEY (user_id, channel)
) WITH (fillfactor = 50);

INSERT INTO notification_delivery_heads (user_id, channel)
SELECT DISTINCT user_id, channel FROM notification_deliveries WHERE state = 'pending';

-- The lease update (claim, lease_until) touches no indexed column: room
-- on each page lets it stay a heap-only update, adding no index entry.
ALTER TABLE notification_deliveries SET (fillfactor = 80);
