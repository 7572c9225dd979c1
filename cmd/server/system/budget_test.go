package system

import "testing"

func TestCacheBudgetSplitsCacheSizeMB(t *testing.T) {
	tests := []struct{ total, products, lists int }{
		{0, 48, 16}, {64, 48, 16}, {256, 192, 64}, {4, 3, 1}, {1, 1, 1},
	}
	for _, tc := range tests {
		if p, l := CacheBudget(tc.total); p != tc.products || l != tc.lists {
			t.Errorf("CacheBudget(%d) = %d, %d; want %d, %d", tc.total, p, l, tc.products, tc.lists)
		}
	}
}
