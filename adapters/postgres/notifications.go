package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/notification"
	"github.com/secondbloom/marketplace/ports"
)

var (
	_ ports.NotificationRepository = (*notificationRepo)(nil)
	_ ports.DeliveryQueue          = (*Store)(nil)
)

type notificationRow struct {
	bun.BaseModel `bun:"table:notifications"`

	ID        string            `bun:"id,pk,type:uuid"`
	UserID    string            `bun:"user_id,type:uuid"`
	Type      string            `bun:"type"`
	Data      map[string]string `bun:"data,type:jsonb"`
	Seq       int64             `bun:"seq"`
	CreatedAt time.Time         `bun:"created_at"`
	ReadAt    *time.Time        `bun:"read_at"`
}

func (r *notificationRow) toDomain() *notification.Notification {
	var readAt *time.Time
	if r.ReadAt != nil {
		t := r.ReadAt.UTC()
		readAt = &t
	}
	return notification.Rehydrate(r.ID, r.UserID, notification.Type(r.Type), r.Data, r.Seq, r.CreatedAt.UTC(), readAt)
}

type notificationRepo struct {
	db bun.IDB
	// rec, inside WithinTx, collects the notifications to write with
	// the transaction's last statement (see Store.writeEvents).
	rec *txEvents
}

func newNotificationRepo(db bun.IDB, rec ports.EventRecorder) *notificationRepo {
	t, _ := rec.(*txEvents)
	return &notificationRepo{db: db, rec: t}
}

// pendingNote is a notification waiting for the transaction's last
// statement.
type pendingNote struct {
	n        *notification.Notification
	data     string
	channels []string
}

func newPendingNote(n *notification.Notification, channels []notification.Channel) (pendingNote, error) {
	data := n.Data()
	if data == nil {
		data = map[string]string{}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return pendingNote{}, err
	}
	chs := make([]string, len(channels))
	for i, ch := range channels {
		chs[i] = string(ch)
	}
	return pendingNote{n: n, data: string(raw), channels: chs}, nil
}

// noteCTEs are the WITH clauses that store notes in one statement: per
// recipient, the next seqs from notification_counters (one upsert taking
// as many as the recipient has notes, since a statement may change a row
// only once); per note i, the row (its seq selected from "n<i>") and its
// deliveries. The counter rows stay locked until the transaction ends, so
// seqs follow commit order; taken in the last statement, they are held
// only for the commit. Counters are taken in the order the recipients
// first appear (the notification projection sorts them), so two
// transactions never wait on each other's in opposite orders.
func noteCTEs(db bun.IDB, notes []pendingNote) [][2]any {
	type group struct {
		name     string
		count    int
		channels []string
	}
	groups := map[string]*group{}
	var order []string
	for _, p := range notes {
		u := p.n.UserID()
		if groups[u] == nil {
			groups[u] = &group{name: fmt.Sprintf("c%d", len(order))}
			order = append(order, u)
		}
		g := groups[u]
		g.count++
		for _, ch := range p.channels {
			if !slices.Contains(g.channels, ch) {
				g.channels = append(g.channels, ch)
			}
		}
	}
	var out [][2]any
	for i, u := range order {
		g := groups[u]
		out = append(out, [2]any{g.name, db.NewRaw(`INSERT INTO notification_counters (user_id, last_seq) VALUES (?, ?)
			ON CONFLICT (user_id) DO UPDATE SET last_seq = notification_counters.last_seq + excluded.last_seq
			RETURNING last_seq`, u, g.count)})
		if len(g.channels) > 0 {
			// The queue's head row, once per user and channel; an
			// existing one is left alone (not locked), so writers never
			// wait on the dispatcher's Finish. Read from the counter's
			// CTE, it is written after the counter row is locked, which
			// Store.pruneHeads relies on. A queue without a head row has
			// nothing pending, so a new one starts after the seqs taken
			// before.
			out = append(out, [2]any{fmt.Sprintf("h%d", i), db.NewRaw(`INSERT INTO notification_delivery_heads (user_id, channel, done_seq)
				SELECT ?, ch, last_seq - ? FROM ?, unnest(?::text[]) AS ch ON CONFLICT DO NOTHING`,
				u, g.count, bun.Ident(g.name), pgdialect.Array(g.channels))})
		}
	}
	taken := map[string]int{}
	for i, p := range notes {
		u := p.n.UserID()
		g := groups[u]
		// The j-th note of a recipient with k notes gets last_seq-k+1+j.
		offset := g.count - 1 - taken[u]
		taken[u]++
		n, d := fmt.Sprintf("n%d", i), fmt.Sprintf("d%d", i)
		out = append(out,
			[2]any{n, db.NewRaw(`INSERT INTO notifications (id, user_id, type, data, seq, created_at)
				SELECT ?, ?, ?, ?::jsonb, last_seq - ?, ? FROM ? RETURNING seq`,
				p.n.ID(), u, string(p.n.Type()), p.data, offset, p.n.CreatedAt(), bun.Ident(g.name))},
			[2]any{d, db.NewRaw(`INSERT INTO notification_deliveries (notification_id, channel, user_id, seq, next_at, created_at)
				SELECT ?, ch, ?, seq, ?, ? FROM ?, unnest(?::text[]) AS ch`,
				p.n.ID(), u, p.n.CreatedAt(), p.n.CreatedAt(), bun.Ident(n), pgdialect.Array(p.channels))})
	}
	return out
}

// noteSeqs is the select-list expression of the seqs of n notes, "n0",
// "n1", ..., comma-separated in order. An ARRAY constructor, not a
// function: a function takes at most 100 arguments, and concat_ws of the
// seqs failed every transaction writing more than 99 notifications.
func noteSeqs(n int) string {
	parts := make([]string, n)
	for i := range n {
		parts[i] = fmt.Sprintf("(SELECT seq FROM n%d)", i)
	}
	return "array_to_string(ARRAY[" + strings.Join(parts, ", ") + "]::bigint[], ',')"
}

// noteError translates the failure of a statement that stored
// notifications: a taken id is notification.ErrInvalid.
func noteError(err error) error {
	if sqlState(err) == uniqueViolation && strings.HasPrefix(constraintName(err), "notifications_") {
		return notification.ErrInvalid
	}
	return translate(err)
}

// Add takes the recipient's next seq from notification_counters and
// stores the notification with its deliveries. Inside WithinTx it is
// written with the transaction's last statement (the outbox's), saving a
// round trip and holding the recipient's counter row only for the commit;
// n's Seq is set when that statement ran. Outside, it is one statement of
// its own.
func (r *notificationRepo) Add(ctx context.Context, n *notification.Notification, channels []notification.Channel) error {
	p, err := newPendingNote(n, channels)
	if err != nil {
		return err
	}
	if r.rec != nil {
		r.rec.notes = append(r.rec.notes, p)
		return nil
	}
	q := r.db.NewSelect().ColumnExpr(noteSeqs(1) + " AS seqs")
	for _, w := range noteCTEs(r.db, []pendingNote{p}) {
		q = q.With(w[0].(string), w[1].(*bun.RawQuery))
	}
	var seqs string
	if err := q.Scan(ctx, &seqs); err != nil {
		return noteError(err)
	}
	seq, err := strconv.ParseInt(seqs, 10, 64)
	if err != nil {
		return fmt.Errorf("postgres: notification seq %q: %w", seqs, err)
	}
	n.SetSeq(seq)
	return nil
}

func (r *notificationRepo) List(ctx context.Context, f ports.NotificationFilter, p ports.Page) ([]*notification.Notification, ports.Listed, error) {
	var rows []notificationRow
	q := r.db.NewSelect().Model(&rows).Where("user_id = ?", f.UserID)
	if f.UnreadOnly {
		q = q.Where("read_at IS NULL")
	}
	// seq is unique per user (UNIQUE (user_id, seq)): it alone is the
	// keyset.
	k := keyset{cols: []string{"seq"}, desc: true, vals: func(at ports.Position) []any { return []any{at.Int} }}
	pos := func(r *notificationRow) ports.Position { return ports.Position{Int: r.Seq, ID: r.ID} }
	return scanPage(ctx, q, &rows, p, k, pos, (*notificationRow).toDomain)
}

func (r *notificationRepo) CountUnread(ctx context.Context, userID string) (int, error) {
	n, err := r.db.NewSelect().Model((*notificationRow)(nil)).Where("user_id = ? AND read_at IS NULL", userID).Count(ctx)
	return n, translate(err)
}

func (r *notificationRepo) MarkRead(ctx context.Context, userID, id string, now time.Time) (*notification.Notification, error) {
	var row notificationRow
	err := r.db.NewRaw(`UPDATE notifications SET read_at = COALESCE(read_at, ?) WHERE id = ? AND user_id = ? RETURNING *`,
		now.UTC(), id, userID).Scan(ctx, &row)
	if err != nil {
		if isNoRows(err) {
			return nil, notification.ErrNotFound
		}
		return nil, translate(err)
	}
	return row.toDomain(), nil
}

func (r *notificationRepo) MarkAllRead(ctx context.Context, userID string, now time.Time) (int, error) {
	res, err := r.db.NewRaw(`UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL`, now.UTC(), userID).Exec(ctx)
	if err != nil {
		return 0, translate(err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (r *notificationRepo) Since(ctx context.Context, userID string, after int64, limit int) ([]*notification.Notification, error) {
	var rows []notificationRow
	if err := r.db.NewSelect().Model(&rows).Where("user_id = ? AND seq > ?", userID, after).Order("seq").Limit(limit).Scan(ctx); err != nil {
		return nil, translate(err)
	}
	out := make([]*notification.Notification, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// claimedRow is a delivery with its notification, as Claim returns it.
type claimedRow struct {
	NotificationID string            `bun:"notification_id"`
	Channel        string            `bun:"channel"`
	Attempts       int               `bun:"attempts"`
	DCreatedAt     time.Time         `bun:"d_created_at"`
	UserID         string            `bun:"user_id"`
	Type           string            `bun:"type"`
	Data           map[string]string `bun:"data,type:jsonb"`
	Seq            int64             `bun:"seq"`
	CreatedAt      time.Time         `bun:"created_at"`
	ReadAt         *time.Time        `bun:"read_at"`
}

// Claim locks due heads of the per-user queues with SKIP LOCKED, so
// dispatchers of several instances never take the same row, and leases
// them. A queue's head is its first pending row after the row last
// finished (notification_delivery_heads.done_seq): the index range read
// for it starts past the entries of finished rows, which the partial
// queue index keeps until vacuum, so a claim costs one short probe per
// queue however many deliveries were sent before. A head is found before
// its lease is checked, so rows behind a claimed head stay unclaimable
// until it is finished. Only queues of channels are looked at.
func (s *Store) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int, channels []notification.Channel) ([]notification.Delivery, error) {
	if len(channels) == 0 || limit <= 0 {
		return nil, nil
	}
	chans := make([]string, len(channels))
	for i, ch := range channels {
		chans[i] = string(ch)
	}
	claim := newClaim()
	var rows []claimedRow
	// The heads are found in the statement's snapshot, then locked by
	// ctid with SKIP LOCKED: locking inside the per-queue LIMIT 1 would
	// skip a held head and take the row behind it. A head changed since
	// the snapshot (finished, or leased by another dispatcher) has a new
	// ctid, fails the re-check and is left for the next round. The locked
	// rows are updated by ctid (a Tid Scan) and their notifications
	// fetched by key one by one: joined by key instead, the planner hashes
	// both whole tables once the backlog is large.
	err := s.db.NewRaw(`WITH c AS (
			UPDATE notification_deliveries d SET claim = ?, lease_until = ?
			WHERE d.ctid = ANY(ARRAY(
				SELECT l.ctid FROM notification_deliveries l
				WHERE l.ctid = ANY(ARRAY(
					SELECT q.ctid FROM notification_delivery_heads h
					CROSS JOIN LATERAL (
						SELECT p.ctid, p.next_at, p.lease_until FROM notification_deliveries p
						WHERE p.state = 'pending' AND p.user_id = h.user_id AND p.channel = h.channel AND p.seq > h.done_seq
						ORDER BY p.seq
						LIMIT 1) q
					WHERE h.channel = ANY(?::text[]) AND q.next_at <= ? AND (q.lease_until IS NULL OR q.lease_until <= ?)
					ORDER BY q.next_at
					LIMIT ?))
				  AND l.state = 'pending' AND l.next_at <= ? AND (l.lease_until IS NULL OR l.lease_until <= ?)
				FOR UPDATE OF l SKIP LOCKED))
			RETURNING d.notification_id, d.channel, d.attempts, d.created_at)
		SELECT c.notification_id, c.channel, c.attempts, c.created_at AS d_created_at,
		       n.user_id, n.type, n.data, n.seq, n.created_at, n.read_at
		FROM c, LATERAL (SELECT * FROM notifications n WHERE n.id = c.notification_id OFFSET 0) n`,
		claim, now.Add(lease), pgdialect.Array(chans), now, now, limit, now, now).Scan(ctx, &rows)
	if err != nil && !isNoRows(err) {
		return nil, translate(err)
	}
	out := make([]notification.Delivery, len(rows))
	for i, r := range rows {
		nr := notificationRow{ID: r.NotificationID, UserID: r.UserID, Type: r.Type, Data: r.Data, Seq: r.Seq, CreatedAt: r.CreatedAt, ReadAt: r.ReadAt}
		out[i] = notification.Delivery{ID: r.NotificationID + ":" + r.Channel, Channel: notification.Channel(r.Channel),
			Notification: nr.toDomain(), Attempts: r.Attempts, CreatedAt: r.DCreatedAt.UTC(), Claim: claim}
	}
	return out, nil
}

// Finish records the results in one statement, each only while its claim
// holds the row: one round trip and one commit (one WAL flush) per batch.
// A row leaving the queue (sent or given up) moves its queue's done_seq
// to it in the same statement, making the row behind it the head. Only
// the holder of a queue's head's claim moves it, so two Finish statements
// never update the same head row.
func (s *Store) Finish(ctx context.Context, attempts []notification.Attempt) error {
	if len(attempts) == 0 {
		return nil
	}
	n := len(attempts)
	ids, chans, states, claims, errs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	tries := make([]int64, n)
	nexts := make([]*time.Time, n)
	for i, a := range attempts {
		ids[i], chans[i], _ = strings.Cut(a.Delivery.ID, ":")
		states[i], claims[i], errs[i], tries[i] = string(a.Result.State), a.Delivery.Claim, a.Result.Error, int64(a.Result.Attempts)
		if a.Result.State == notification.Pending {
			t := a.Result.NextAt
			nexts[i] = &t
		}
	}
	var moved []struct {
		UserID  string `bun:"user_id"`
		Channel string `bun:"channel"`
		Idle    bool   `bun:"idle"`
	}
	err := s.db.NewRaw(`WITH u AS (
			UPDATE notification_deliveries d
			SET state = r.state, attempts = r.attempts, next_at = COALESCE(r.next_at, d.next_at), last_error = r.last_error,
			    claim = NULL, lease_until = NULL
			FROM unnest(?::uuid[], ?::text[], ?::text[], ?::int[], ?::timestamptz[], ?::text[], ?::text[])
			     AS r(notification_id, channel, state, attempts, next_at, last_error, claim)
			WHERE d.notification_id = r.notification_id AND d.channel = r.channel AND d.claim = r.claim
			RETURNING d.user_id, d.channel, d.seq, d.state)
		UPDATE notification_delivery_heads h SET done_seq = GREATEST(h.done_seq, m.seq)
		FROM (SELECT user_id, channel, max(seq) AS seq FROM u WHERE state <> 'pending' GROUP BY user_id, channel) m
		WHERE h.user_id = m.user_id AND h.channel = m.channel
		RETURNING h.user_id::text, h.channel, NOT EXISTS (SELECT 1 FROM notification_deliveries p
			WHERE p.state = 'pending' AND p.user_id = h.user_id AND p.channel = h.channel AND p.seq > h.done_seq) AS idle`,
		pgdialect.Array(ids), pgdialect.Array(chans), pgdialect.Array(states), pgdialect.Array(tries),
		pgdialect.Array(nexts), pgdialect.Array(errs), pgdialect.Array(claims)).Scan(ctx, &moved)
	if err != nil && !isNoRows(err) {
		return translate(err)
	}
	var users, idle []string
	for _, m := range moved {
		if m.Idle {
			users, idle = append(users, m.UserID), append(idle, m.Channel)
		}
	}
	if len(users) == 0 {
		return nil
	}
	return s.pruneHeads(ctx, users, idle)
}

// pruneHeads deletes the head rows of the queues (users[i], channels[i])
// that have nothing pending, so a claim reads only the heads of queues
// with work (or that had some since their last Finish). A writer inserts
// a delivery and, if missing, its head row in one statement that first
// locks the user's notification_counters row; holding that lock here, a
// second statement (a fresh snapshot) sees every delivery committed
// before, and a writer still to come waits and then inserts the head
// again. Users whose counter is held by a writer at the moment are
// skipped (SKIP LOCKED: no waiting, so no deadlock with writers locking
// several users); their heads stay, which is only a cost.
func (s *Store) pruneHeads(ctx context.Context, users, channels []string) error {
	return translate(s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var locked []string
		if err := tx.NewRaw(`SELECT user_id::text FROM notification_counters WHERE user_id = ANY(?::uuid[])
			ORDER BY user_id FOR UPDATE SKIP LOCKED`, pgdialect.Array(users)).Scan(ctx, &locked); err != nil && !isNoRows(err) {
			return err
		}
		if len(locked) == 0 {
			return nil
		}
		_, err := tx.NewRaw(`DELETE FROM notification_delivery_heads h
			USING unnest(?::uuid[], ?::text[]) AS q(user_id, channel)
			WHERE h.user_id = q.user_id AND h.channel = q.channel AND h.user_id = ANY(?::uuid[])
			  AND NOT EXISTS (SELECT 1 FROM notification_deliveries p
			                  WHERE p.state = 'pending' AND p.user_id = h.user_id AND p.channel = h.channel AND p.seq > h.done_seq)`,
			pgdialect.Array(users), pgdialect.Array(channels), pgdialect.Array(locked)).Exec(ctx)
		return err
	}))
}

// Release clears the claims of ds.
func (s *Store) Release(ctx context.Context, ds []notification.Delivery) error {
	for _, d := range ds {
		id, ch, _ := strings.Cut(d.ID, ":")
		if _, err := s.db.NewRaw(`UPDATE notification_deliveries SET claim = NULL, lease_until = NULL
			WHERE notification_id = ? AND channel = ? AND claim = ?`, id, ch, d.Claim).Exec(ctx); err != nil {
			return translate(err)
		}
	}
	return nil
}

// Backlog counts pending deliveries and finds the oldest.
func (s *Store) Backlog(ctx context.Context) (int, time.Time, error) {
	var (
		n      int
		oldest *time.Time
	)
	if err := s.db.NewRaw(`SELECT count(*), min(created_at) FROM notification_deliveries WHERE state = 'pending'`).
		Scan(ctx, &n, &oldest); err != nil {
		return 0, time.Time{}, translate(err)
	}
	if oldest == nil {
		return n, time.Time{}, nil
	}
	return n, oldest.UTC(), nil
}

func newClaim() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func (r *notificationRepo) SaveTicket(ctx context.Context, hash []byte, sessionID string, expires time.Time) error {
	_, err := r.db.NewRaw(`INSERT INTO stream_tickets (hash, session_id, expires_at) VALUES (?, ?, ?)`, hash, sessionID, expires).Exec(ctx)
	return translate(err)
}

// UseTicket deletes the ticket (so a second use finds nothing) and, while
// at it, every expired one.
func (r *notificationRepo) UseTicket(ctx context.Context, hash []byte, now time.Time) (string, error) {
	var (
		sessionID string
		expires   time.Time
	)
	err := r.db.NewRaw(`DELETE FROM stream_tickets WHERE hash = ? RETURNING session_id::text, expires_at`, hash).Scan(ctx, &sessionID, &expires)
	if isNoRows(err) {
		return "", auth.ErrUnauthenticated
	}
	if err != nil {
		return "", translate(err)
	}
	if _, err := r.db.NewRaw(`DELETE FROM stream_tickets WHERE expires_at < ?`, now).Exec(ctx); err != nil {
		return "", translate(err)
	}
	if !now.Before(expires) {
		return "", auth.ErrUnauthenticated
	}
	return sessionID, nil
}
