package app

import (
	"cmp"
	"context"
	cryptorand "crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/auth"
	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/domain/notification"
	"github.com/secondbloom/marketplace/domain/order"
	"github.com/secondbloom/marketplace/domain/user"
	"github.com/secondbloom/marketplace/ports"
)

// planned is a notification an event calls for, before it has an id.
type planned struct {
	userID string
	typ    notification.Type
	data   map[string]string
}

// notificationsFor maps committed events to the notifications of API.md
// section 11. It is a pure function of the events, so the projection
// (which writes them) and the streams (which wake their recipients, also
// for events heard from other instances) agree on who is told.
func notificationsFor(events []event.Event) []planned {
	var out []planned
	add := func(to string, t notification.Type, kv ...string) {
		if to == "" {
			return
		}
		data := make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			data[kv[i]] = kv[i+1]
		}
		out = append(out, planned{userID: to, typ: t, data: data})
	}
	for _, e := range events {
		d := e.Data
		switch e.Name {
		case event.OrderPlaced:
			add(d["sellerId"], notification.OrderPlaced, "orderId", e.SubjectID, "productId", d["productId"])
		case event.OrderTransitioned:
			buyer, seller, id := d["buyerId"], d["sellerId"], e.SubjectID
			if d["from"] != d["to"] {
				switch order.Status(d["to"]) {
				case order.StatusConfirmed:
					add(buyer, notification.OrderConfirmed, "orderId", id)
				case order.StatusShipped:
					add(buyer, notification.OrderShipped, "orderId", id)
				case order.StatusDelivered:
					add(seller, notification.OrderDelivered, "orderId", id)
				case order.StatusCancelled:
					if !e.Actor.Is(seller) {
						add(seller, notification.OrderCancelled, "orderId", id)
					}
					if !e.Actor.Is(buyer) {
						add(buyer, notification.OrderCancelled, "orderId", id)
					}
				}
			}
			if d["paymentTo"] == string(order.PaymentPaid) && d["paymentFrom"] != d["paymentTo"] {
				add(buyer, notification.OrderPaid, "orderId", id)
			}
		case event.ProductChanged:
			switch d["action"] {
			case "approve":
				add(d["sellerId"], notification.ProductApproved, "productId", e.SubjectID)
			case "reject":
				add(d["sellerId"], notification.ProductRejected, "productId", e.SubjectID, "reason", d["reason"])
			}
		case event.BidAccepted:
			if prev := d["previousLeaderId"]; prev != d["bidderId"] {
				add(prev, notification.BidOutbid, "auctionId", e.SubjectID, "amount", d["amount"])
			}
		case event.AuctionClosed:
			add(d["winnerId"], notification.AuctionWon, "auctionId", e.SubjectID, "orderId", d["orderId"], "amount", d["amount"])
			ended := []string{"auctionId", e.SubjectID}
			if d["orderId"] != "" {
				ended = append(ended, "orderId", d["orderId"])
			}
			add(d["sellerId"], notification.AuctionEnded, ended...)
		}
	}
	return out
}

// notificationProjection writes the notifications of a transaction's
// events, with their deliveries, in that transaction (the outbox). Rows
// are added in recipient order, so two transactions never wait on each
// other's per-user counters in opposite orders.
func notificationProjection(clock ports.Clock, push, sms bool) Projection {
	return Projection{Name: "notifications", Project: func(ctx context.Context, r ports.Repos, events []event.Event) error {
		plans := notificationsFor(events)
		slices.SortStableFunc(plans, func(a, b planned) int { return cmp.Compare(a.userID, b.userID) })
		now := clock.Now()
		for _, p := range plans {
			n, err := notification.New(newID(), p.userID, p.typ, p.data, now)
			if err != nil {
				return fmt.Errorf("notification %s for %q: %w", p.typ, p.userID, err)
			}
			var channels []notification.Channel
			if push {
				channels = append(channels, notification.Push)
			}
			if sms && p.typ.BySMS() {
				channels = append(channels, notification.SMS)
			}
			if err := r.Notifications.Add(ctx, n, channels); err != nil {
				return err
			}
		}
		return nil
	}}
}

// localeOf returns the language u reads notifications in.
func localeOf(u *user.User) string {
	if l := string(u.Language()); l != "" {
		return l
	}
	return notification.DefaultLocale
}

// NotificationView is a notification rendered for its recipient.
type NotificationView struct {
	*notification.Notification
	notification.Message
}

// NotificationService serves users' inboxes.
type NotificationService struct {
	notes    ports.NotificationRepository
	users    ports.UserRepository
	sessions ports.SessionRepository
	clock    ports.Clock
}

func newNotificationService(notes ports.NotificationRepository, users ports.UserRepository, sessions ports.SessionRepository, clock ports.Clock) *NotificationService {
	return &NotificationService{notes: notes, users: users, sessions: sessions, clock: clock}
}

// render renders ns in their recipient's language.
func (s *NotificationService) render(ctx context.Context, userID string, ns []*notification.Notification) ([]NotificationView, error) {
	locale := notification.DefaultLocale
	if len(ns) > 0 {
		u, err := s.users.Get(ctx, userID)
		if err != nil && !errors.Is(err, user.ErrNotFound) {
			return nil, err
		}
		if err == nil {
			locale = localeOf(u)
		}
	}
	out := make([]NotificationView, len(ns))
	for i, n := range ns {
		out[i] = NotificationView{Notification: n, Message: n.Render(locale)}
	}
	return out, nil
}

// List returns a page of the caller's notifications, newest first, and
// how many there are in all.
func (s *NotificationService) List(ctx context.Context, by user.Actor, unreadOnly bool, p ports.Page) ([]NotificationView, ports.Listed, error) {
	ns, total, err := s.notes.List(ctx, ports.NotificationFilter{UserID: by.UserID, UnreadOnly: unreadOnly}, p)
	if err != nil {
		return nil, ports.Listed{}, err
	}
	views, err := s.render(ctx, by.UserID, ns)
	return views, total, err
}

// CountUnread returns how many of the caller's notifications are unread.
func (s *NotificationService) CountUnread(ctx context.Context, by user.Actor) (int, error) {
	return s.notes.CountUnread(ctx, by.UserID)
}

// Read marks the caller's notification id read and returns it; reading it
// again changes nothing. It returns notification.ErrNotFound for an
// unknown id or someone else's notification.
func (s *NotificationService) Read(ctx context.Context, by user.Actor, id string) (NotificationView, error) {
	if !domain.ValidID(id) {
		return NotificationView{}, notification.ErrNotFound
	}
	n, err := s.notes.MarkRead(ctx, by.UserID, id, s.clock.Now())
	if err != nil {
		return NotificationView{}, err
	}
	views, err := s.render(ctx, by.UserID, []*notification.Notification{n})
	if err != nil {
		return NotificationView{}, err
	}
	return views[0], nil
}

// ReadAll marks every unread notification of the caller read and returns
// how many it marked.
func (s *NotificationService) ReadAll(ctx context.Context, by user.Actor) (int, error) {
	return s.notes.MarkAllRead(ctx, by.UserID, s.clock.Now())
}

// Since returns up to limit of the caller's notifications after seq,
// oldest first, for a stream.
func (s *NotificationService) Since(ctx context.Context, by user.Actor, seq int64, limit int) ([]NotificationView, error) {
	ns, err := s.notes.Since(ctx, by.UserID, seq, limit)
	if err != nil {
		return nil, err
	}
	return s.render(ctx, by.UserID, ns)
}

// SessionActive returns nil while the caller's session is valid, and
// auth.ErrSessionEnded once it was revoked or expired, so a long-lived
// stream can end with its session.
func (s *NotificationService) SessionActive(ctx context.Context, by user.Actor) error {
	sess, err := s.sessions.Get(ctx, by.SessionID)
	if errors.Is(err, auth.ErrSessionNotFound) {
		return auth.ErrSessionEnded
	}
	if err != nil {
		return err
	}
	return sess.Active(s.clock.Now())
}

// Dispatcher defaults.
const (
	// DispatchInterval is how often an idle dispatcher looks for due
	// deliveries (retries are due about every second at first).
	DispatchInterval = 500 * time.Millisecond
	// DispatchLease is how long a claim holds a delivery: well past
	// notification.SendTimeout, so a live claim never expires mid-send.
	DispatchLease = time.Minute
	// DispatchBatch is how many deliveries one claim takes.
	DispatchBatch = 200
	// DispatchWorkers is how many sends one round runs at once.
	DispatchWorkers = 32
	// DispatchLanes is how many rounds one dispatcher runs at once. Lanes
	// share the queue as instances do, so the per-user order holds across
	// them; but while the claim dominates a round (a large backlog), a
	// second lane only contends with the first (BenchmarkDispatcherDrain:
	// no gain), so one is the default.
	DispatchLanes = 1
)

// DispatcherDeps are what a dispatcher is built from. Queue, Users and
// Clock are required; Push and SMS may be nil: a dispatcher claims only
// deliveries on channels it has a sender for, and leaves the others to an
// instance that has one.
type DispatcherDeps struct {
	Queue ports.DeliveryQueue
	Users ports.UserRepository
	Clock ports.Clock
	Push  ports.PushSender
	SMS   ports.TextSender
	// Counted hears of each finished attempt: channel and result
	// (sent, retry, failed); nil counts nothing.
	Counted func(channel notification.Channel, result string)
	// Jitter returns a number in [0, 1); nil means math/rand.
	Jitter func() float64
	// Workers, Batch and Lanes default to DispatchWorkers, DispatchBatch
	// and DispatchLanes.
	Workers, Batch, Lanes int
	// SendTimeout bounds one attempt; 0 means notification.SendTimeout
	// (tests of a hanging gateway shorten it).
	SendTimeout time.Duration
	// Lease is how long a claim holds its deliveries before another
	// instance may take them (after a crash); 0 means DispatchLease. It
	// must exceed SendTimeout, or a slow send could be repeated while in
	// flight.
	Lease time.Duration
}

// Dispatcher delivers the outbox's notifications by push and SMS (see
// ports.DeliveryQueue for the ordering guarantees). Every instance runs
// one; they share the queue safely.
type Dispatcher struct {
	d        DispatcherDeps
	channels []notification.Channel
	wake     chan struct{}
}

// NewDispatcher returns a dispatcher, or an error naming a missing
// dependency.
func NewDispatcher(deps DispatcherDeps) (*Dispatcher, error) {
	var missing []string
	if deps.Queue == nil {
		missing = append(missing, "Queue")
	}
	if deps.Users == nil {
		missing = append(missing, "Users")
	}
	if deps.Clock == nil {
		missing = append(missing, "Clock")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("app: dispatcher missing %v", missing)
	}
	if deps.Counted == nil {
		deps.Counted = func(notification.Channel, string) {}
	}
	if deps.Jitter == nil {
		deps.Jitter = rand.Float64
	}
	if deps.Workers <= 0 {
		deps.Workers = DispatchWorkers
	}
	if deps.Batch <= 0 {
		deps.Batch = DispatchBatch
	}
	if deps.Lanes <= 0 {
		deps.Lanes = DispatchLanes
	}
	if deps.SendTimeout <= 0 {
		deps.SendTimeout = notification.SendTimeout
	}
	if deps.Lease <= 0 {
		deps.Lease = DispatchLease
	}
	if deps.Lease <= deps.SendTimeout {
		return nil, fmt.Errorf("app: dispatcher lease %v must exceed the send timeout %v", deps.Lease, deps.SendTimeout)
	}
	d := &Dispatcher{d: deps, wake: make(chan struct{}, 1)}
	if deps.Push != nil {
		d.channels = append(d.channels, notification.Push)
	}
	if deps.SMS != nil {
		d.channels = append(d.channels, notification.SMS)
	}
	return d, nil
}

// Channels returns the channels this dispatcher sends on (and claims).
func (d *Dispatcher) Channels() []notification.Channel { return slices.Clone(d.channels) }

// Wake makes a waiting Run look for deliveries at once (a notification was
// just committed here).
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Subscription is the dispatcher's relay subscriber: local commits that
// created notifications wake it.
func (d *Dispatcher) Subscription(dl Delivery) {
	if dl.Local && len(notificationsFor(dl.Events)) > 0 {
		d.Wake()
	}
}

// Run dispatches in Lanes concurrent loops until ctx ends: in each, a
// round that claimed anything is followed at once by the next, otherwise
// it waits interval or a Wake. Errors of the queue go to onErr and are
// retried at the next round. Sends in progress when ctx ends finish and
// are recorded; claimed deliveries not yet started are released, so a
// shutdown loses none.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration, onErr func(error)) {
	var wg sync.WaitGroup
	for range d.d.Lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.lane(ctx, interval, onErr)
		}()
	}
	wg.Wait()
}

func (d *Dispatcher) lane(ctx context.Context, interval time.Duration, onErr func(error)) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.wake:
		}
		n, err := d.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			onErr(err)
		}
		if n > 0 && err == nil {
			// Finishing a delivery may have made the next of its user
			// due: look again at once.
			t.Reset(0)
		} else {
			t.Reset(interval)
		}
	}
}

// RunOnce claims one batch of due deliveries and attempts each, up to
// Workers at a time, and returns how many it claimed. When ctx ends, the
// attempts already started finish (each within notification.SendTimeout)
// and the rest are released.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	if len(d.channels) == 0 {
		return 0, nil
	}
	ds, err := d.d.Queue.Claim(ctx, d.d.Clock.Now(), d.d.Lease, d.d.Batch, d.channels)
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	// Recording outlives ctx: a finished attempt is always written down.
	keep := context.WithoutCancel(ctx)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		errs     []error
		done     []notification.Attempt
		released []notification.Delivery
		slots    = make(chan struct{}, d.d.Workers)
	)
	for i, dl := range ds {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			released = ds[i:]
			break
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			a := d.attempt(keep, dl)
			mu.Lock()
			done = append(done, a)
			mu.Unlock()
		}()
	}
	wg.Wait()
	rctx, cancel := context.WithTimeout(keep, 5*time.Second)
	defer cancel()
	// One write for the batch: recording each attempt apart would cost a
	// commit (a WAL flush) per delivery, which is what limits the rate.
	errs = append(errs, d.d.Queue.Finish(rctx, done))
	if len(released) > 0 {
		errs = append(errs, d.d.Queue.Release(rctx, released))
	}
	return len(ds), errors.Join(errs...)
}

// attempt sends dl once and returns the result to record.
func (d *Dispatcher) attempt(ctx context.Context, dl notification.Delivery) notification.Attempt {
	sendErr := d.send(ctx, dl)
	retry := errors.Is(sendErr, domain.ErrUnavailable) || errors.Is(sendErr, context.DeadlineExceeded)
	errText := ""
	if sendErr != nil {
		errText = sendErr.Error()
	}
	res := notification.Outcome(dl, d.d.Clock.Now(), sendErr != nil, retry, errText, d.d.Jitter())
	result := string(res.State)
	if res.State == notification.Pending {
		result = "retry"
	}
	d.d.Counted(dl.Channel, result)
	return notification.Attempt{Delivery: dl, Result: res}
}

func (d *Dispatcher) send(ctx context.Context, dl notification.Delivery) error {
	n := dl.Notification
	u, err := d.d.Users.Get(ctx, n.UserID())
	if errors.Is(err, user.ErrNotFound) {
		return fmt.Errorf("recipient gone: %w", err)
	}
	if err != nil {
		return fmt.Errorf("%w: loading the recipient: %v", domain.ErrUnavailable, err)
	}
	m := n.Render(localeOf(u))
	sctx, cancel := context.WithTimeout(ctx, d.d.SendTimeout)
	defer cancel()
	switch {
	case dl.Channel == notification.Push && d.d.Push != nil:
		return d.d.Push.Push(sctx, n, m)
	case dl.Channel == notification.SMS && d.d.SMS != nil:
		return d.d.SMS.SendText(sctx, u.Phone(), n.ID(), m.Title+". "+m.Body)
	case dl.Channel == notification.Push, dl.Channel == notification.SMS:
		// Claim never hands out such a delivery; should a queue do so,
		// retry it rather than give it up.
		return fmt.Errorf("%w: no %s sender on this instance", domain.ErrUnavailable, dl.Channel)
	}
	return fmt.Errorf("unknown channel %q", dl.Channel)
}

// Backlog returns how many deliveries wait and how long the oldest has
// waited, for the metrics.
func (d *Dispatcher) Backlog(ctx context.Context) (int, time.Duration, error) {
	n, oldest, err := d.d.Queue.Backlog(ctx)
	if err != nil || n == 0 {
		return n, 0, err
	}
	return n, d.d.Clock.Now().Sub(oldest), nil
}

// StreamTicketTTL is how long a stream ticket may wait to be used.
const StreamTicketTTL = 60 * time.Second

// CreateTicket returns a single-use ticket that opens the caller's
// notification stream in place of the access token, for StreamTicketTTL.
// Only its hash is stored.
func (s *NotificationService) CreateTicket(ctx context.Context, by user.Actor) (string, time.Duration, error) {
	secret := make([]byte, 32)
	if _, err := cryptorand.Read(secret); err != nil {
		return "", 0, err
	}
	ticket := base64.RawURLEncoding.EncodeToString(secret)
	hash := sha256.Sum256([]byte(ticket))
	if err := s.notes.SaveTicket(ctx, hash[:], by.SessionID, s.clock.Now().Add(StreamTicketTTL)); err != nil {
		return "", 0, err
	}
	return ticket, StreamTicketTTL, nil
}

// RedeemTicket uses up ticket and returns the caller it stands for. It
// returns auth.ErrUnauthenticated for an unknown, used or expired ticket,
// and auth.ErrSessionEnded when its session ended meanwhile.
func (s *NotificationService) RedeemTicket(ctx context.Context, ticket string) (user.Actor, error) {
	if len(ticket) > 100 {
		return user.Actor{}, auth.ErrUnauthenticated
	}
	hash := sha256.Sum256([]byte(ticket))
	now := s.clock.Now()
	sessionID, err := s.notes.UseTicket(ctx, hash[:], now)
	if err != nil {
		return user.Actor{}, err
	}
	sess, err := s.sessions.Get(ctx, sessionID)
	if err != nil {
		return user.Actor{}, unauthenticated(err)
	}
	if err := sess.Active(now); err != nil {
		return user.Actor{}, auth.ErrSessionEnded
	}
	u, err := s.users.Get(ctx, sess.UserID())
	if err != nil {
		return user.Actor{}, unauthenticated(err)
	}
	return user.Actor{UserID: u.ID(), SessionID: sess.ID(), Role: u.Role()}, nil
}
