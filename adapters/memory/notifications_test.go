package memory_test

import (
	"testing"

	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/ports/porttest"
)

func TestNotificationsConformance(t *testing.T) {
	porttest.RunNotifications(t, func(t *testing.T) porttest.NotificationStore { return memory.New() })
}
