package postgres

import "testing"

func TestCountCacheKeepsOnlyLargeTotals(t *testing.T) {
	c := newCountCache()
	c.put("small", exactCountBelow-1)
	if n, ok := c.get("small"); ok {
		t.Errorf("get(small) = %d, true; want small totals always recounted", n)
	}
	c.put("large", 90_000)
	if n, ok := c.get("large"); !ok || n != 90_000 {
		t.Errorf("get(large) = %d, %v; want 90000, true", n, ok)
	}
	if _, ok := c.get("other"); ok {
		t.Error("get(other) = true, want false for a filter never counted")
	}
}
