package idempotency_test

import (
	"strings"
	"testing"

	"github.com/secondbloom/marketplace/domain/idempotency"
)

func TestValidKey(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"a", true},
		{"8e0f4a52-1c7b-4c1e-9a55-3b1e0f0c2d11", true},
		{"with space and ~!@#", true},
		{strings.Repeat("k", 255), true},
		{"", false},
		{strings.Repeat("k", 256), false},
		{"tab\there", false},
		{"new\nline", false},
		{"ключ", false},
		{"del\x7f", false},
	}
	for _, tc := range tests {
		if got := idempotency.ValidKey(tc.key); got != tc.want {
			t.Errorf("ValidKey(%q) = %v, want %v", tc.key, got, tc.want)
		}
	}
}
