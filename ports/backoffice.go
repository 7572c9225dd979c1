package ports

//go:generate go tool mockgen -source=backoffice.go -destination=../mocks/backoffice.go -package=mocks

import (
	"context"

	"github.com/secondbloom/marketplace/domain/audit"
	"github.com/secondbloom/marketplace/domain/user"
)

// UserFilter selects users for UserRepository.List. Zero fields select
// everything.
type UserFilter struct {
	Role   user.Role
	Status user.Status
	// PhoneDigits keeps users whose phone contains these digits.
	PhoneDigits string
	// NamePrefix keeps users whose first or last name starts with it,
	// ignoring case.
	NamePrefix string
}

// AuditFilter selects audit entries; zero fields select everything.
type AuditFilter struct {
	ActorID  string
	TargetID string
	Action   string
}

// AuditRepository stores the audit log.
type AuditRepository interface {
	// Add stores entries. Call it inside Transactor.WithinTx, in the
	// transaction of the change the entries record.
	Add(ctx context.Context, entries ...audit.Entry) error
	// List returns one page of the entries f selects, newest first (by
	// createdAt, then id, both descending), and what the page says about
	// the list.
	List(ctx context.Context, f AuditFilter, p Page) ([]audit.Entry, Listed, error)
}
