package postgres

import (
	"testing"

	"github.com/secondbloom/marketplace/ports"
)

func TestCountCacheKeepsOnlyLargeTotals(t *testing.T) {
	c := newCountCache()
	c.put("small", ports.Listed{Total: exactCountBelow - 1}, false)
	if l, _, ok := c.get("small"); ok {
		t.Errorf("get(small) = %+v, true; want small totals always recounted", l)
	}
	c.put("large", ports.Listed{Total: 90_000, TotalIsEstimate: true}, false)
	if l, _, ok := c.get("large"); !ok || l.Total != 90_000 || !l.TotalIsEstimate {
		t.Errorf("get(large) = %+v, %v; want 90000 estimated, true", l, ok)
	}
	if _, _, ok := c.get("other"); ok {
		t.Error("get(other) = true, want false for a filter never counted")
	}
}
