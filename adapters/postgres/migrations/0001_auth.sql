-- Users, one-time-code challenges and sessions.
CREATE TABLE users (
    id          uuid PRIMARY KEY,
    phone       text NOT NULL UNIQUE CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
    role        text NOT NULL CHECK (role IN ('USER', 'MODERATOR', 'ADMIN')),
    first_name  text NOT NULL DEFAULT '' CHECK (char_length(first_name) <= 100),
    last_name   text NOT NULL DEFAULT '' CHECK (char_length(last_name) <= 100),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- One row per phone: the current code's keyed hash, never the code itself.
CREATE TABLE otp_challenges (
    phone       text PRIMARY KEY CHECK (phone ~ '^\+[1-9][0-9]{7,14}$'),
    code_hash   bytea,
    expires_at  timestamptz NOT NULL,
    attempts    integer NOT NULL DEFAULT 0 CHECK (attempts BETWEEN 0 AND 5),
    consumed    boolean NOT NULL DEFAULT true,
    sends       timestamptz[] NOT NULL DEFAULT '{}' CHECK (cardinality(sends) <= 5)
);

CREATE TABLE sessions (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_hash  bytea NOT NULL UNIQUE,
    rotated_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

-- Refresh tokens a session has rotated out, kept to detect their reuse.
CREATE TABLE session_retired_tokens (
    token_hash  bytea PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    retired_at  timestamptz NOT NULL
);
CREATE INDEX session_retired_tokens_session_id_idx ON session_retired_tokens (session_id);
