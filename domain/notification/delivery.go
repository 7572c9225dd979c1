package notification

import "time"

// The delivery rules of API.md section 11.
const (
	// SendTimeout bounds one attempt; an attempt that takes longer counts
	// as a failure to retry.
	SendTimeout = 10 * time.Second
	// FirstRetry is the wait after the first failed attempt.
	FirstRetry = time.Second
	// MaxBackoff caps the wait between attempts.
	MaxBackoff = 10 * time.Minute
	// GiveUpAfter is how long after its creation a delivery that keeps
	// failing is given up.
	GiveUpAfter = 24 * time.Hour
)

// Delivery is one notification to send on one channel, as claimed by a
// dispatcher: it holds the claim until it finishes or releases it.
type Delivery struct {
	ID           string
	Channel      Channel
	Notification *Notification
	// Attempts counts the attempts made before this one.
	Attempts int
	// CreatedAt is when the delivery was queued (with its notification).
	CreatedAt time.Time
	// Claim identifies the claim that holds the delivery; a store accepts
	// a result only from the claim that holds it.
	Claim string
}

// State is where a delivery stands.
type State string

// The delivery states.
const (
	Pending State = "pending"
	Sent    State = "sent"
	GaveUp  State = "failed"
)

// Result is what became of one attempt: the delivery's new state, its
// attempt count, and for a pending one when to try next.
type Result struct {
	State    State
	Attempts int
	NextAt   time.Time
	// Error describes the last failure (never a secret), for operators.
	Error string
}

// Attempt is a delivery with the result of an attempt, for recording.
type Attempt struct {
	Delivery Delivery
	Result   Result
}

// Outcome decides what follows an attempt of d made at now that failed
// with a retryable error (retry true) or a final one, or succeeded
// (failed false). jitter, in [0, 1), spreads retries so a gateway that
// comes back is not hit by every delivery at once.
func Outcome(d Delivery, now time.Time, failed, retry bool, errText string, jitter float64) Result {
	n := d.Attempts + 1
	switch {
	case !failed:
		return Result{State: Sent, Attempts: n}
	case !retry:
		return Result{State: GaveUp, Attempts: n, Error: errText}
	}
	next := now.Add(Backoff(n, jitter))
	if next.Sub(d.CreatedAt) > GiveUpAfter {
		return Result{State: GaveUp, Attempts: n, Error: errText}
	}
	return Result{State: Pending, Attempts: n, NextAt: next, Error: errText}
}

// Backoff returns the wait after the attempts-th failed attempt (1, 2,
// ...): about FirstRetry, doubling each time, with up to 25% jitter either
// way, never more than MaxBackoff.
func Backoff(attempts int, jitter float64) time.Duration {
	d := FirstRetry
	for i := 1; i < attempts && d < MaxBackoff; i++ {
		d *= 2
	}
	d = time.Duration(float64(d) * (0.75 + jitter/2))
	return min(d, MaxBackoff)
}
