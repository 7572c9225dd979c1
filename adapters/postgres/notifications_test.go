package postgres_test

import (
	"testing"

	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
	"github.com/secondbloom/marketplace/ports/porttest"
)

func TestNotificationsConformance(t *testing.T) {
	porttest.RunNotifications(t, func(t *testing.T) porttest.NotificationStore { return pgtest.New(t) })
}
