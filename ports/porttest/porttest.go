// Package porttest holds conformance suites for the storage ports. Every
// storage adapter runs them (see memory and postgres tests), so both give
// the application the same guarantees, in the manner of testing/fstest.
package porttest

import (
	"testing"
	"time"

	"github.com/secondbloom/marketplace/ports"
)

// Store is what a storage adapter under test provides.
type Store interface {
	ports.Transactor
	// Repos returns repositories that run outside any transaction.
	Repos() ports.Repos
}

// NewStore returns an empty store for one test.
type NewStore func(t *testing.T) Store

// Run runs every suite against stores made by newStore.
func Run(t *testing.T, newStore NewStore) {
	t.Run("Users", func(t *testing.T) { testUsers(t, newStore) })
	t.Run("Challenges", func(t *testing.T) { testChallenges(t, newStore) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, newStore) })
	t.Run("Transactor", func(t *testing.T) { testTransactor(t, newStore) })
	t.Run("Catalog", func(t *testing.T) { testCatalog(t, newStore) })
	t.Run("CategoryWrites", func(t *testing.T) { testCategoryWrites(t, newStore) })
	t.Run("ProductList", func(t *testing.T) { testProductList(t, newStore) })
	t.Run("ProductCreateRaces", func(t *testing.T) { testProductCreateRaces(t, newStore) })
	t.Run("Auctions", func(t *testing.T) { testAuctions(t, newStore) })
	t.Run("Orders", func(t *testing.T) { testOrders(t, newStore) })
	t.Run("Reserve", func(t *testing.T) { testReserve(t, newStore) })
	t.Run("Idempotency", func(t *testing.T) { testIdempotency(t, newStore) })
	t.Run("BackOffice", func(t *testing.T) { testBackOffice(t, newStore) })
	t.Run("Media", func(t *testing.T) { testMedia(t, newStore) })
	t.Run("MediaJanitor", func(t *testing.T) { testMediaJanitor(t, newStore) })
	t.Run("MediaUploadLimit", func(t *testing.T) { testMediaUploadLimit(t, newStore) })
	t.Run("Reference", func(t *testing.T) { testReference(t, newStore) })
	t.Run("LocalizedProducts", func(t *testing.T) { testLocalizedProducts(t, newStore) })
	t.Run("KeysetPaging", func(t *testing.T) { testKeysetPaging(t, newStore) })
	t.Run("BackOfficePaging", func(t *testing.T) { testBackOfficePaging(t, newStore) })
}

// t0 is a fixed instant that the suites start their clocks at. Postgres
// keeps microseconds, so suites use whole seconds.
var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
