package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

var (
	_ ports.EventLog      = (*Store)(nil)
	_ ports.EventRecorder = (*txEvents)(nil)
)

// EventsChannel is the NOTIFY channel on which each committing transaction
// announces its events, as "origin:seq,seq,...".
const EventsChannel = "events"

// catchUpWindow is how far back a reconnected listener looks for events it
// may have missed. Seq numbers are taken at insert, not at commit, so a
// transaction may commit a lower seq after a higher one was heard; looking
// back by time, with de-duplication, covers any transaction shorter than
// this.
const catchUpWindow = time.Minute

type eventRow struct {
	bun.BaseModel `bun:"table:outbox"`

	Seq         int64             `bun:"seq,pk,autoincrement"`
	Origin      string            `bun:"origin"`
	Name        string            `bun:"name"`
	ActorID     *string           `bun:"actor_id"`
	ActorRole   string            `bun:"actor_role"`
	ActorSystem string            `bun:"actor_system"`
	SubjectType string            `bun:"subject_type"`
	SubjectID   string            `bun:"subject_id"`
	Data        map[string]string `bun:"data,type:jsonb,nullzero"`
	CreatedAt   time.Time         `bun:"created_at,nullzero,default:current_timestamp"`
}

func eventToRow(origin string, e event.Event) eventRow {
	r := eventRow{Origin: origin, Name: string(e.Name), ActorRole: string(e.Actor.Role), ActorSystem: e.Actor.System,
		SubjectType: e.SubjectType, SubjectID: e.SubjectID, Data: e.Data}
	if e.Actor.UserID != "" {
		id := e.Actor.UserID
		r.ActorID = &id
	}
	if r.Data == nil {
		r.Data = map[string]string{}
	}
	return r
}

func (r eventRow) toDomain() event.Event {
	e := event.Event{Seq: r.Seq, Name: event.Name(r.Name), SubjectType: r.SubjectType, SubjectID: r.SubjectID,
		Actor: user.Actor{Role: user.Role(r.ActorRole), System: r.ActorSystem}, At: r.CreatedAt.UTC()}
	if r.ActorID != nil {
		e.Actor.UserID = *r.ActorID
	}
	if len(r.Data) > 0 {
		e.Data = r.Data
	}
	return e
}

// txEvents collects the events and the notifications of one WithinTx
// transaction, all written by its last statement.
type txEvents struct {
	events []event.Event
	notes  []pendingNote
}

// Record adds events to the transaction; see ports.EventRecorder.
func (t *txEvents) Record(evs ...event.Event) { t.events = append(t.events, evs...) }

// noTxEvents is the recorder of repositories outside WithinTx.
type noTxEvents struct{}

func (noTxEvents) Record(...event.Event) {
	panic("postgres: events can only be recorded inside WithinTx")
}

// writeEvents stores evs in the outbox and queues their announcement, and
// stores notes (with their seqs set), in one statement of the committing
// transaction, and returns evs with Seq and At set. The notifications come
// last within it, so their recipients' counter rows are held only for the
// commit.
func (s *Store) writeEvents(ctx context.Context, tx bun.Tx, evs []event.Event, notes []pendingNote) ([]event.Event, error) {
	var out struct {
		Seqs     string    `bun:"seqs"`
		Notified string    `bun:"notified"`
		At       time.Time `bun:"at"`
		NoteSeqs string    `bun:"note_seqs"`
	}
	q := tx.NewSelect()
	if len(evs) > 0 {
		rows := make([]eventRow, len(evs))
		for i, e := range evs {
			rows[i] = eventToRow(s.origin, e)
		}
		q = q.With("ins", tx.NewInsert().Model(&rows).Returning("seq")).
			ColumnExpr("string_agg(seq::text, ',' ORDER BY seq) AS seqs").
			ColumnExpr("pg_notify(?, ? || ':' || string_agg(seq::text, ',' ORDER BY seq))::text AS notified", EventsChannel, s.origin).
			TableExpr("ins")
	}
	q = q.ColumnExpr("now() AS at")
	for _, w := range noteCTEs(tx, notes) {
		q = q.With(w[0].(string), w[1].(*bun.RawQuery))
	}
	if len(notes) > 0 {
		q = q.ColumnExpr(noteSeqs(len(notes)) + " AS note_seqs")
	}
	if err := q.Scan(ctx, &out); err != nil {
		return nil, noteError(err)
	}
	if len(notes) > 0 {
		seqs, err := parseSeqs(out.NoteSeqs)
		if err != nil || len(seqs) != len(notes) {
			return nil, fmt.Errorf("postgres: notifications returned seqs %q for %d", out.NoteSeqs, len(notes))
		}
		for i, p := range notes {
			p.n.SetSeq(seqs[i])
		}
	}
	if len(evs) == 0 {
		return nil, nil
	}
	seqs, err := parseSeqs(out.Seqs)
	if err != nil || len(seqs) != len(evs) {
		return nil, fmt.Errorf("postgres: outbox returned seqs %q for %d events", out.Seqs, len(evs))
	}
	done := make([]event.Event, len(evs))
	for i, e := range evs {
		e.Seq, e.At = seqs[i], out.At.UTC()
		done[i] = e
	}
	return done, nil
}

func parseSeqs(s string) ([]int64, error) {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// EventsSince returns up to limit committed events with Seq > after.
func (s *Store) EventsSince(ctx context.Context, after int64, limit int) ([]event.Event, error) {
	var rows []eventRow
	if err := s.db.NewSelect().Model(&rows).Where("seq > ?", after).OrderExpr("seq").Limit(limit).Scan(ctx); err != nil {
		return nil, translate(err)
	}
	return eventsOf(rows), nil
}

func eventsOf(rows []eventRow) []event.Event {
	out := make([]event.Event, len(rows))
	for i, r := range rows {
		out[i] = r.toDomain()
	}
	return out
}

// DeleteEventsBefore removes the events recorded before t.
func (s *Store) DeleteEventsBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := s.db.NewDelete().Model((*eventRow)(nil)).Where("created_at < ?", t).Exec(ctx)
	if err != nil {
		return 0, translate(err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ListenEvents hands heard the events that other instances sharing the
// database commit, in commit order, until ctx ends. Events committed in
// the minute before it starts listening are handed over too. Events of this Store
// are skipped: its own sink heard of them at commit. After the listener
// (re)connects it catches up from the outbox on what it may have missed
// meanwhile, so a reconnect costs a query, not a flushed cache. An event
// may be handed over twice (around a reconnect) but is never lost while
// the outbox keeps it. ready, when not nil, is closed once the first
// LISTEN is in place.
func (s *Store) ListenEvents(ctx context.Context, heard func([]event.Event), ready chan<- struct{}) {
	ln := pgdriver.NewListener(s.db)
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer func() {
		if stop() {
			_ = ln.Close()
		}
	}()
	seen := newSeenSet(4096)
	var lastHeard time.Time
	first := true
	for ctx.Err() == nil {
		since := time.Now()
		if err := ln.Listen(ctx, EventsChannel); err != nil {
			sleep(ctx, time.Second)
			continue
		}
		if s.onListen != nil {
			s.onListen()
		}
		// LISTEN is only written, not yet acknowledged: until the
		// server has processed it, notifications pass by unheard. A
		// notification of our own, once received, proves it has; what
		// committed in between is in the outbox.
		early, err := s.confirmListening(ctx, ln)
		if err != nil {
			sleep(ctx, 200*time.Millisecond)
			continue
		}
		if !first {
			since = lastHeard
		}
		// The catch-up comes first: what was notified while confirming
		// committed after what was missed while not listening, and the
		// catch-up's query sees both, in order.
		s.catchUp(ctx, since.Add(-catchUpWindow), seen, heard)
		for _, payload := range early {
			s.deliverNotified(ctx, payload, seen, heard)
		}
		if first {
			first = false
			if ready != nil {
				close(ready)
			}
		}
		lastHeard = time.Now()
		for ctx.Err() == nil {
			_, payload, err := ln.ReceiveTimeout(ctx, 5*time.Second)
			if err == nil {
				lastHeard = time.Now()
				s.deliverNotified(ctx, payload, seen, heard)
				continue
			}
			if !isTimeout(err) {
				// The connection broke: reconnect, then catch up.
				sleep(ctx, 200*time.Millisecond)
				break
			}
			lastHeard = time.Now()
		}
	}
}

// confirmListening sends a notification of its own on the channel and
// waits to receive it. It returns the payloads that arrived before it,
// for the caller to hand over after its catch-up.
func (s *Store) confirmListening(ctx context.Context, ln *pgdriver.Listener) ([]string, error) {
	token := "ping:" + uuid.NewString()
	if _, err := s.db.ExecContext(ctx, "SELECT pg_notify(?, ?)", EventsChannel, token); err != nil {
		return nil, err
	}
	var early []string
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		_, payload, err := ln.ReceiveTimeout(ctx, time.Until(deadline))
		if err != nil {
			return nil, err
		}
		if payload == token {
			return early, nil
		}
		early = append(early, payload)
	}
	return nil, context.DeadlineExceeded
}

// deliverNotified loads and hands over the events a notification names,
// unless they are this store's own or were handed over already.
func (s *Store) deliverNotified(ctx context.Context, payload string, seen *seenSet, heard func([]event.Event)) {
	origin, list, ok := strings.Cut(payload, ":")
	if !ok || origin == s.origin {
		return
	}
	seqs, err := parseSeqs(list)
	if err != nil {
		return
	}
	fresh := seqs[:0]
	for _, q := range seqs {
		if !seen.has(q) {
			fresh = append(fresh, q)
		}
	}
	if len(fresh) == 0 {
		return
	}
	var rows []eventRow
	err = s.db.NewSelect().Model(&rows).Where("seq IN (?)", bun.List(fresh)).OrderExpr("seq").Scan(ctx)
	if err != nil {
		// Lost to an outage: the reconnect's catch-up will find them.
		return
	}
	s.handOver(rows, seen, heard)
}

// catchUp hands over the events of other instances recorded since t that
// were not handed over yet.
func (s *Store) catchUp(ctx context.Context, since time.Time, seen *seenSet, heard func([]event.Event)) {
	for ctx.Err() == nil {
		var rows []eventRow
		err := s.db.NewSelect().Model(&rows).Where("created_at >= ? AND origin <> ?", since, s.origin).
			OrderExpr("seq").Scan(ctx)
		if err == nil {
			s.handOver(rows, seen, heard)
			return
		}
		sleep(ctx, time.Second)
	}
}

func (s *Store) handOver(rows []eventRow, seen *seenSet, heard func([]event.Event)) {
	out := make([]event.Event, 0, len(rows))
	for _, r := range rows {
		if seen.add(r.Seq) {
			out = append(out, r.toDomain())
		}
	}
	if len(out) > 0 {
		heard(out)
	}
}

// seenSet remembers the last n seq numbers handed over.
type seenSet struct {
	mu   sync.Mutex
	m    map[int64]struct{}
	ring []int64
	next int
}

func newSeenSet(n int) *seenSet {
	return &seenSet{m: make(map[int64]struct{}, n), ring: make([]int64, n)}
}

func (s *seenSet) has(seq int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[seq]
	return ok
}

// add records seq and reports whether it was new.
func (s *seenSet) add(seq int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[seq]; ok {
		return false
	}
	if old := s.ring[s.next]; old != 0 {
		delete(s.m, old)
	}
	s.ring[s.next] = seq
	s.next = (s.next + 1) % len(s.ring)
	s.m[seq] = struct{}{}
	return true
}
