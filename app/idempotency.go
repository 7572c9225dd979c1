package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/secondbloom/marketplace/domain/idempotency"
	"github.com/secondbloom/marketplace/ports"
)

// Idempotency identifies a request made with an Idempotency-Key header.
type Idempotency struct {
	// Key is the client's key, 1..255 printable ASCII characters.
	Key string
	// Route names the route, method included (for example
	// "POST /api/v1/orders"), so one key may be used on two routes. Where
	// the path carries an id that the body does not (a bid's auction), use
	// the concrete path or put the id in the fingerprint, or a key reused
	// on another auction would replay the first auction's answer.
	Route string
}

// Response is a response as the client sees it: the HTTP adapter renders
// it, the core stores it with the key and replays it byte for byte.
type Response struct {
	Status int
	Body   []byte
	// Replayed is true when the response is the stored one of an earlier
	// request.
	Replayed bool
}

// PurgeIdempotencyKeys deletes the Idempotency-Key records older than
// idempotency.Retention plus an hour of margin, and returns how many it
// deleted. The server calls it periodically; it returns the store's error.
func (a *App) PurgeIdempotencyKeys(ctx context.Context) (int, error) {
	return a.repos.Idempotency.DeleteBefore(ctx, a.clock.Now().Add(-idempotency.Retention-time.Hour))
}

// idempotencyGuard runs work at most once per key (API.md section 1). A
// service that accepts Idempotency-Key holds one (see OrderService) and
// calls run with its work and the adapter's render function.
//
// Two layers keep a second request with a key out while the first runs: an
// in-process set, which answers at once on any store (the memory store
// serializes transactions, so without it a duplicate would wait and then
// replay), and the repository's Lock inside the transaction, which works
// across server instances. Lock is the guard that yields
// IDEMPOTENCY_KEY_IN_USE on another instance; the store refusing a second
// record for a scope (Save's ErrKeyInUse) is only a backstop, which would
// let a duplicate run its work and roll it back at the end. The record is
// saved in the same transaction as the work, so a crash cannot leave the
// work done and the key unclaimed.
type idempotencyGuard struct {
	tx    ports.Transactor
	clock ports.Clock

	mu       sync.Mutex
	inFlight map[string]struct{}
}

func newIdempotencyGuard(tx ports.Transactor, clock ports.Clock) *idempotencyGuard {
	return &idempotencyGuard{tx: tx, clock: clock, inFlight: map[string]struct{}{}}
}

func (g *idempotencyGuard) claim(s idempotency.Scope) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, busy := g.inFlight[s.String()]; busy {
		return false
	}
	g.inFlight[s.String()] = struct{}{}
	return true
}

func (g *idempotencyGuard) release(s idempotency.Scope) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.inFlight, s.String())
}

// run does the work of a request once per (user, route, key).
//
// work runs inside the transaction. It returns refused, a business refusal
// (not found, forbidden, out of stock...) that it reached before writing
// anything, or err, which rolls everything back and is not stored. render
// turns the outcome into the response to store and send. run returns the
// response, whether it is a fresh success (refused == nil and not
// replayed), or idempotency.ErrInvalidKey, ErrKeyInUse or ErrKeyReused.
func (g *idempotencyGuard) run(ctx context.Context, userID string, idem Idempotency, fingerprint []byte,
	work func(ctx context.Context, r ports.Repos) (refused error, err error),
	render func(refused error) (Response, error),
) (Response, bool, error) {
	if !idempotency.ValidKey(idem.Key) {
		return Response{}, false, idempotency.ErrInvalidKey
	}
	scope := idempotency.Scope{UserID: userID, Route: idem.Route, Key: idem.Key}
	if !g.claim(scope) {
		return Response{}, false, idempotency.ErrKeyInUse
	}
	defer g.release(scope)

	var (
		out    Response
		outErr error
		fresh  bool
	)
	err := g.tx.WithinTx(ctx, func(ctx context.Context, r ports.Repos) error {
		if err := r.Idempotency.Lock(ctx, scope); err != nil {
			return err
		}
		rec, err := r.Idempotency.Get(ctx, scope)
		switch {
		case err == nil:
			if !rec.Matches(fingerprint) {
				outErr = idempotency.ErrKeyReused
				return nil
			}
			out = Response{Status: rec.Status, Body: rec.Body, Replayed: true}
			return nil
		case !errors.Is(err, idempotency.ErrNotFound):
			return err
		}
		refused, err := work(ctx, r)
		if err != nil {
			return err
		}
		resp, err := render(refused)
		if err != nil {
			return err
		}
		rec = idempotency.Record{Scope: scope, Fingerprint: fingerprint, Status: resp.Status, Body: resp.Body, CreatedAt: g.clock.Now()}
		if err := r.Idempotency.Save(ctx, rec); err != nil {
			return err
		}
		out, fresh = resp, refused == nil
		return nil
	})
	if err != nil {
		return Response{}, false, err
	}
	if outErr != nil {
		return Response{}, false, outErr
	}
	return out, fresh, nil
}
