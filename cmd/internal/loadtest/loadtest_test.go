package loadtest

import (
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	ms := time.Millisecond
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(100-i) * ms // 100ms down to 1ms
	}
	tests := []struct {
		name string
		lat  []time.Duration
		want Percentiles
		text string // what Describe returns
	}{
		{"none", nil, Percentiles{}, "none"},
		{"one", []time.Duration{3 * ms}, Percentiles{3 * ms, 3 * ms, 3 * ms, 3 * ms}, "p50 3ms  p90 3ms  p99 3ms  max 3ms"},
		{"unsorted four", []time.Duration{4 * ms, 1 * ms, 3 * ms, 2 * ms}, Percentiles{3 * ms, 4 * ms, 4 * ms, 4 * ms}, "p50 3ms  p90 4ms  p99 4ms  max 4ms"},
		{"rounded to the microsecond", []time.Duration{1234567 * time.Nanosecond}, Percentiles{1235 * time.Microsecond, 1235 * time.Microsecond, 1235 * time.Microsecond, 1235 * time.Microsecond},
			"p50 1.235ms  p90 1.235ms  p99 1.235ms  max 1.235ms"},
		{"hundred, descending", hundred, Percentiles{51 * ms, 91 * ms, 100 * ms, 100 * ms}, "p50 51ms  p90 91ms  p99 100ms  max 100ms"},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Summarize(append([]time.Duration(nil), tt.lat...)); got != tt.want {
				t.Errorf("Summarize(%v) = %+v, want %+v", tt.lat, got, tt.want)
			}
			if got := Describe(append([]time.Duration(nil), tt.lat...)); got != tt.text {
				t.Errorf("Describe(%v) = %q, want %q", tt.lat, got, tt.text)
			}
		})
	}
}

func TestZeroPercentilesString(t *testing.T) {
	// orderload prints the zero percentiles when no order was created.
	if got, want := Summarize(nil).String(), "p50 0s  p90 0s  p99 0s  max 0s"; got != want {
		t.Errorf("Summarize(nil).String() = %q, want %q", got, want)
	}
}

func TestTestCodes(t *testing.T) {
	tests := []struct {
		prefix, n int
		code      string
		want      string
	}{
		{99894, 0, "246810", ""},
		{99894, 2, "246810", "+998940000000=246810,+998940000001=246810"},
	}
	for _, tt := range tests {
		if got := TestCodes(Phones(tt.prefix, tt.n), tt.code); got != tt.want {
			t.Errorf("TestCodes(Phones(%d, %d), %q) = %q, want %q", tt.prefix, tt.n, tt.code, got, tt.want)
		}
	}
}
