package memory_test

import (
	"testing"

	"github.com/secondbloom/marketplace/adapters/memory"
	"github.com/secondbloom/marketplace/ports/porttest"
)

func TestConformance(t *testing.T) {
	porttest.Run(t, func(t *testing.T) porttest.Store { return memory.New() })
}

func TestEventsConformance(t *testing.T) {
	porttest.RunEvents(t, func(t *testing.T) porttest.EventStore { return memory.New() })
}
