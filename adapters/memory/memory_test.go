package memory_test

import (
	"testing"

	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/ports"
	"github.com/secondbloom/marketplace/ports/porttest"
)

func TestConformance(t *testing.T) {
	porttest.Run(t, func(t *testing.T) porttest.Store { return memory.New() })
}

func TestRateLimiterConformance(t *testing.T) {
	porttest.RunRateLimiter(t, func(t *testing.T) ports.RateLimiter { return memory.NewRateLimiter() })
}

func TestEventsConformance(t *testing.T) {
	porttest.RunEvents(t, func(t *testing.T) porttest.EventStore { return memory.New() })
}
