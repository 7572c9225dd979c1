package memory

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"slices"
	"time"

	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/notification"
	"github.com/secondbloom/marketplace/ports"
)

var (
	_ ports.NotificationRepository = (*notificationRepo)(nil)
	_ ports.DeliveryQueue          = (*Store)(nil)
)

type noteRow struct {
	id, userID string
	typ        notification.Type
	data       map[string]string
	seq        int64
	createdAt  time.Time
	readAt     *time.Time
}

func (r noteRow) toDomain() *notification.Notification {
	var readAt *time.Time
	if r.readAt != nil {
		t := *r.readAt
		readAt = &t
	}
	return notification.Rehydrate(r.id, r.userID, r.typ, maps.Clone(r.data), r.seq, r.createdAt, readAt)
}

type deliveryRow struct {
	id, notificationID, userID string
	channel                    notification.Channel
	state                      notification.State
	attempts                   int
	nextAt, createdAt          time.Time
	claim                      string
	leaseUntil                 time.Time
	lastError                  string
}

func queueKey(userID string, ch notification.Channel) string { return userID + "|" + string(ch) }

type notificationRepo struct{ se *session }

func (r *notificationRepo) Add(_ context.Context, n *notification.Notification, channels []notification.Channel) error {
	return r.se.do(func(db *data, log *session) error {
		if _, taken := db.notifications[n.ID()]; taken {
			return notification.ErrInvalid
		}
		ids := db.inbox[n.UserID()]
		seq := int64(len(ids) + 1)
		row := noteRow{id: n.ID(), userID: n.UserID(), typ: n.Type(), data: n.Data(), seq: seq, createdAt: n.CreatedAt()}
		db.notifications.put(log, row.id, row)
		db.inbox.put(log, row.userID, append(slices.Clip(ids), row.id))
		for _, ch := range channels {
			d := deliveryRow{id: row.id + ":" + string(ch), notificationID: row.id, userID: row.userID, channel: ch,
				state: notification.Pending, nextAt: row.createdAt, createdAt: row.createdAt}
			db.deliveries.put(log, d.id, d)
			k := queueKey(d.userID, ch)
			db.queues.put(log, k, append(slices.Clip(db.queues[k]), d.id))
		}
		n.SetSeq(seq)
		return nil
	})
}

func (r *notificationRepo) List(_ context.Context, f ports.NotificationFilter, p ports.Page) ([]*notification.Notification, ports.Listed, error) {
	var (
		out []*notification.Notification
		l   ports.Listed
	)
	err := r.se.do(func(db *data, _ *session) error {
		ids := db.inbox[f.UserID]
		var match []noteRow
		for i := len(ids) - 1; i >= 0; i-- {
			row := db.notifications[ids[i]]
			if f.UnreadOnly && row.readAt != nil {
				continue
			}
			match = append(match, row)
		}
		var page []noteRow
		page, l = ports.PageOf(match, p, true, func(n noteRow) ports.Position { return ports.Position{Int: n.seq, ID: n.id} })
		out = make([]*notification.Notification, 0, len(page))
		for _, row := range page {
			out = append(out, row.toDomain())
		}
		return nil
	})
	return out, l, err
}

func (r *notificationRepo) CountUnread(_ context.Context, userID string) (int, error) {
	n := 0
	err := r.se.do(func(db *data, _ *session) error {
		for _, id := range db.inbox[userID] {
			if db.notifications[id].readAt == nil {
				n++
			}
		}
		return nil
	})
	return n, err
}

func (r *notificationRepo) MarkRead(_ context.Context, userID, id string, now time.Time) (*notification.Notification, error) {
	var out *notification.Notification
	err := r.se.do(func(db *data, log *session) error {
		row, ok := db.notifications[id]
		if !ok || row.userID != userID {
			return notification.ErrNotFound
		}
		if row.readAt == nil {
			t := now.UTC()
			row.readAt = &t
			db.notifications.put(log, row.id, row)
		}
		out = row.toDomain()
		return nil
	})
	return out, err
}

func (r *notificationRepo) MarkAllRead(_ context.Context, userID string, now time.Time) (int, error) {
	n := 0
	err := r.se.do(func(db *data, log *session) error {
		t := now.UTC()
		for _, id := range db.inbox[userID] {
			row := db.notifications[id]
			if row.readAt == nil {
				row.readAt = &t
				db.notifications.put(log, id, row)
				n++
			}
		}
		return nil
	})
	return n, err
}

func (r *notificationRepo) Since(_ context.Context, userID string, after int64, limit int) ([]*notification.Notification, error) {
	var out []*notification.Notification
	err := r.se.do(func(db *data, _ *session) error {
		ids := db.inbox[userID]
		// Seq n is at index n-1.
		for i := max(after, 0); i < int64(len(ids)) && len(out) < limit; i++ {
			out = append(out, db.notifications[ids[i]].toDomain())
		}
		return nil
	})
	return out, err
}

// Claim takes the due, unclaimed heads of the delivery queues on channels.
func (s *Store) Claim(_ context.Context, now time.Time, lease time.Duration, limit int, channels []notification.Channel) ([]notification.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	db := s.db
	claim := newClaim()
	var out []notification.Delivery
	log := &session{store: s, inTx: true}
	for _, ids := range db.queues {
		if len(out) >= limit {
			break
		}
		if len(ids) == 0 {
			continue
		}
		d := db.deliveries[ids[0]]
		if !slices.Contains(channels, d.channel) || d.nextAt.After(now) || (d.claim != "" && d.leaseUntil.After(now)) {
			continue
		}
		d.claim, d.leaseUntil = claim, now.Add(lease)
		db.deliveries.put(log, d.id, d)
		out = append(out, notification.Delivery{ID: d.id, Channel: d.channel, Attempts: d.attempts, CreatedAt: d.createdAt,
			Claim: claim, Notification: db.notifications[d.notificationID].toDomain()})
	}
	slices.SortFunc(out, func(a, b notification.Delivery) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// Finish records each attempt's result if its claim still holds it.
func (s *Store) Finish(_ context.Context, attempts []notification.Attempt) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range attempts {
		s.finish(a.Delivery, a.Result)
	}
	return nil
}

func (s *Store) finish(d notification.Delivery, res notification.Result) {
	db := s.db
	row, ok := db.deliveries[d.ID]
	if !ok || row.claim != d.Claim || row.state != notification.Pending {
		return
	}
	log := &session{store: s, inTx: true}
	row.state, row.attempts, row.lastError, row.claim, row.leaseUntil = res.State, res.Attempts, res.Error, "", time.Time{}
	if res.State == notification.Pending {
		row.nextAt = res.NextAt
	} else {
		k := queueKey(row.userID, row.channel)
		db.queues.put(log, k, slices.DeleteFunc(slices.Clone(db.queues[k]), func(id string) bool { return id == row.id }))
		if len(db.queues[k]) == 0 {
			db.queues.del(log, k)
		}
	}
	db.deliveries.put(log, row.id, row)
}

// Release ends the claims of ds without counting an attempt.
func (s *Store) Release(_ context.Context, ds []notification.Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	log := &session{store: s, inTx: true}
	for _, d := range ds {
		row, ok := s.db.deliveries[d.ID]
		if ok && row.claim == d.Claim {
			row.claim, row.leaseUntil = "", time.Time{}
			s.db.deliveries.put(log, row.id, row)
		}
	}
	return nil
}

// Backlog counts the pending deliveries and finds the oldest.
func (s *Store) Backlog(context.Context) (int, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	var oldest time.Time
	for _, ids := range s.db.queues {
		n += len(ids)
		if len(ids) > 0 {
			if at := s.db.deliveries[ids[0]].createdAt; oldest.IsZero() || at.Before(oldest) {
				oldest = at
			}
		}
	}
	return n, oldest, nil
}

func newClaim() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type ticketRow struct {
	sessionID string
	expires   time.Time
}

func (r *notificationRepo) SaveTicket(_ context.Context, hash []byte, sessionID string, expires time.Time) error {
	return r.se.do(func(db *data, log *session) error {
		db.tickets.put(log, string(hash), ticketRow{sessionID: sessionID, expires: expires})
		return nil
	})
}

func (r *notificationRepo) UseTicket(_ context.Context, hash []byte, now time.Time) (string, error) {
	var sessionID string
	err := r.se.do(func(db *data, log *session) error {
		for k, t := range db.tickets {
			if !now.Before(t.expires) {
				db.tickets.del(log, k)
			}
		}
		t, ok := db.tickets[string(hash)]
		if !ok {
			return auth.ErrUnauthenticated
		}
		db.tickets.del(log, string(hash))
		sessionID = t.sessionID
		return nil
	})
	return sessionID, err
}
