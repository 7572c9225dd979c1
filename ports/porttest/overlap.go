package porttest

import (
	"sync"
	"time"
)

// overlapWait bounds how long the first caller of an overlap waits for a
// second one. Without the lock under test a second caller arrives within
// milliseconds; with it none can, so a correct store pays this once.
const overlapWait = 2 * time.Second

// overlap holds callers of a section that a store should serialise (the
// fn of an Update, run after the row is read) until want of them are
// inside at once, or until overlapWait after the first arrived.
//
// When the store's lock is missing, want callers read the same state
// before any of them writes, every time, instead of only when the
// scheduler happens to interleave them. When the lock is there, only one
// caller is ever inside: the first waits out the deadline and the rest,
// arriving after it, pass straight through.
type overlap struct {
	want int

	mu       sync.Mutex
	arrived  int
	met      bool
	timedOut bool
	done     chan struct{} // closed when the callers meet or time runs out
}

func newOverlap(want int) *overlap {
	return &overlap{want: want, done: make(chan struct{})}
}

// wait records one arrival and blocks until the meeting is complete or the
// deadline has passed. It reports whether want callers were inside at once
// before the deadline.
func (o *overlap) wait() bool {
	o.mu.Lock()
	o.arrived++
	switch {
	case o.arrived == 1:
		time.AfterFunc(overlapWait, func() {
			o.mu.Lock()
			defer o.mu.Unlock()
			if !o.met {
				o.timedOut = true
				close(o.done)
			}
		})
	case o.arrived == o.want && !o.timedOut:
		o.met = true
		close(o.done)
	}
	o.mu.Unlock()
	<-o.done
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.met
}
