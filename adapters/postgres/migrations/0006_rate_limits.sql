-- Fixed-window counters of the per-key rate limits (the per-IP limit of
-- the sign-in routes), shared by every server instance on this database.
-- UNLOGGED: counters are worth nothing after a crash, and losing them only
-- opens a fresh window early, so they need not cost WAL.
CREATE UNLOGGED TABLE rate_limits (
    key         text PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 200),
    count       integer NOT NULL CHECK (count >= 1),
    window_end  timestamptz NOT NULL
);

-- Ended windows are pruned by window_end.
CREATE INDEX rate_limits_window_end_idx ON rate_limits (window_end);
