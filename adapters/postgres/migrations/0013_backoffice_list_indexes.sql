-- Keyset paging (?cursor=) of the users and the audit log, newest first:
-- (created_at, id) < ($1, $2) with each equality filter in front, so a
-- filtered list reads its page straight from an index in the list's order
-- however deep the cursor is. users_created_at_idx and
-- audit_log_created_at_idx (0010) serve the unfiltered lists; the audit
-- indexes of 0010 lacked the id tie-breaker and are replaced.
CREATE INDEX users_role_created_id_idx ON users (role, created_at, id);
CREATE INDEX users_status_created_id_idx ON users (status, created_at, id);

CREATE INDEX audit_log_actor_created_id_idx ON audit_log (actor_id, created_at, id);
CREATE INDEX audit_log_target_created_id_idx ON audit_log (target_id, created_at, id);
CREATE INDEX audit_log_action_created_id_idx ON audit_log (action, created_at, id);
DROP INDEX audit_log_actor_idx, audit_log_target_idx;

-- The reference lists need none: a list holds tens of rows, read from the
-- tables whole (position, code, id).
