// Package postgres implements the storage ports on PostgreSQL with Bun.
//
// Every invariant that money, stock or sign-in depend on is also a
// constraint in the schema (see migrations/), so a bug in Go cannot break
// it. Driver errors never leave this package: they are translated to the
// domain's sentinels (see translate).
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"

	"github.com/secondbloom/marketplace/domain"
	"github.com/secondbloom/marketplace/domain/event"
	"github.com/secondbloom/marketplace/ports"
)

var (
	_ ports.Transactor = (*Store)(nil)
	_ ports.Pinger     = (*Store)(nil)
)

// Options tune the connection pool.
type Options struct {
	// MaxOpenConns bounds the pool; 0 means ConnsPerCPU per CPU
	// (GOMAXPROCS).
	MaxOpenConns int
	// StatementTimeout cancels statements that run longer; 0 means 5 s.
	StatementTimeout time.Duration
}

// ConnsPerCPU sizes the default pool. Placing orders on two cores with 2,
// 4 and 8 connections per core, 4 was best (2 left the database idle
// while requests queued for a connection; 8 added nothing but
// contention); see cmd/orderload/README.md.
const ConnsPerCPU = 4

// Store is a PostgreSQL database reached through Bun.
type Store struct {
	db *bun.DB
	// ping is a one-connection pool of its own, so a readiness check
	// measures the database and not the queue for the main pool under
	// load.
	ping *sql.DB
	// conns tracks the main pool's sockets, for Ping to sever them when the
	// database stops answering.
	conns  *connTracker
	counts *countCache
	// origin tells this Store's events from other instances' in the
	// outbox and on the NOTIFY channel.
	origin string
	sink   ports.EventSink
	// onListen, set only by tests, runs after ListenEvents sends each
	// LISTEN and before it confirms it.
	onListen func()
}

// SetEventSink registers the sink that hears, right after each commit, of
// the events this Store's transactions recorded (other instances' events
// come through ListenEvents). Call it before serving.
func (s *Store) SetEventSink(sink ports.EventSink) { s.sink = sink }

// Open connects to the database at dsn. It does not ping; call Ping or
// Migrate to find out whether the database answers.
func Open(dsn string, opt Options) (*Store, error) {
	if opt.StatementTimeout == 0 {
		opt.StatementTimeout = 5 * time.Second
	}
	conns := newConnTracker(time.Second)
	connector := pgdriver.NewConnector(
		pgdriver.WithDSN(dsn),
		pgdriver.WithTimeout(opt.StatementTimeout),
		pgdriver.WithDialTimeout(time.Second),
		pgdriver.WithTracing(false),
		func(c *pgdriver.Config) { c.Dialer = conns.dial },
	)
	sqldb := sql.OpenDB(connector)
	if opt.MaxOpenConns <= 0 {
		opt.MaxOpenConns = ConnsPerCPU * runtime.GOMAXPROCS(0)
	}
	sqldb.SetMaxOpenConns(opt.MaxOpenConns)
	sqldb.SetMaxIdleConns(opt.MaxOpenConns)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	ping := sql.OpenDB(pgdriver.NewConnector(
		pgdriver.WithDSN(dsn),
		pgdriver.WithTimeout(opt.StatementTimeout),
		pgdriver.WithDialTimeout(time.Second),
	))
	ping.SetMaxOpenConns(1)
	ping.SetMaxIdleConns(1)
	return &Store{db: bun.NewDB(sqldb, pgdialect.New()), ping: ping, conns: conns, counts: newCountCache(),
		origin: uuid.NewString()}, nil
}

// DB returns the underlying Bun database, for operational commands and
// tests in this module.
func (s *Store) DB() *bun.DB { return s.db }

// Stats returns the connection pool statistics.
func (s *Store) Stats() sql.DBStats { return s.db.Stats() }

// Close closes the connection pools.
func (s *Store) Close() error { return errors.Join(s.db.Close(), s.ping.Close()) }

// Ping checks that the database answers, on a connection of its own. It
// returns an error wrapping domain.ErrUnavailable otherwise, and then also
// severs every connection of the main pool, so requests waiting on a
// database that stopped answering fail now instead of at their read
// timeout.
func (s *Store) Ping(ctx context.Context) error {
	err := s.ping.PingContext(ctx)
	if err == nil {
		return nil
	}
	if !errors.Is(ctx.Err(), context.Canceled) {
		s.conns.severAll()
	}
	return fmt.Errorf("%w: ping: %v", domain.ErrUnavailable, err)
}

// Repos returns repositories that run outside any transaction; their
// update-function methods open one of their own.
func (s *Store) Repos() ports.Repos { return repos(s.db, s, noTxEvents{}) }

// WithinTx runs fn in a READ COMMITTED transaction; update-function methods
// take row locks (SELECT ... FOR UPDATE) so the work stays consistent. The
// events fn records are written to the outbox as the transaction's last
// statement, together with the notifications fn added, and handed to the
// sink after the commit.
func (s *Store) WithinTx(ctx context.Context, fn func(ctx context.Context, r ports.Repos) error) error {
	var committed []event.Event
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		rec := &txEvents{}
		if err := fn(ctx, repos(tx, s, rec)); err != nil {
			return err
		}
		if len(rec.events) == 0 && len(rec.notes) == 0 {
			return nil
		}
		var err error
		committed, err = s.writeEvents(ctx, tx, rec.events, rec.notes)
		return err
	})
	if err != nil {
		return translate(err)
	}
	if len(committed) > 0 && s.sink != nil {
		s.sink.Committed(committed)
	}
	return nil
}

// repos binds repositories to db, recording events in rec.
func repos(db bun.IDB, s *Store, rec ports.EventRecorder) ports.Repos {
	return ports.Repos{
		Users:      &userRepo{db},
		Challenges: &challengeRepo{db},
		Sessions:   &sessionRepo{db},
		Categories: &categoryRepo{db},
		Reference:  &referenceRepo{db},
		Products:   &productRepo{db: db, store: s},
		Auctions:   &auctionRepo{db},

		Orders:       &orderRepo{db},
		ProductUsage: &productUsage{db},
		Idempotency:  &idempotencyRepo{db},
		OpenAuctions: &auctionRepo{db},
		Events:       rec,
		Audit:        &auditRepo{db},
		Media:        &mediaRepo{db},

		Notifications: newNotificationRepo(db, rec),
	}
}

// inTx runs fn in db's transaction if db is one, or in a new one.
func inTx(ctx context.Context, db bun.IDB, fn func(ctx context.Context, tx bun.IDB) error) error {
	if tx, ok := db.(bun.Tx); ok {
		return fn(ctx, tx)
	}
	return translate(db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return fn(ctx, tx) }))
}

// SQLSTATE codes this package translates.
const (
	uniqueViolation = "23505"
	checkViolation  = "23514"
	fkViolation     = "23503"
	lockNotAvail    = "55P03"
	queryCanceled   = "57014"
)

// sqlState returns the SQLSTATE of a Postgres error, or "".
func sqlState(err error) string {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('C')
	}
	return ""
}

// constraintName returns the name of the violated constraint, or "".
func constraintName(err error) string {
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		return pgErr.Field('n')
	}
	return ""
}

// translate passes domain errors through and turns connection failures into
// domain.ErrUnavailable. Other driver errors become internal errors whose
// text stays in logs, never in responses.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) || errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sql.ErrConnDone) || sqlState(err) == queryCanceled {
		return fmt.Errorf("%w: %v", domain.ErrUnavailable, err)
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return fmt.Errorf("%w: %v", domain.ErrUnavailable, err)
	}
	return fmt.Errorf("postgres: %w", err)
}
