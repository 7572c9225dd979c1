package postgres_test

import (
	"testing"

	"github.com/secondbloom/marketplace/adapters/postgres"
	"github.com/secondbloom/marketplace/adapters/postgres/pgtest"
	"github.com/secondbloom/marketplace/ports"
	"github.com/secondbloom/marketplace/ports/porttest"
)

func TestConformance(t *testing.T) {
	porttest.Run(t, func(t *testing.T) porttest.Store { return pgtest.New(t) })
}

func TestRateLimiterConformance(t *testing.T) {
	porttest.RunRateLimiter(t, func(t *testing.T) ports.RateLimiter { return postgres.NewRateLimiter(pgtest.New(t)) })
}

func TestEventsConformance(t *testing.T) {
	porttest.RunEvents(t, func(t *testing.T) porttest.EventStore { return pgtest.New(t) })
}
