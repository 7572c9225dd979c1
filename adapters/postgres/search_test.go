package postgres

import (
	"strings"
	"testing"

	"github.com/secondbloom/marketplace/domain/i18n"
)

// TestSearchFoldMatchesTheDomain pins the search function of migration
// 0008 to the fold the memory store and the query side use: the two
// translate() strings must be i18n.FoldFrom and i18n.FoldTo.
func TestSearchFoldMatchesTheDomain(t *testing.T) {
	sql, err := migrationFiles.ReadFile("migrations/0008_i18n.sql")
	if err != nil {
		t.Fatal(err)
	}
	want := "translate(lower(t), '" + strings.ReplaceAll(i18n.FoldFrom, "'", "''") + "', '" + i18n.FoldTo + "')"
	if !strings.Contains(string(sql), want) {
		t.Errorf("migration 0008 does not contain %s", want)
	}
}
