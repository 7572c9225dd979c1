// Package audit describes the record of who did what to whom: staff
// actions, role and status changes, catalogue edits. Entries are written in
// the transaction of the change they record and never change afterwards.
package audit

import "time"

// Target types of entries.
const (
	TargetUser     = "user"
	TargetProduct  = "product"
	TargetCategory = "category"
	TargetOrder    = "order"
	TargetAuction  = "auction"
)

// Entry is one audited action. ActorID is empty for the command line and
// other system actors, whose name is in Actor. Before and After hold the
// changed fields only ({} before a creation, {} after a deletion).
type Entry struct {
	ID         string
	ActorID    string
	Actor      string
	Action     string
	TargetType string
	TargetID   string
	Before     map[string]any
	After      map[string]any
	CreatedAt  time.Time
}
