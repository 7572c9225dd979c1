package http

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secondbloom/marketplace/app"
	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/auction"
	"github.com/secondbloom/marketplace/domain/notification"
	"github.com/secondbloom/marketplace/domain/user"
)

// Timing of the event streams (API.md section 11).
const (
	// StreamHeartbeat is how often an idle stream sends a comment line, so
	// proxies keep it open and a vanished client is noticed.
	StreamHeartbeat = 15 * time.Second
	// StreamMaxDuration ends every stream after this long; clients
	// reconnect and resume with Last-Event-ID.
	StreamMaxDuration = 10 * time.Minute
	// StreamSessionCheck is how often a notification stream checks that
	// its session still holds, so it ends within a second of a logout.
	StreamSessionCheck = time.Second
	// AuctionStreamInterval is the least time between two auction events.
	AuctionStreamInterval = 250 * time.Millisecond
	// AuctionStreamsPerIP is the default cap of the open auction streams
	// of one client IP on one instance (Options.AuctionStreamsPerIP).
	AuctionStreamsPerIP = 20
	// streamWriteTimeout is the write deadline each stream write extends:
	// fasthttp sets the server's WriteTimeout once per response, which a
	// stream outlives, so the stream keeps pushing it forward itself.
	streamWriteTimeout = 30 * time.Second
	// streamBatch is how many notifications a stream reads at a time.
	streamBatch = 100
)

func (s *Server) notificationRoutes(r fiber.Router) {
	r.Get("/notifications", s.authenticate, s.listNotifications)
	r.Get("/notifications/unread-count", s.authenticate, s.countUnreadNotifications)
	r.Get("/notifications/stream", s.streamAuth, s.notificationStream)
	r.Post("/notifications/stream-tickets", s.authenticate, s.createStreamTicket)
	r.Post("/notifications/read-all", s.authenticate, s.readAllNotifications)
	r.Post("/notifications/:id/read", s.authenticate, s.readNotification)
	r.Get("/auctions/:id/stream", s.auctionStream)
}

type notificationDTO struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Body      string         `json:"body"`
	Data      map[string]any `json:"data"`
	ReadAt    *string        `json:"readAt"`
	CreatedAt string         `json:"createdAt"`
}

func toNotificationDTO(v app.NotificationView) notificationDTO {
	data := map[string]any{}
	for k, val := range v.Data() {
		data[k] = val
	}
	if v.Type() == notification.AuctionEnded && data["orderId"] == nil {
		data["orderId"] = nil
	}
	var readAt *string
	if t := v.ReadAt(); t != nil {
		s := timestamp(*t)
		readAt = &s
	}
	return notificationDTO{ID: v.ID(), Type: string(v.Type()), Title: v.Title, Body: v.Body, Data: data,
		ReadAt: readAt, CreatedAt: timestamp(v.CreatedAt())}
}

func (s *Server) listNotifications(c *fiber.Ctx) error {
	qs := newQuery(c)
	page := qs.cursorPage()
	unread := false
	if raw, ok := qs.str("unread"); ok {
		switch raw {
		case "true":
			unread = true
		case "false":
		default:
			qs.v.Add("unread", "must be true or false")
		}
	}
	qs.keyset(&page, "notifications", unread)
	if err := qs.done(); err != nil {
		return err
	}
	p, _ := principal(c)
	views, total, err := s.core.Notifications.List(c.UserContext(), p, unread, page)
	if err != nil {
		return err
	}
	items := make([]notificationDTO, 0, len(views))
	for _, v := range views {
		items = append(items, toNotificationDTO(v))
	}
	return qs.respondList(items, page, total)
}

func (s *Server) countUnreadNotifications(c *fiber.Ctx) error {
	if err := newQuery(c).done(); err != nil {
		return err
	}
	p, _ := principal(c)
	n, err := s.core.Notifications.CountUnread(c.UserContext(), p)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, fiber.Map{"count": n})
}

func (s *Server) readNotification(c *fiber.Ctx) error {
	if err := decode(c); err != nil {
		return err
	}
	id, err := pathID(c, notification.ErrNotFound)
	if err != nil {
		return err
	}
	p, _ := principal(c)
	v, err := s.core.Notifications.Read(c.UserContext(), p, id)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, toNotificationDTO(v))
}

func (s *Server) readAllNotifications(c *fiber.Ctx) error {
	if err := decode(c); err != nil {
		return err
	}
	p, _ := principal(c)
	n, err := s.core.Notifications.ReadAll(c.UserContext(), p)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusOK, fiber.Map{"updated": n})
}

func (s *Server) createStreamTicket(c *fiber.Ctx) error {
	if err := decode(c); err != nil {
		return err
	}
	p, _ := principal(c)
	ticket, ttl, err := s.core.Notifications.CreateTicket(c.UserContext(), p)
	if err != nil {
		return err
	}
	return respond(c, fiber.StatusCreated, fiber.Map{"ticket": ticket, "expiresInSeconds": int(ttl / time.Second)})
}

// streamAuth accepts a single-use ?ticket= in place of the Authorization
// header (EventSource cannot send headers). The request log never shows a
// query string, so the ticket is never logged.
func (s *Server) streamAuth(c *fiber.Ctx) error {
	ticket := c.Query("ticket")
	if ticket == "" {
		return s.authenticate(c)
	}
	p, err := s.core.Notifications.RedeemTicket(c.UserContext(), ticket)
	if err != nil {
		return err
	}
	c.Locals(localsActor, p)
	return c.Next()
}

// sseHeaders starts an event stream response.
func sseHeaders(c *fiber.Ctx) {
	c.Status(fiber.StatusOK)
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
}

// sseWriter writes events to a stream body, pushing the connection's write
// deadline forward before each flush (see streamWriteTimeout).
type sseWriter struct {
	w    *bufio.Writer
	conn net.Conn
}

func (w sseWriter) flush() error {
	if w.conn != nil {
		_ = w.conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	}
	return w.w.Flush()
}

func (w sseWriter) comment(text string) error {
	fmt.Fprintf(w.w, ": %s\n\n", text)
	return w.flush()
}

func (w sseWriter) event(name, id string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if id != "" {
		fmt.Fprintf(w.w, "id: %s\n", id)
	}
	fmt.Fprintf(w.w, "event: %s\ndata: %s\n\n", name, body)
	return nil
}

// streamContext returns the context of a stream body: fasthttp runs the
// body after the middleware has returned, so the request's own context is
// gone by then. It ends after StreamMaxDuration, or when the server starts
// draining.
func (s *Server) streamContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), StreamMaxDuration)
	stop := context.AfterFunc(s.drainCtx, cancel)
	return ctx, func() { stop(); cancel() }
}

func (s *Server) notificationStream(c *fiber.Ctx) error {
	after, err := lastEventID(c)
	if err != nil {
		return err
	}
	p, _ := principal(c)
	if s.draining.Load() {
		return domain.ErrUnavailable
	}
	sseHeaders(c)
	conn := c.Context().Conn()
	ctx, cancel := s.streamContext()
	wake, stop := s.core.Streams.WatchUser(p.UserID)
	s.streamsOpen.Add(1)
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		defer s.streamsOpen.Add(-1)
		defer stop()
		defer cancel()
		s.runNotificationStream(ctx, sseWriter{w: bw, conn: conn}, p, after, wake)
	})
	return nil
}

// lastEventID reads where a stream resumes: the Last-Event-ID header, or
// else ?lastEventId= (EventSource cannot resend a header on a new ticket).
func lastEventID(c *fiber.Ctx) (int64, error) {
	raw := c.Get("Last-Event-ID")
	if raw == "" {
		raw = c.Query("lastEventId")
	}
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
	if err != nil || n < 0 {
		var v domain.Validation
		v.Add("lastEventId", "must be an event id from this stream")
		return 0, v.Err()
	}
	return n, nil
}

func (s *Server) runNotificationStream(ctx context.Context, w sseWriter, p user.Actor, after int64, wake <-chan struct{}) {
	heartbeat := time.NewTicker(StreamHeartbeat)
	defer heartbeat.Stop()
	check := time.NewTicker(StreamSessionCheck)
	defer check.Stop()
	// catchUp writes every notification after the cursor, oldest first.
	catchUp := func() error {
		for {
			views, err := s.core.Notifications.Since(ctx, p, after, streamBatch)
			if err != nil {
				return err
			}
			for _, v := range views {
				if err := w.event("notification", strconv.FormatInt(v.Seq(), 10), toNotificationDTO(v)); err != nil {
					return err
				}
				after = v.Seq()
			}
			if len(views) < streamBatch {
				return w.flush()
			}
		}
	}
	if w.comment("connected") != nil || catchUp() != nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
			if catchUp() != nil {
				return
			}
		case <-heartbeat.C:
			// The catch-up also covers a wake-up lost to a listener
			// reconnect.
			if w.comment("ping") != nil || catchUp() != nil {
				return
			}
		case <-check.C:
			if err := s.core.Notifications.SessionActive(ctx, p); err != nil && domain.KindOf(err) == domain.KindUnauthenticated {
				return
			}
		}
	}
}

// ipStreams counts the open auction streams of each client IP on this
// instance: the cap is per instance (several instances behind a balancer
// admit up to max each), unlike the store-backed OTP limits.
type ipStreams struct {
	mu  sync.Mutex
	n   map[string]int
	max int
}

func (l *ipStreams) acquire(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n[ip] >= l.max {
		return false
	}
	l.n[ip]++
	return true
}

func (l *ipStreams) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n[ip]--; l.n[ip] <= 0 {
		delete(l.n, ip)
	}
}

func (s *Server) auctionStream(c *fiber.Ctx) error {
	id, err := pathID(c, auction.ErrNotFound)
	if err != nil {
		return err
	}
	first, err := s.core.Auctions.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	if s.draining.Load() {
		return domain.ErrUnavailable
	}
	ip := c.IP()
	if !s.auctionStreams.acquire(ip) {
		e := *errRateLimited
		e.RetryAfterSeconds = 1
		return &e
	}
	sseHeaders(c)
	conn := c.Context().Conn()
	ctx, cancel := s.streamContext()
	wake, stop := s.core.Streams.WatchAuction(id)
	s.streamsOpen.Add(1)
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		defer s.streamsOpen.Add(-1)
		defer s.auctionStreams.release(ip)
		defer stop()
		defer cancel()
		s.runAuctionStream(ctx, sseWriter{w: bw, conn: conn}, first, wake)
	})
	return nil
}

// runAuctionStream sends the auction's state first, then its latest state
// after each change, at most once per AuctionStreamInterval, and a final
// one when it ends.
func (s *Server) runAuctionStream(ctx context.Context, w sseWriter, a *auction.Auction, wake <-chan struct{}) {
	heartbeat := time.NewTicker(StreamHeartbeat)
	defer heartbeat.Stop()
	send := func(a *auction.Auction) error {
		if err := w.event("auction", "", toAuctionDTO(a)); err != nil {
			return err
		}
		return w.flush()
	}
	if send(a) != nil || a.Status() != auction.StatusActive {
		return
	}
	id := a.ID()
	for {
		select {
		case <-ctx.Done():
			return
		case <-heartbeat.C:
			if w.comment("ping") != nil {
				return
			}
			continue
		case <-wake:
		}
		// One store read for all the streams of the auction woken by
		// this change.
		latest, err := s.core.Streams.LatestAuction(ctx, id, s.core.Auctions.Get)
		if err != nil || send(latest) != nil || latest.Status() != auction.StatusActive {
			return
		}
		// Coalesce: changes during the pause are sent as one, the latest.
		select {
		case <-ctx.Done():
			return
		case <-time.After(AuctionStreamInterval):
		}
	}
}

// StreamsOpen returns how many event streams this server holds open.
func (s *Server) StreamsOpen() int64 { return s.streamsOpen.Load() }
